package io.treecast.gateway.internal;

import io.treecast.fastpath.ErrorCode;
import io.treecast.fastpath.EventHandler;
import io.treecast.fastpath.EventKind;
import io.treecast.fastpath.EventView;
import io.treecast.fastpath.TreePath;
import io.treecast.gateway.internal.security.ReadFilter;

/**
 * Sits between the engine and a {@link DirectStream} whose pattern is wider than its principal may read: drops the
 * changes of every UPDATE and SNAPSHOT event (live, replayed from the ring or caught up from the store alike) that
 * the {@link ReadFilter} hides, and whole events that keep none. Only such subscriptions have one; every other
 * subscription is handed to the engine as it is, so the rules cost them nothing per event.
 *
 * <p>Dispatcher thread only; the view and its index are reused, nothing is allocated per event once the index fits.
 */
final class FilteringHandler implements EventHandler, EventView {
    private final DirectStream target;
    private final ReadFilter filter;
    private EventView event;
    private int[] visible = new int[16];
    private int count;
    private boolean sentInDelivery;

    FilteringHandler(DirectStream target, ReadFilter filter) {
        this.target = target;
        this.filter = filter;
    }

    @Override
    public void onEvent(EventView e) {
        EventKind kind = e.kind();
        if (kind != EventKind.UPDATE && kind != EventKind.SNAPSHOT) {
            sentInDelivery = true;
            target.onEvent(e);
            return;
        }
        int size = e.size();
        if (visible.length < size) {
            visible = new int[Math.max(size, visible.length * 2)];
        }
        int n = 0;
        for (int i = 0; i < size; i++) {
            if (filter.visible(e.path(i))) {
                visible[n++] = i;
            }
        }
        if (n == 0) {
            return;
        }
        sentInDelivery = true;
        if (n == size) {
            target.onEvent(e);
            return;
        }
        event = e;
        count = n;
        try {
            target.onEvent(this);
        } finally {
            event = null;
        }
    }

    @Override
    public void onDeliveryEnd() {
        if (!sentInDelivery) {
            target.refundDelivery();
        }
        sentInDelivery = false;
        target.onDeliveryEnd();
    }

    @Override
    public void onEnd(ErrorCode code, String message, long lastSeq) {
        target.onEnd(code, message, lastSeq);
    }

    @Override
    public EventKind kind() {
        return event.kind();
    }

    @Override
    public long seq() {
        return event.seq();
    }

    @Override
    public boolean conflated() {
        return event.conflated();
    }

    @Override
    public int size() {
        return count;
    }

    @Override
    public TreePath path(int i) {
        return event.path(visible[i]);
    }

    @Override
    public boolean isDelete(int i) {
        return event.isDelete(visible[i]);
    }

    @Override
    public byte[] value(int i) {
        return event.value(visible[i]);
    }

    @Override
    public long changeSeq(int i) {
        return event.changeSeq(visible[i]);
    }

    @Override
    public long appliedNanos() {
        return event.appliedNanos();
    }
}
