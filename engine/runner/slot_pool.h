// The runner's execution slots: which execution each slot runs, the stop
// request aimed at it, the executions one slot claimed for the others, and
// the wake-up signal for idle slots.
#pragma once

#include <atomic>
#include <condition_variable>
#include <deque>
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

    void vacate(int index);
    // Records whether slot `index` has a database connection. Only connected
    // idle slots count when a slot claims work for the idle ones.
    void setConnected(int index, bool connected);
    // Allows or forbids new claims. The heartbeat forbids them while it cannot
    // renew leases, because an execution claimed then would lose its lease.
    void allowClaims(bool allowed);
    const std::atomic<StopRequest>& stopRequest(int index) const { return slots_[index]->stop; }

    // The claims one slot may make now, and the wake-up count at that moment.
    struct ClaimReservation {
        int count = 0;
        unsigned long long wakeCount = 0;
    };
    // Reserves the claims slot `index` makes for itself and for the other
    // idle slots. Busy or unconnected slots, handed-off executions and other
    // slots' reservations leave fewer. The count is 0 when other slots' claims
    // already cover every idle slot, this one included, and while claims are
    // not allowed.
    ClaimReservation reserveClaims(int index);
    // Ends the claim that `reservation` counted: slot `index` runs the first
    // execution of `claimed`, the rest wait for idle slots. Returns the
    // first, or nothing when the claim found none.
    std::optional<ClaimedExecution> finishClaim(int index, const ClaimReservation& reservation,
                                                std::vector<ClaimedExecution> claimed);
    // Takes the oldest execution another slot claimed for an idle one and
    // marks slot `index` busy with it. Takes none while claims are not allowed.
    std::optional<ClaimedExecution> takeHandedOff(int index);

    // Leases of the executions that slots run and of those handed off but
    // not yet taken: the heartbeat renews them all.
    std::vector<Lease> activeLeases() const;
    // Counts the slots that run an execution. Handed-off executions are left
    // out, because every stopping slot with a database connection releases
    // them before it ends.
    int activeCount() const;
    // Sets the stop request of the slot holding `lease` (same execution and token).
    // Returns false when no slot has it any more.
    bool requestStop(const Lease& lease, StopRequest request);
    std::optional<Lease> leaseFor(const std::string& executionId) const;
    void requestStopAll(StopRequest request);

    // Wakes idle slots so that they try to claim work now.
    void wake();
    // Waits until a hand-off, the timeout, or a wake() after the one that
    // made the wake-up count `seen`, and returns at once when stopping.
    // Passing the count from before a claim keeps a wake() during the claim
    // from being lost.
    void waitForWork(std::chrono::milliseconds timeout, unsigned long long seen);
    // Called when the runner begins to shut down: no slot claims again.
    void beginStopping();
    const std::atomic<bool>& stopping() const { return stopping_; }

  private:
    struct Slot {
        std::optional<Lease> lease;
        std::atomic<StopRequest> stop{StopRequest::none};
        bool connected = false;
    };

    mutable std::mutex mutex_;
    std::condition_variable wakeUp_;
    unsigned long long wakeCount_ = 0;
    std::vector<std::unique_ptr<Slot>> slots_;
    // Executions claimed for idle slots, oldest first, never more than there
    // are idle slots.
    std::deque<ClaimedExecution> handedOff_;
    int reservedClaims_ = 0;
    bool claimsAllowed_ = true;
    std::atomic<bool> stopping_{false};
};

}  // namespace syn::runner
