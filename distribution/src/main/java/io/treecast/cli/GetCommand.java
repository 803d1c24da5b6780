package io.treecast.cli;

import io.treecast.cli.internal.ClientFlags;
import io.treecast.cli.internal.Values;
import io.treecast.client.LeafChange;
import io.treecast.client.Snapshot;
import io.treecast.client.TreecastClient;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;
import picocli.CommandLine.Model.CommandSpec;

import java.io.PrintWriter;
import java.util.concurrent.Callable;

/**
 * {@code treecast get <pattern>}: {@code path = value} lines and a {@code # N leaves at seq S} footer; under
 * {@code --json} one object per leaf and a last {@code {"kind":"END","leaves":N,"seq":S}}.
 */
@Command(name = "get", mixinStandardHelpOptions = true, versionProvider = TreecastCli.Version.class,
        description = "Print the leaves matching a pattern, exact at one seq.")
public final class GetCommand implements Callable<Integer> {
    @Spec
    CommandSpec spec;
    @Mixin
    ClientFlags client;

    @Parameters(index = "0", paramLabel = "PATTERN", description = "e.g. markets/*/fx/** or markets/{eu,us}/eq/*/last")
    String pattern;

    @Override
    public Integer call() {
        try (TreecastClient c = client.connect()) {
            Snapshot s = c.get(pattern);
            PrintWriter out = spec.commandLine().getOut();
            for (LeafChange l : s.leaves()) {
                out.println(client.json ? "{" + Values.leafFields(l) + "}" : Values.leafText(l));
            }
            // the footer says at which seq the answer is exact, also when it is empty
            if (client.json) {
                out.println("{\"kind\":\"END\",\"leaves\":" + s.leaves().size() + ",\"seq\":" + s.seq() + "}");
            } else if (!client.quiet) {
                out.println("# " + s.leaves().size() + " leaves at seq " + s.seq());
            }
            out.flush();
        }
        return ExitCodes.OK;
    }
}
