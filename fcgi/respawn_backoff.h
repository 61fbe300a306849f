// The delay before the master replaces a worker that died, growing while
// workers keep dying soon after they start so that a crash loop does not
// spin the CPU.
#pragma once

#include <chrono>

namespace syn::fcgi {

class RespawnBackoff {
  public:
    using Duration = std::chrono::milliseconds;

    // A worker that lived at least `stableLifetime` resets the delay to zero;
    // each quicker death doubles it, starting at `initial`, up to `maximum`.
    RespawnBackoff(Duration initial = Duration(100), Duration maximum = Duration(10'000),
                   Duration stableLifetime = Duration(10'000))
        : initial_(initial), maximum_(maximum), stableLifetime_(stableLifetime) {}

    // Records that a worker exited after running for `lifetime` and returns
    // how long to wait before starting its replacement.
    Duration delayAfterExit(Duration lifetime);

  private:
    Duration initial_;
    Duration maximum_;
    Duration stableLifetime_;
    Duration current_{0};
};

}  // namespace syn::fcgi
