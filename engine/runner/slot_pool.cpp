#include "slot_pool.h"

namespace syn::runner {

SlotPool::SlotPool(int slots) {
    for (int i = 0; i < slots; ++i) {
        slots_.push_back(std::make_unique<Slot>());
    }
}

void SlotPool::occupy(int index, const Lease& lease) {
    std::lock_guard lock(mutex_);
    slots_[index]->lease = lease;
    slots_[index]->stop = StopRequest::none;
}

void SlotPool::vacate(int index) {
    std::lock_guard lock(mutex_);
    slots_[index]->lease.reset();
    slots_[index]->stop = StopRequest::none;
}

std::vector<Lease> SlotPool::activeLeases() const {
    std::lock_guard lock(mutex_);
    std::vector<Lease> leases;
    for (const auto& slot : slots_) {
        if (slot->lease) {
            leases.push_back(*slot->lease);
        }
    }
    return leases;
}

int SlotPool::activeCount() const {
    return static_cast<int>(activeLeases().size());
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

void SlotPool::waitForWork(std::chrono::milliseconds timeout) {
    std::unique_lock lock(mutex_);
    unsigned long long seen = wakeCount_;
    wakeUp_.wait_for(lock, timeout, [&] { return wakeCount_ != seen || stopping_.load(); });
}

void SlotPool::beginStopping() {
    stopping_ = true;
    wake();
}

}  // namespace syn::runner
