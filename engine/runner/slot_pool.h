// The runner's execution slots: which execution each slot runs, the stop
// request aimed at it, and the wake-up signal for idle slots.
#pragma once

#include <atomic>
#include <condition_variable>
#include <memory>
#include <mutex>
#include <optional>
#include <vector>

#include "syn/agent_process.h"
#include "syn/execution_queue.h"

namespace syn::runner {

class SlotPool {
  public:
    explicit SlotPool(int slots);

    int size() const { return static_cast<int>(slots_.size()); }

    // Marks slot `index` busy with `lease` and clears its stop request.
    void occupy(int index, const Lease& lease);
    void vacate(int index);
    const std::atomic<StopRequest>& stopRequest(int index) const { return slots_[index]->stop; }

    std::vector<Lease> activeLeases() const;
    int activeCount() const;
    // Sets the stop request of the slot holding `lease` (same execution and token).
    // Returns false when no slot has it any more.
    bool requestStop(const Lease& lease, StopRequest request);
    std::optional<Lease> leaseFor(const std::string& executionId) const;
    void requestStopAll(StopRequest request);

    // Wakes idle slots so that they try to claim work now.
    void wake();
    // Waits until wake() or the timeout; returns at once when stopping.
    void waitForWork(std::chrono::milliseconds timeout);
    // Called when the runner begins to shut down: no slot claims again.
    void beginStopping();
    const std::atomic<bool>& stopping() const { return stopping_; }

  private:
    struct Slot {
        std::optional<Lease> lease;
        std::atomic<StopRequest> stop{StopRequest::none};
    };

    mutable std::mutex mutex_;
    std::condition_variable wakeUp_;
    unsigned long long wakeCount_ = 0;
    std::vector<std::unique_ptr<Slot>> slots_;
    std::atomic<bool> stopping_{false};
};

}  // namespace syn::runner
