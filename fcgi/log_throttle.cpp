#include "log_throttle.h"

namespace syn::fcgi {

std::optional<std::uint64_t> LogThrottle::admit(Clock::time_point now) {
    std::lock_guard lock(mutex_);
    if (last_ && now - *last_ < interval_) {
        ++suppressed_;
        return std::nullopt;
    }
    last_ = now;
    std::uint64_t suppressed = suppressed_;
    suppressed_ = 0;
    return suppressed;
}

}  // namespace syn::fcgi
