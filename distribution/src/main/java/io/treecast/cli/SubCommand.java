package io.treecast.cli;

import io.treecast.cli.internal.ClientFlags;
import io.treecast.cli.internal.Errors;
import io.treecast.cli.internal.Values;
import io.treecast.client.ClientOptions;
import io.treecast.client.ClientSubscription;
import io.treecast.client.LeafChange;
import io.treecast.client.Policy;
import io.treecast.client.SubscribeSpec;
import io.treecast.client.TreeEvent;
import io.treecast.client.TreecastClient;
import io.treecast.client.TreecastClientException;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;
import picocli.CommandLine.Model.CommandSpec;

import java.io.PrintWriter;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.Callable;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;

/**
 * {@code treecast sub <pattern>}: one line per leaf change as it arrives ({@code [seq] path = value}), plus marker
 * lines {@code # snapshot end at seq N} and {@code # reset}. {@code --count N} stops after N leaf lines.
 * {@code --reconnect} survives a lost connection or a server restart the way the Java client's {@code Mirror} does:
 * it subscribes again with {@code resume_after} = the last seq it printed, so it prints exactly the changes it
 * missed, or {@code # reset} and a fresh snapshot when the server cannot replay them (e.g. after a restart, whose
 * seq starts above the old one: proto/README.md, "Seq across restarts").
 */
@Command(name = "sub", mixinStandardHelpOptions = true, versionProvider = TreecastCli.Version.class,
        description = "Print the changes of the leaves matching a pattern as they happen (Ctrl-C to stop).")
public final class SubCommand implements Callable<Integer> {
    /** The wait before subscribing again grows from this to {@link #MAX_BACKOFF_MS}, as the client's Mirror. */
    private static final long FIRST_BACKOFF_MS = 50;
    private static final long MAX_BACKOFF_MS = 2_000;

    @Spec
    CommandSpec spec;
    @Mixin
    ClientFlags client;

    @Parameters(index = "0", paramLabel = "PATTERN")
    String pattern;

    @Option(names = "--snapshot", description = "First print the current value of every matching leaf.")
    boolean snapshot;

    @Option(names = "--resume-after", paramLabel = "SEQ", description = "Exactly the changes after this seq (or a reset and a snapshot when it is too old).")
    Long resumeAfter;

    @Option(names = "--strict", description = "Never conflate: the server ends the stream with SLOW_CONSUMER instead.")
    boolean strict;

    @Option(names = "--count", paramLabel = "N", description = "Stop after N leaf lines (snapshot leaves included); N >= 1.")
    Integer count;

    @Option(names = "--reconnect", description = "When the connection is lost or the server restarts, subscribe again and "
            + "resume after the last seq printed (a reset and a snapshot when the server cannot replay the gap).")
    boolean reconnect;

    @Option(names = "--read-ahead-frames", paramLabel = "N", description = "Frames of events the client asks the server for "
            + "ahead of what it has printed (default: the client library's, " + ClientOptions.DEFAULT_READ_AHEAD_FRAMES + ").")
    Integer readAheadFrames;

    @Option(names = "--read-ahead-bytes", paramLabel = "BYTES", description = "At most this many bytes of received events "
            + "held before printing: at the bound the client stops asking for more (back-pressure to the server; default: "
            + ClientOptions.DEFAULT_READ_AHEAD_BYTES + ").")
    Integer readAheadBytes;

    /** What one subscription attempt ended with. */
    private final AtomicReference<TreecastClientException> error = new AtomicReference<>();
    private final AtomicInteger printed = new AtomicInteger();
    /** Events received by the current attempt. */
    private final AtomicInteger events = new AtomicInteger();
    /** The last seq fully printed (-1: none), to resume after. */
    private volatile long lastSeq = -1;
    /** True once the snapshot (when asked for) ended, so that a resume needs none. */
    private volatile boolean snapshotDone;
    private volatile boolean finished;

    @Override
    public Integer call() throws InterruptedException {
        if (count != null && count < 1) {
            throw new Errors.UsageException("--count " + count + " must be at least 1: leave it out to print until Ctrl-C");
        }
        if (resumeAfter != null && resumeAfter < 0) {
            throw new Errors.UsageException("--resume-after " + resumeAfter + " must be a seq (0 or more)");
        }
        if (resumeAfter != null) {
            lastSeq = resumeAfter;
        }
        snapshotDone = !snapshot;
        PrintWriter out = spec.commandLine().getOut();
        PrintWriter err = spec.commandLine().getErr();
        long backoff = FIRST_BACKOFF_MS;
        try (TreecastClient c = client.connect(this::readAhead)) {
            while (true) {
                error.set(null);
                CountDownLatch done = new CountDownLatch(1);
                ClientSubscription sub = c.subscribe(nextSpec(), e -> print(e, out, done), e -> {
                    error.set(e);
                    done.countDown();
                });
                try {
                    done.await();
                } finally {
                    sub.cancel();
                }
                TreecastClientException e = error.get();
                if (finished || e == null || !reconnect || !retryable(e)) {
                    break;
                }
                if (!client.quiet) {
                    err.println("note: subscription ended (" + e.code() + ": " + e.reason() + "); subscribing again"
                            + (lastSeq >= 0 && snapshotDone ? " to resume after seq " + lastSeq : ""));
                    err.flush();
                }
                // a server restarting refuses connections for a while: back off as the Mirror does, without spinning
                TimeUnit.MILLISECONDS.sleep(backoff);
                // an attempt that got events was a working connection: the next loss starts the backoff afresh
                backoff = events.getAndSet(0) > 0 ? FIRST_BACKOFF_MS : Math.min(MAX_BACKOFF_MS, backoff * 2);
            }
        }
        if (error.get() != null && !finished) {
            throw error.get();
        }
        return ExitCodes.OK;
    }

    /** The read-ahead flags applied to the client's options; a bad value is a usage error naming its flag. */
    private ClientOptions readAhead(ClientOptions o) {
        try {
            o = readAheadFrames == null ? o : o.readAheadFrames(readAheadFrames);
        } catch (IllegalArgumentException e) {
            throw new Errors.UsageException("--read-ahead-frames: " + e.getMessage());
        }
        try {
            return readAheadBytes == null ? o : o.readAheadBytes(readAheadBytes);
        } catch (IllegalArgumentException e) {
            throw new Errors.UsageException("--read-ahead-bytes: " + e.getMessage());
        }
    }

    /** The first subscription as asked; a later one resumes after the last seq printed (or snapshots again). */
    private SubscribeSpec nextSpec() {
        SubscribeSpec s = SubscribeSpec.pattern(pattern).policy(strict ? Policy.STRICT : Policy.CONFLATE);
        if (!snapshotDone) {
            return s.snapshot(true);
        }
        return lastSeq >= 0 ? s.resumeAfter(lastSeq) : s;
    }

    /** Errors that a new subscription can get past; a refusal (bad pattern, token) ends the command. */
    private static boolean retryable(TreecastClientException e) {
        switch (e.code()) {
            case CONNECTION:
            case SHUTTING_DOWN:
            case UNAVAILABLE:
            case SLOW_CONSUMER:
            case OVERLOADED:
            case TOO_MANY_CONNECTIONS:
            case TIMEOUT:
                return true;
            default:
                return false;
        }
    }

    private void print(TreeEvent e, PrintWriter out, CountDownLatch done) {
        if (finished || done.getCount() == 0) {
            return;
        }
        events.incrementAndGet();
        if (e.kind() == TreeEvent.Kind.SNAPSHOT_END || e.kind() == TreeEvent.Kind.RESET) {
            if (client.json) {
                out.println("{\"kind\":\"" + e.kind() + "\",\"seq\":" + e.seq() + "}");
            } else if (!client.quiet) {
                out.println(e.kind() == TreeEvent.Kind.RESET ? "# reset" : "# snapshot end at seq " + e.seq());
            }
            if (e.kind() == TreeEvent.Kind.SNAPSHOT_END) {
                snapshotDone = true;
                lastSeq = e.seq();
            } else {
                // the server will send a fresh snapshot: until it ends, a resume would skip it
                snapshotDone = false;
            }
        } else {
            for (LeafChange c : e.changes()) {
                if (client.json) {
                    out.println("{\"kind\":\"" + e.kind() + "\"," + Values.leafFields(c)
                            + (e.conflated() ? ",\"conflated\":true" : "") + "}");
                } else {
                    out.println("[" + c.seq() + "] " + Values.leafText(c) + (e.conflated() ? " (conflated)" : ""));
                }
                if (count != null && printed.incrementAndGet() >= count) {
                    out.flush();
                    finished = true;
                    done.countDown();
                    return;
                }
            }
            if (e.kind() != TreeEvent.Kind.SNAPSHOT && snapshotDone) {
                lastSeq = Math.max(lastSeq, e.seq());
            }
        }
        out.flush();
    }
}
