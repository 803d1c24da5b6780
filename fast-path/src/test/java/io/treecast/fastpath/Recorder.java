package io.treecast.fastpath;

import io.treecast.testrules.PerLeafView;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/** Test handler: records every event (copied out of the flyweight) and rebuilds state by the per-leaf rule ({@link PerLeafView}). */
class Recorder implements EventHandler {
    record Ev(EventKind kind, long seq, boolean conflated, List<Leaf> changes) {
    }

    final List<Ev> events = new ArrayList<>();
    private final PerLeafView<TreePath, Leaf> state = new PerLeafView<>();
    volatile boolean snapshotDone;
    volatile ErrorCode endCode;
    volatile String endMessage;
    volatile long endSeq = -1;
    volatile long lastSeq;
    volatile int count;

    @Override
    public synchronized void onEvent(EventView e) {
        List<Leaf> ch = new ArrayList<>();
        for (int i = 0; i < e.size(); i++) {
            ch.add(new Leaf(e.path(i), e.value(i), e.changeSeq(i)));
        }
        events.add(new Ev(e.kind(), e.seq(), e.conflated(), ch));
        if (e.kind() == EventKind.RESET) {
            state.reset();
        }
        for (Leaf l : ch) {
            state.apply(l.path(), l.seq(), l.value() == null ? null : l);
        }
        if (e.kind() == EventKind.SNAPSHOT_END) {
            snapshotDone = true;
        }
        lastSeq = e.seq();
        count++;
    }

    @Override
    public void onEnd(ErrorCode code, String message, long lastSeq) {
        endMessage = message;
        endSeq = lastSeq;
        endCode = code;
    }

    synchronized Map<String, String> values() {
        Map<String, String> m = new HashMap<>();
        state.values().forEach((p, l) -> m.put(p.toString(), new String(l.value())));
        return m;
    }

    synchronized List<Ev> events() {
        return new ArrayList<>(events);
    }
}
