package io.treecast.fastpath.internal;

/**
 * Serves a live subscription: its held entries first (left from a catch-up), then its outbox, at most
 * {@link #EVENTS_PER_CYCLE} events per cycle and never more than requested. Per update it allocates nothing: the
 * event is the dispatcher's reused flyweight, the outbox's bytes are published once per pass.
 */
final class LiveDelivery {
    /** Live events per subscription per cycle: bounds how long one busy subscription holds the thread. */
    static final int EVENTS_PER_CYCLE = 256;

    private final Delivery delivery;

    LiveDelivery(Delivery delivery) {
        this.delivery = delivery;
    }

    int serve(Sub s) {
        EventBuffer buf = delivery.buf;
        HeldEntries held = s.held;
        int work = 0;
        long bytes = 0;
        int budget = EVENTS_PER_CYCLE;
        while (budget > 0 && s.demand.get() > 0) {
            if (held.hasNext()) {
                long seq = held.nextSeq();
                fill(s, seq, held.takeNext(), -1L);
            } else {
                long h = s.headAcquire();
                if (h == s.tailAcquire()) {
                    break;
                }
                long seq = s.entrySeq(h);
                Object ref = s.entryRef(h);
                fill(s, seq, ref, h);
                bytes += Applied.bytes(ref);
                s.forgetEntry(h);
                s.headRelease(h + 1);
            }
            work++;
            if (buf.size > 0) {
                delivery.deliver(s, buf);
                budget--;
            }
        }
        held.compact();
        if (bytes > 0) {
            s.tookOut(bytes); // once per pass: one store the writer reads only when the outbox nears its byte bound
        }
        return work;
    }

    /**
     * Fills the buffer with the part of entry {@code ref} this subscription matched. The writer enqueues a batch only
     * for subscriptions that matched one of its changes, so a one-change batch needs no second match, and for batches
     * it tracks ({@link Sub#tracksMatches}) it recorded the matched changes in {@code outMatched[slot]}; anything else
     * (larger batches, conflated entries, entries held aside during a snapshot: {@code pos < 0}) is filtered by pattern.
     */
    private void fill(Sub s, long seq, Object ref, long pos) {
        EventBuffer buf = delivery.buf;
        int n = ref instanceof Conflated ? -1 : Applied.size(ref);
        if (n == 1) {
            buf.fill(seq, ref, null, s.after);
        } else if (pos >= 0 && Sub.tracksMatches(n)) {
            buf.fillMatched(seq, ref, s.entryMatched(pos), s.after);
        } else {
            buf.fill(seq, ref, s.pattern, s.after);
        }
    }
}
