package io.treecast.cli;

import io.treecast.cli.internal.ClientFlags;
import io.treecast.cli.internal.Values;
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
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;

/**
 * {@code treecast sub <pattern>}: one line per leaf change as it arrives ({@code [seq] path = value}), plus marker
 * lines {@code # snapshot end at seq N} and {@code # reset}. {@code --count N} stops after N leaf lines.
 */
@Command(name = "sub", mixinStandardHelpOptions = true, versionProvider = TreecastCli.Version.class,
        description = "Print the changes of the leaves matching a pattern as they happen (Ctrl-C to stop).")
public final class SubCommand implements Callable<Integer> {
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

    @Option(names = "--count", paramLabel = "N", description = "Stop after N leaf lines (snapshot leaves included).")
    Integer count;

    @Override
    public Integer call() throws InterruptedException {
        SubscribeSpec s = SubscribeSpec.pattern(pattern).snapshot(snapshot).policy(strict ? Policy.STRICT : Policy.CONFLATE);
        if (resumeAfter != null) {
            s = s.resumeAfter(resumeAfter);
        }
        PrintWriter out = spec.commandLine().getOut();
        CountDownLatch done = new CountDownLatch(1);
        AtomicReference<TreecastClientException> error = new AtomicReference<>();
        AtomicInteger printed = new AtomicInteger();
        try (TreecastClient c = client.connect()) {
            ClientSubscription sub = c.subscribe(s, e -> print(e, out, printed, done), e -> {
                error.set(e);
                done.countDown();
            });
            try {
                done.await();
            } finally {
                sub.cancel();
            }
        }
        if (error.get() != null) {
            throw error.get();
        }
        return ExitCodes.OK;
    }

    private void print(TreeEvent e, PrintWriter out, AtomicInteger printed, CountDownLatch done) {
        if (done.getCount() == 0) {
            return;
        }
        if (e.kind() == TreeEvent.Kind.SNAPSHOT_END || e.kind() == TreeEvent.Kind.RESET) {
            out.println(client.json ? "{\"kind\":\"" + e.kind() + "\",\"seq\":" + e.seq() + "}"
                    : e.kind() == TreeEvent.Kind.RESET ? "# reset" : "# snapshot end at seq " + e.seq());
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
                    done.countDown();
                    return;
                }
            }
        }
        out.flush();
    }
}
