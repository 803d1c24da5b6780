package io.treecast.cli;

import io.treecast.cli.internal.Errors;
import picocli.CommandLine;
import picocli.CommandLine.Command;

import java.io.PrintStream;
import java.io.PrintWriter;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Set;

/**
 * The {@code treecast} entry point. Errors are printed as {@code error: <CODE>: <message>} on stderr with an exit
 * code from {@link ExitCodes}.
 *
 * <p>The commands are registered by name rather than in the annotation, so that the client commands ({@code set},
 * {@code get}, {@code ls}, {@code sub}, {@code delete}) run on the slim class path bin/treecast gives them (no Kafka, no
 * server): picocli reflects on every registered command class, and the server commands' signatures name server types.
 */
@Command(name = "treecast", mixinStandardHelpOptions = true, versionProvider = TreecastCli.Version.class,
        description = "Treecast: a broker for live tree-shaped data.")
public final class TreecastCli implements Runnable {
    /** The commands that need only the client's libraries (bin/treecast runs them on lib/client.classpath). */
    public static final Set<String> CLIENT_COMMANDS = Set.of("set", "delete", "get", "ls", "sub");

    /** Every command in the order {@code --help} lists them. */
    static final List<String> COMMANDS = List.of("serve", "set", "delete", "get", "ls", "sub", "bench", "state", "completion", "help");

    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    public static void main(String[] args) {
        io.treecast.cli.internal.EventLoopCount.applyDefault();
        boolean clientCommand = args.length > 0 && CLIENT_COMMANDS.contains(args[0]);
        if (clientCommand) {
            // before the first logger: logging set up in code, not by parsing the server's logback.xml
            System.setProperty(io.treecast.cli.internal.ClientLogConfigurator.PROPERTY, "true");
        }
        int code = run(args, System.out, System.err);
        if (clientCommand) {
            io.treecast.cli.internal.EventLoopShutdown.stopSharedEventLoops();
        }
        System.exit(code);
    }

    /** Runs one command line with the given streams and returns its exit code (tests call this). */
    public static int run(String[] args, PrintStream out, PrintStream err) {
        CommandLine cl = commandLine(out, err, args.length > 0 && CLIENT_COMMANDS.contains(args[0]) ? args[0] : null);
        return cl.execute(args);
    }

    /** The configured picocli command line (exception handler, streams) with every command. */
    public static CommandLine commandLine(PrintStream out, PrintStream err) {
        return commandLine(out, err, null);
    }

    /** With only {@code onlyCommand} registered when it is not null (a client command: no server class is touched). */
    static CommandLine commandLine(PrintStream out, PrintStream err, String onlyCommand) {
        CommandLine cl = new CommandLine(new TreecastCli());
        for (String name : onlyCommand == null ? COMMANDS : List.of(onlyCommand)) {
            cl.addSubcommand(name, command(name));
        }
        cl.setOut(new PrintWriter(out, true, StandardCharsets.UTF_8));
        cl.setErr(new PrintWriter(err, true, StandardCharsets.UTF_8));
        cl.setExecutionExceptionHandler((e, commandLine, parseResult) -> Errors.report(e, commandLine));
        cl.setParameterExceptionHandler(Errors::reportUsage);
        return cl;
    }

    private static Object command(String name) {
        switch (name) {
            case "serve": return ServeCommand.class;
            case "set": return SetCommand.class;
            case "delete": return DeleteCommand.class;
            case "get": return GetCommand.class;
            case "ls": return LsCommand.class;
            case "sub": return SubCommand.class;
            case "bench": return BenchCommand.class;
            case "state": return StateCommand.class;
            case "completion": return CompletionCommand.class;
            case "help": return CommandLine.HelpCommand.class;
            default: throw new IllegalArgumentException(name);
        }
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
