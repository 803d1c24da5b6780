package io.treecast.client;

import reactor.core.Disposable;

/** A running subscription started by {@link TreecastClient#subscribe}. Cancel it to stop the events. */
public final class ClientSubscription implements AutoCloseable {
    private final Disposable disposable;

    ClientSubscription(Disposable disposable) {
        this.disposable = disposable;
    }

    /** Stops the subscription on the server. Idempotent. */
    public void cancel() {
        disposable.dispose();
    }

    public boolean isCancelled() {
        return disposable.isDisposed();
    }

    @Override
    public void close() {
        cancel();
    }
}
