package io.treecast.cli;

import io.treecast.cli.internal.ClientFlags;
import io.treecast.client.TreecastClient;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;
import picocli.CommandLine.Model.CommandSpec;

import java.util.concurrent.Callable;

/** {@code treecast delete <path>}: deletes a leaf or a whole subtree. */
@Command(name = "delete", mixinStandardHelpOptions = true, versionProvider = TreecastCli.Version.class,
        description = "Delete a leaf or a whole subtree.")
public final class DeleteCommand implements Callable<Integer> {
    @Spec
    CommandSpec spec;
    @Mixin
    ClientFlags client;

    @Parameters(index = "0", paramLabel = "PATH")
    String path;

    @Override
    public Integer call() {
        try (TreecastClient c = client.connect()) {
            long seq = c.delete(path);
            if (client.json) {
                spec.commandLine().getOut().println("{\"seq\":" + seq + "}");
            } else if (!client.quiet) {
                spec.commandLine().getOut().println("ok seq=" + seq);
            }
        }
        return ExitCodes.OK;
    }
}
