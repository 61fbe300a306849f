#include "respawn_backoff.h"

#include <algorithm>

namespace syn::fcgi {

RespawnBackoff::Duration RespawnBackoff::delayAfterExit(Duration lifetime) {
    if (lifetime >= stableLifetime_) {
        current_ = Duration(0);
    } else if (current_ == Duration(0)) {
        current_ = initial_;
    } else {
        current_ = std::min(current_ * 2, maximum_);
    }
    return current_;
}

}  // namespace syn::fcgi
