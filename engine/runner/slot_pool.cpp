#include "slot_pool.h"

#include <algorithm>

namespace syn::runner {

SlotPool::SlotPool(int slots) {
    for (int i = 0; i < slots; ++i) {
        slots_.push_back(std::make_unique<Slot>());
    }
}

void SlotPool::vacate(int index) {
    std::lock_guard lock(mutex_);
    slots_[index]->lease.reset();
    slots_[index]->stop = StopRequest::none;
}

void SlotPool::setConnected(int index, bool connected) {
    std::lock_guard lock(mutex_);
    slots_[index]->connected = connected;
}

void SlotPool::allowClaims(bool allowed) {
    std::lock_guard lock(mutex_);
    claimsAllowed_ = allowed;
}

SlotPool::ClaimReservation SlotPool::reserveClaims(int index) {
    std::lock_guard lock(mutex_);
    if (!claimsAllowed_) {
        return {0, wakeCount_};
    }
    int idle = 0;
    for (const auto& slot : slots_) {
        if (!slot->lease && slot->connected) {
            ++idle;
        }
    }
    // The caller is idle and connected, so `idle` counts it. A slot running an
    // execution never claims.
    int claimable = slots_[index]->lease ? 0 : idle - static_cast<int>(handedOff_.size());
    int count = std::max(claimable - reservedClaims_, 0);
    reservedClaims_ += count;
    return {count, wakeCount_};
}

std::optional<ClaimedExecution> SlotPool::finishClaim(int index,
                                                      const ClaimReservation& reservation,
                                                      std::vector<ClaimedExecution> claimed) {
    std::optional<ClaimedExecution> own;
    bool wakeIdle = false;
    {
        std::lock_guard lock(mutex_);
        reservedClaims_ -= reservation.count;
        for (ClaimedExecution& execution : claimed) {
            if (!own) {
                own = std::move(execution);
                slots_[index]->lease = own->lease;
                slots_[index]->stop = StopRequest::none;
            } else {
                handedOff_.push_back(std::move(execution));
                wakeIdle = true;
            }
        }
        // Slots that waited for this reservation must look again when work
        // arrived during the claim, because its snapshot may not contain it.
        // They may have seen that wake-up already, so it counts once more.
        if (wakeCount_ != reservation.wakeCount) {
            ++wakeCount_;
            wakeIdle = true;
        }
    }
    // Otherwise idle slots stay asleep: a claim that returned fewer
    // executions than reserved found the queue empty, so their claims would too.
    if (wakeIdle) {
        wakeUp_.notify_all();
    }
    return own;
}

std::optional<ClaimedExecution> SlotPool::takeHandedOff(int index) {
    std::lock_guard lock(mutex_);
    if (handedOff_.empty() || !claimsAllowed_) {
        return std::nullopt;
    }
    ClaimedExecution execution = std::move(handedOff_.front());
    handedOff_.pop_front();
    slots_[index]->lease = execution.lease;
    slots_[index]->stop = StopRequest::none;
    return execution;
}

std::vector<Lease> SlotPool::activeLeases() const {
    std::lock_guard lock(mutex_);
    std::vector<Lease> leases;
    for (const auto& slot : slots_) {
        if (slot->lease) {
            leases.push_back(*slot->lease);
        }
    }
    for (const ClaimedExecution& execution : handedOff_) {
        leases.push_back(execution.lease);
    }
    return leases;
}

int SlotPool::activeCount() const {
    std::lock_guard lock(mutex_);
    int busy = 0;
    for (const auto& slot : slots_) {
        if (slot->lease) {
            ++busy;
        }
    }
    return busy;
}

bool SlotPool::requestStop(const Lease& lease, StopRequest request) {
    std::lock_guard lock(mutex_);
    for (const auto& slot : slots_) {
        if (slot->lease && slot->lease->executionId == lease.executionId &&
            slot->lease->token == lease.token) {
            slot->stop = request;
            return true;
        }
    }
    return false;
}

std::optional<Lease> SlotPool::leaseFor(const std::string& executionId) const {
    std::lock_guard lock(mutex_);
    for (const auto& slot : slots_) {
        if (slot->lease && slot->lease->executionId == executionId) {
            return slot->lease;
        }
    }
    return std::nullopt;
}

void SlotPool::requestStopAll(StopRequest request) {
    std::lock_guard lock(mutex_);
    for (const auto& slot : slots_) {
        if (slot->lease) {
            slot->stop = request;
        }
    }
}

void SlotPool::wake() {
    {
        std::lock_guard lock(mutex_);
        ++wakeCount_;
    }
    wakeUp_.notify_all();
}

void SlotPool::waitForWork(std::chrono::milliseconds timeout, unsigned long long seen) {
    std::unique_lock lock(mutex_);
    wakeUp_.wait_for(lock, timeout,
                     [&] { return wakeCount_ != seen || !handedOff_.empty() || stopping_.load(); });
}

void SlotPool::beginStopping() {
    stopping_ = true;
    wake();
}

}  // namespace syn::runner
