package io.treecast.gateway.internal;

import io.netty.buffer.ByteBuf;
import io.rsocket.frame.FrameType;
import io.rsocket.plugins.RequestInterceptor;
import io.treecast.fastpath.ErrorCode;
import io.treecast.gateway.GatewayStats;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Counts every error a connection's responder sends, by its code (the message is always {@code "CODE: text"}),
 * and logs one line when a STRICT subscription ends with SLOW_CONSUMER (at most one a second, with the count of
 * the others). Installed as an RSocket request
 * interceptor, so that the request handlers themselves stay free of bookkeeping. Runs on event loops and
 * allocates nothing unless a request fails.
 */
public final class ErrorCounter implements RequestInterceptor {
    private static final Logger LOG = LoggerFactory.getLogger(ErrorCounter.class);
    /** At most one line a second: a client can end many STRICT subscriptions at once on purpose. */
    private static final LogLimiter SLOW_CONSUMERS = new LogLimiter(LOG, "slow consumer ended", 1_000_000_000L);

    private final Gateway gateway;
    private final String connection;

    /** Created by RSocket for each accepted connection, right after {@link Gateway#accept} on the same thread. */
    public ErrorCounter(Gateway gateway) {
        this.gateway = gateway;
        String name = Gateway.takeAcceptedName();
        this.connection = name == null ? "a connection" : name;
    }

    @Override
    public void onStart(int streamId, FrameType requestType, ByteBuf metadata) {
    }

    @Override
    public void onTerminate(int streamId, FrameType requestType, Throwable t) {
        if (t != null) {
            count(t);
        }
    }

    @Override
    public void onCancel(int streamId, FrameType requestType) {
    }

    @Override
    public void onReject(Throwable t, FrameType requestType, ByteBuf metadata) {
        if (t != null) {
            count(t);
        }
    }

    private void count(Throwable t) {
        ErrorCode code = countError(gateway, t);
        if (code == ErrorCode.SLOW_CONSUMER) {
            // the message quotes the client's pattern: escaped and cut like every client string in a log line
            SLOW_CONSUMERS.info("{}: {}", connection, LogText.escape(t.getMessage(), 512));
        }
    }

    /**
     * Counts {@code t} by its code when it is an error the gateway sends (see {@link #codeOf}); returns the code or
     * null. Also for requests that never pass rsocket-java's responder ({@link FnfReader}).
     */
    static ErrorCode countError(Gateway gateway, Throwable t) {
        ErrorCode code = codeOf(t.getMessage());
        if (code != null) {
            gateway.stats.error(code);
        }
        return code;
    }

    /**
     * The code of a {@code "CODE: text"} message (every error the gateway sends has one, INTERNAL included); null for
     * anything else, e.g. a connection that dropped, which is not an error sent to the client.
     */
    static ErrorCode codeOf(String message) {
        if (message != null) {
            int colon = message.indexOf(':');
            if (colon > 0) {
                try {
                    return ErrorCode.valueOf(message.substring(0, colon));
                } catch (IllegalArgumentException notOurs) {
                    // fall through
                }
            }
        }
        return null;
    }

    @Override
    public void dispose() {
    }
}
