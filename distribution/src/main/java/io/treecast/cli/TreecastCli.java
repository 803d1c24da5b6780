package io.treecast.cli;

import io.treecast.cli.internal.Errors;
import picocli.CommandLine;
import picocli.CommandLine.Command;

import java.io.PrintStream;
import java.io.PrintWriter;
import java.nio.charset.StandardCharsets;

/**
 * The {@code treecast} entry point. Errors are printed as {@code error: <CODE>: <message>} on stderr with an exit
 * code from {@link ExitCodes}.
 */
@Command(name = "treecast", mixinStandardHelpOptions = true, versionProvider = TreecastCli.Version.class,
        description = "Treecast: a broker for live tree-shaped data.",
        subcommands = {ServeCommand.class, SetCommand.class, DeleteCommand.class, GetCommand.class, SubCommand.class,
                BenchCommand.class, StateCommand.class, CommandLine.HelpCommand.class})
public final class TreecastCli implements Runnable {
    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    public static void main(String[] args) {
        System.exit(run(args, System.out, System.err));
    }

    /** Runs one command line with the given streams and returns its exit code (tests call this). */
    public static int run(String[] args, PrintStream out, PrintStream err) {
        CommandLine cl = commandLine(out, err);
        return cl.execute(args);
    }

    /** The configured picocli command line (exception handler, streams). */
    public static CommandLine commandLine(PrintStream out, PrintStream err) {
        CommandLine cl = new CommandLine(new TreecastCli());
        cl.setOut(new PrintWriter(out, true, StandardCharsets.UTF_8));
        cl.setErr(new PrintWriter(err, true, StandardCharsets.UTF_8));
        cl.setExecutionExceptionHandler((e, commandLine, parseResult) -> Errors.report(e, commandLine.getErr()));
        cl.setParameterExceptionHandler((e, args) -> {
            CommandLine c = e.getCommandLine();
            c.getErr().println("error: USAGE: " + e.getMessage());
            c.getErr().println("try: " + c.getCommandSpec().qualifiedName() + " --help");
            return ExitCodes.USAGE;
        });
        return cl;
    }

    @Override
    public void run() {
        spec.commandLine().usage(spec.commandLine().getOut());
    }

    /** The version from the jar manifest, or "dev" when run from classes. */
    public static String version() {
        String v = TreecastCli.class.getPackage().getImplementationVersion();
        return v == null ? "dev" : v;
    }

    static final class Version implements CommandLine.IVersionProvider {
        @Override
        public String[] getVersion() {
            return new String[]{"treecast " + version() + " (Java " + Runtime.version() + ")"};
        }
    }
}
