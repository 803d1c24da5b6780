package io.treecast.fastpath.internal;

import java.util.concurrent.atomic.AtomicLong;

/**
 * The engine-wide budget of outbox slots ({@code engine.outbox-budget-slots}): every subscription's ring and its
 * conflation map draw on it. Reserved when a subscription starts and each time its ring doubles or its pending map
 * grows by a chunk (rare, never per event in steady state), released when the writer forgets the subscription.
 */
public final class SlotBudget {
    private final long budget;
    private final AtomicLong used = new AtomicLong();

    public SlotBudget(long budget) {
        this.budget = budget;
    }

    /** Reserves {@code n} slots; false (nothing reserved) when that would pass the budget. */
    public boolean tryReserve(long n) {
        long cur;
        do {
            cur = used.get();
            if (cur + n > budget) {
                return false;
            }
        } while (!used.compareAndSet(cur, cur + n));
        return true;
    }

    public void release(long n) {
        if (n != 0) {
            used.addAndGet(-n);
        }
    }

    /** Slots reserved now. */
    public long used() {
        return used.get();
    }

    public long budget() {
        return budget;
    }
}
