package io.treecast.cli.internal;

import io.treecast.cli.ExitCodes;
import io.treecast.client.TreecastClientException;
import picocli.CommandLine;

import java.io.PrintWriter;
import java.net.BindException;
import java.util.Locale;

/**
 * Turns any failure into one {@code error: <CODE>: <message>} line (or, under {@code --json}, one
 * {@code {"error":CODE,"message":...,"exit":N}} line) on stderr and an exit code. Only a bug ({@code INTERNAL})
 * prints a stack trace, and with {@code -v} any error does.
 *
 * <p>The server-side exceptions are recognised by class name: the client commands run on a class path without the
 * server's modules (bin/treecast), where an {@code instanceof} naming them would fail.
 */
public final class Errors {
    private Errors() {
    }

    /** One error as the CLI prints it: a code, a message and the exit code. */
    public record Failure(String code, String message, int exit) {
    }

    /** Prints {@code e} for the command of {@code commandLine} and returns the exit code for it. */
    public static int report(Throwable e, CommandLine commandLine) {
        ClientFlags flags = ClientFlags.of(commandLine);
        Failure f = classify(e, flags);
        PrintWriter err = commandLine.getErr();
        print(f, flags != null && flags.json, err);
        if (f.exit() == ExitCodes.INTERNAL || (flags != null && flags.verbose)) {
            e.printStackTrace(err);
        }
        err.flush();
        return f.exit();
    }

    /** Prints {@code e} (no command context: text, no flags) and returns the exit code for it. */
    public static int report(Throwable e, PrintWriter err) {
        Failure f = classify(e, null);
        print(f, false, err);
        if (f.exit() == ExitCodes.INTERNAL) {
            e.printStackTrace(err);
        }
        err.flush();
        return f.exit();
    }

    /** picocli's parameter errors: one USAGE line, "did you mean" for a mistyped command or flag, and where to look. */
    public static int reportUsage(CommandLine.ParameterException e, String[] args) {
        CommandLine c = e.getCommandLine();
        PrintWriter err = c.getErr();
        boolean json = java.util.Arrays.asList(args).contains("--json");
        print(new Failure("USAGE", e.getMessage(), ExitCodes.USAGE), json, err);
        if (!json) {
            if (e instanceof CommandLine.UnmatchedArgumentException) {
                var suggestions = ((CommandLine.UnmatchedArgumentException) e).getSuggestions();
                if (!suggestions.isEmpty()) {
                    err.println("did you mean: " + c.getCommandSpec().qualifiedName() + " " + suggestions.get(0) + "?");
                }
            }
            err.println("try: " + c.getCommandSpec().qualifiedName() + " --help");
        }
        err.flush();
        return ExitCodes.USAGE;
    }

    private static void print(Failure f, boolean json, PrintWriter err) {
        if (json) {
            err.println("{\"error\":" + Values.quote(f.code()) + ",\"message\":" + Values.quote(f.message())
                    + ",\"exit\":" + f.exit() + "}");
        } else {
            err.println("error: " + f.code() + ": " + f.message());
        }
    }

    /** The code, message and exit code for {@code e}; {@code flags} (may be null) adds the client's context. */
    public static Failure classify(Throwable e, ClientFlags flags) {
        Throwable t = unwrap(e);
        if (t instanceof TreecastClientException) {
            TreecastClientException c = (TreecastClientException) t;
            String reason = c.reason();
            if (c.code() == TreecastClientException.Code.UNAUTHORIZED) {
                reason += ": give the token with --token or the environment variable TREECAST_TOKEN";
            }
            if (flags != null && reason.contains("WebSocketClientHandshakeException")) {
                reason += ": is " + flags.url + " a Treecast server's WebSocket endpoint (ws://host:7071/rsocket)?";
            }
            // a server shutting down is a connection that goes away: the same exit code as a lost one
            boolean gone = c.code() == TreecastClientException.Code.CONNECTION || c.code() == TreecastClientException.Code.SHUTTING_DOWN;
            return new Failure(c.code().name(), reason, gone ? ExitCodes.CONNECTION : ExitCodes.REFUSED);
        }
        if (isA(t, "io.treecast.fastpath.TreecastException")) {
            return new Failure(codeOf(t), t.getMessage(), ExitCodes.REFUSED);
        }
        if (isA(t, "io.treecast.gateway.ConfigException")) {
            return new Failure("INVALID_CONFIG", t.getMessage(), ExitCodes.CONFIG);
        }
        if (isA(t, "io.treecast.durability.DataDirLockedException")) {
            return new Failure("DATA_DIR_LOCKED", t.getMessage(), ExitCodes.DATA_DIR_LOCKED);
        }
        if (isA(t, "io.treecast.durability.BrokerStartException")) {
            return new Failure("BROKER_NOT_STARTED", t.getMessage(), ExitCodes.BROKER_NOT_STARTED);
        }
        if (t instanceof UsageException || t instanceof IllegalArgumentException) {
            return new Failure("USAGE", t.getMessage(), ExitCodes.USAGE);
        }
        BindException bind = find(e, BindException.class);
        if (bind != null || isAddressInUse(e)) {
            return new Failure("ADDRESS_IN_USE", addressInUse(e), ExitCodes.ADDRESS_IN_USE);
        }
        if (isBlockTimeout(t) && flags != null) {
            return new Failure("CONNECTION", flags.noAnswer(), ExitCodes.CONNECTION);
        }
        return new Failure("INTERNAL", String.valueOf(t), ExitCodes.INTERNAL);
    }

    /** Reactor's {@code block(Duration)} gives up with an IllegalStateException "Timeout on blocking read ...". */
    static boolean isBlockTimeout(Throwable t) {
        return t instanceof IllegalStateException && t.getMessage() != null && t.getMessage().startsWith("Timeout on blocking read");
    }

    private static boolean isAddressInUse(Throwable e) {
        for (Throwable t = e; t != null; t = t.getCause()) {
            if (isA(t, "reactor.netty.ChannelBindException")
                    || t.getMessage() != null && t.getMessage().toLowerCase(Locale.ROOT).contains("address already in use")) {
                return true;
            }
        }
        return false;
    }

    /** Names the address (Netty's message carries it) and the keys that move the listeners. */
    private static String addressInUse(Throwable e) {
        String detail = null;
        for (Throwable t = e; t != null; t = t.getCause()) {
            if (t.getMessage() != null && (t.getMessage().contains("in use") || isA(t, "reactor.netty.ChannelBindException"))) {
                detail = t.getMessage();
            }
        }
        return (detail == null ? "cannot listen: the address is in use" : detail)
                + ": the address is in use or not this machine's; another process (perhaps another treecast serve) has the port; stop it, or choose other ports with "
                + "--tcp-port / --ws-port (tcp.port, websocket.port; 0 = any free port)";
    }

    private static String codeOf(Throwable t) {
        try {
            return String.valueOf(t.getClass().getMethod("code").invoke(t));
        } catch (ReflectiveOperationException e) {
            return "REFUSED";
        }
    }

    /** True when {@code t}'s class or a superclass is named {@code className}. */
    static boolean isA(Throwable t, String className) {
        for (Class<?> c = t.getClass(); c != null; c = c.getSuperclass()) {
            if (c.getName().equals(className)) {
                return true;
            }
        }
        return false;
    }

    private static <T extends Throwable> T find(Throwable e, Class<T> type) {
        for (Throwable t = e; t != null; t = t.getCause()) {
            if (type.isInstance(t)) {
                return type.cast(t);
            }
        }
        return null;
    }

    private static Throwable unwrap(Throwable e) {
        Throwable t = e;
        while (t.getCause() != null && !(t instanceof TreecastClientException) && !isA(t, "io.treecast.fastpath.TreecastException")
                && !isA(t, "io.treecast.gateway.ConfigException") && !(t instanceof UsageException)
                && (t.getClass().getName().startsWith("reactor.") || t instanceof java.util.concurrent.ExecutionException
                || t instanceof java.io.UncheckedIOException)) {
            t = t.getCause();
        }
        return t;
    }

    /** A value on the command line that picocli accepted but that makes no sense (e.g. bad base64). */
    public static final class UsageException extends IllegalArgumentException {
        private static final long serialVersionUID = 1L;

        public UsageException(String message) {
            super(message);
        }
    }
}
