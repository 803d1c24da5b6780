package io.treecast.client;

import org.reactivestreams.Subscription;
import reactor.core.publisher.BaseSubscriber;

import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicReference;

/**
 * An application that asks for one event and then stops reading until told to go on ({@link #resume}): what it got,
 * and how its stream ended, for tests of what a stalled subscriber costs the server.
 *
 * <pre>{@code
 * StalledReader reader = new StalledReader();
 * client.reactive().subscribe(SubscribeSpec.pattern("a/**").policy(Policy.STRICT)).subscribe(reader);
 * }</pre>
 */
final class StalledReader extends BaseSubscriber<TreeEvent> {
    final List<TreeEvent> got = new CopyOnWriteArrayList<>();
    final AtomicReference<Throwable> end = new AtomicReference<>();

    @Override
    protected void hookOnSubscribe(Subscription s) {
        s.request(1); // one event, then nothing until resume()
    }

    @Override
    protected void hookOnNext(TreeEvent e) {
        got.add(e);
    }

    @Override
    protected void hookOnError(Throwable t) {
        end.set(t);
    }

    /** Reads everything from now on. */
    void resume() {
        request(Long.MAX_VALUE);
    }
}
