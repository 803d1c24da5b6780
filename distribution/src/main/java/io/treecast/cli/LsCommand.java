package io.treecast.cli;

import io.treecast.cli.internal.ClientFlags;
import io.treecast.cli.internal.Errors;
import io.treecast.cli.internal.Values;
import io.treecast.client.Children;
import io.treecast.client.TreecastClient;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;
import picocli.CommandLine.Model.CommandSpec;

import java.io.PrintWriter;
import java.util.concurrent.Callable;

/**
 * {@code treecast ls [<path>]}: the direct children of a node (route {@code tree.children}), sorted by name, one per
 * line, an inner node with a trailing {@code /}, and a {@code # N children at seq S} footer; under {@code --json}
 * one {@code {"name":..,"leaf":..}} per child and a last {@code {"kind":"END","children":N,"seq":S,"more":..}}
 * (with {@code "after":NAME} when more follow). Fetches 1000 names a time until the end or {@code --limit}.
 *
 * <pre>{@code
 * treecast ls                        # the root's children
 * treecast ls markets/eu/            # a trailing '/' is allowed (as ls prints inner nodes)
 * treecast ls markets --limit 100 --after EURUSD --json
 * }</pre>
 */
@Command(name = "ls", mixinStandardHelpOptions = true, versionProvider = TreecastCli.Version.class,
        description = "List the direct children of a node, sorted by name (inner nodes end with '/').")
public final class LsCommand implements Callable<Integer> {
    /** Names asked for per request: the server's default page. */
    static final int PAGE = 1000;

    @Spec
    CommandSpec spec;
    @Mixin
    ClientFlags client;

    @Parameters(index = "0", arity = "0..1", defaultValue = "", paramLabel = "PATH",
            description = "the node, e.g. markets/eu (default: the root)")
    String path;

    @Option(names = "--limit", paramLabel = "N", description = "Print at most N children (default: all of them).")
    Integer limit;

    @Option(names = "--after", paramLabel = "NAME", defaultValue = "",
            description = "Only children whose name sorts after NAME (to go on from where a --limit stopped).")
    String after;

    @Override
    public Integer call() {
        if (limit != null && limit < 1) {
            throw new Errors.UsageException("--limit " + limit + " must be at least 1: leave it out to list every child");
        }
        // ls prints inner nodes as "name/": the same text typed back names the node
        String node = path.endsWith("/") ? path.substring(0, path.length() - 1) : path;
        try (TreecastClient c = client.connect()) {
            PrintWriter out = spec.commandLine().getOut();
            long seq = -1;
            int printed = 0;
            String from = after;
            boolean more;
            while (true) {
                Children page = c.children(node, limit == null ? PAGE : Math.min(PAGE, limit - printed), from);
                if (seq < 0) {
                    seq = page.seq(); // the listing is not a snapshot: it tells when it started
                }
                for (Children.Child child : page.children()) {
                    out.println(client.json ? "{\"name\":" + Values.quote(child.name()) + ",\"leaf\":" + child.leaf() + "}"
                            : child.leaf() ? child.name() : child.name() + "/");
                    printed++;
                }
                more = page.more();
                from = page.nextAfter();
                if (from == null || (limit != null && printed >= limit)) {
                    break;
                }
            }
            if (client.json) {
                out.println("{\"kind\":\"END\",\"children\":" + printed + ",\"seq\":" + seq + ",\"more\":" + more
                        + (more && from != null ? ",\"after\":" + Values.quote(from) : "") + "}");
            } else if (!client.quiet) {
                out.println("# " + printed + " children at seq " + seq
                        + (more && from != null ? ", more after " + from + " (--after " + from + ")" : ""));
            }
            out.flush();
        }
        return ExitCodes.OK;
    }
}
