package io.treecast.cli;

import io.treecast.cli.internal.ClientFlags;
import io.treecast.cli.internal.Values;
import io.treecast.client.AckMode;
import io.treecast.client.TreeValue;
import io.treecast.client.TreecastClient;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;
import picocli.CommandLine.Model.CommandSpec;

import java.util.concurrent.Callable;

/** {@code treecast set <path> <value>}: prints {@code ok seq=N} or {@code {"seq":N}}. */
@Command(name = "set", mixinStandardHelpOptions = true, versionProvider = TreecastCli.Version.class,
        description = "Set one leaf. A value that reads as true/false, an integer or a decimal is typed so, unless --type says otherwise.")
public final class SetCommand implements Callable<Integer> {
    @Spec
    CommandSpec spec;
    @Mixin
    ClientFlags client;

    @Parameters(index = "0", paramLabel = "PATH", description = "e.g. markets/eu/fx/EURUSD/bid")
    String path;

    @Parameters(index = "1", paramLabel = "VALUE")
    String value;

    @Option(names = "--type", paramLabel = "TYPE", description = "string, int, double, bool or bytes (base64); default: guessed.")
    String type;

    @Option(names = "--durable", description = "Answer only once the change is durable (ack DURABLE).")
    boolean durable;

    @Override
    public Integer call() {
        TreeValue v = Values.parse(value, type);
        try (TreecastClient c = client.connect()) {
            long seq = c.update(b -> b.set(path, v), durable ? AckMode.DURABLE : AckMode.APPLIED);
            if (client.json) {
                spec.commandLine().getOut().println("{\"seq\":" + seq + "}");
            } else if (!client.quiet) {
                spec.commandLine().getOut().println("ok seq=" + seq);
            }
        }
        return ExitCodes.OK;
    }
}
