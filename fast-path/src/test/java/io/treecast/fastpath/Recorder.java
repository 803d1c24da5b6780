package io.treecast.fastpath;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/** Test handler: records every event (copied out of the flyweight) and rebuilds state by the per-leaf rule. */
class Recorder implements EventHandler {
    record Ev(EventKind kind, long seq, boolean conflated, List<Leaf> changes) {
    }

    final List<Ev> events = new ArrayList<>();
    final Map<TreePath, Leaf> state = new HashMap<>();
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
            state.clear();
        }
        for (Leaf l : ch) {
            Leaf cur = state.get(l.path());
            // the per-leaf rule; changes of one batch share a seq and apply in order
            if (cur == null || l.seq() >= cur.seq()) {
                if (l.value() == null) {
                    state.remove(l.path());
                } else {
                    state.put(l.path(), l);
                }
            }
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
        state.forEach((p, l) -> m.put(p.toString(), new String(l.value())));
        return m;
    }

    synchronized List<Ev> events() {
        return new ArrayList<>(events);
    }
}
