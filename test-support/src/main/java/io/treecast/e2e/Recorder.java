package io.treecast.e2e;

import io.treecast.client.LeafChange;
import io.treecast.client.TreeEvent;
import io.treecast.client.TreeValue;
import io.treecast.client.TreecastClientException;
import io.treecast.testrules.PerLeafView;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.function.Consumer;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * Keeps every event of one subscription (from the client's Netty thread) and rebuilds the subscriber's view with
 * DESIGN.md's per-leaf rule ({@link PerLeafView}): a change is applied unless what is held for that leaf (deletes
 * included) has a newer seq, changes of one event in their order, and RESET drops everything held.
 */
public final class Recorder implements Consumer<TreeEvent> {
    private final ConcurrentLinkedQueue<TreeEvent> events = new ConcurrentLinkedQueue<>();
    private volatile TreecastClientException end;
    private volatile long lastSeq = -1;
    private volatile boolean snapshotEnded;

    @Override
    public void accept(TreeEvent e) {
        events.add(e);
        if (e.kind() == TreeEvent.Kind.SNAPSHOT_END) {
            snapshotEnded = true;
        }
        if (e.kind() == TreeEvent.Kind.UPDATE || e.kind() == TreeEvent.Kind.SNAPSHOT_END) {
            lastSeq = Math.max(lastSeq, e.seq());
        }
    }

    /** For {@code subscribe(spec, onEvent, onError)}: how the stream ended. */
    public void ended(TreecastClientException e) {
        end = e;
    }

    public TreecastClientException end() {
        return end;
    }

    public boolean snapshotEnded() {
        return snapshotEnded;
    }

    /**
     * Waits until an UPDATE or SNAPSHOT_END at {@code seq} or above has arrived; on timeout the failure says what did
     * arrive (count, last seq, how the stream ended, the last events), not only that time ran out.
     */
    public void awaitSeq(long seq, Duration atMost) {
        await().atMost(atMost).untilAsserted(() -> assertThat(lastSeq).as("last seq seen; %s", this).isGreaterThanOrEqualTo(seq));
    }

    /** Waits for SNAPSHOT_END; on timeout the failure says what did arrive. */
    public void awaitSnapshotEnd(Duration atMost) {
        await().atMost(atMost).untilAsserted(() -> assertThat(snapshotEnded).as("snapshot ended; %s", this).isTrue());
    }

    /** What arrived so far, for failure messages: event count, last seq, the end, the last three events. */
    @Override
    public String toString() {
        List<TreeEvent> all = events();
        return all.size() + " events, last seq " + lastSeq + ", snapshot " + (snapshotEnded ? "ended" : "not ended")
                + ", stream " + (end == null ? "open" : "ended with " + end.getMessage()) + ", last events "
                + all.subList(Math.max(0, all.size() - 3), all.size());
    }

    /** The highest seq of an UPDATE or SNAPSHOT_END seen: the view is exact at this seq. */
    public long lastSeq() {
        return lastSeq;
    }

    public List<TreeEvent> events() {
        return new ArrayList<>(events);
    }

    public List<TreeEvent> updates() {
        return events().stream().filter(e -> e.kind() == TreeEvent.Kind.UPDATE).toList();
    }

    /** Every leaf change of every UPDATE, in arrival order. */
    public List<LeafChange> updateChanges() {
        return updates().stream().flatMap(e -> e.changes().stream()).toList();
    }

    /** The view that applying every event so far with the per-leaf rule gives, sorted by path. */
    public Map<String, TreeValue> state() {
        PerLeafView<String, TreeValue> view = new PerLeafView<>();
        for (TreeEvent e : events) {
            if (e.kind() == TreeEvent.Kind.RESET) {
                view.reset();
                continue;
            }
            for (LeafChange c : e.changes()) {
                view.apply(c.path(), c.seq(), c.isDelete() ? null : c.value());
            }
        }
        return new TreeMap<>(view.values());
    }
}
