// Rate limit for log lines that repeat under load, such as "database
// unavailable" for every request during an outage.
#pragma once

#include <chrono>
#include <cstdint>
#include <mutex>
#include <optional>

namespace syn::fcgi {

class LogThrottle {
  public:
    using Clock = std::chrono::steady_clock;

    explicit LogThrottle(Clock::duration interval = std::chrono::seconds(5))
        : interval_(interval) {}

    // Returns the number of lines suppressed since the last admitted one when
    // a line may be logged at `now`, or nothing when it should be dropped.
    // Thread-safe; meant for error paths, not for every request.
    std::optional<std::uint64_t> admit(Clock::time_point now = Clock::now());

  private:
    std::mutex mutex_;
    Clock::duration interval_;
    std::optional<Clock::time_point> last_;
    std::uint64_t suppressed_ = 0;
};

}  // namespace syn::fcgi
