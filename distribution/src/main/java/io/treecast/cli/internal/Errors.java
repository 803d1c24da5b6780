package io.treecast.cli.internal;

import io.treecast.cli.ExitCodes;
import io.treecast.client.TreecastClientException;
import io.treecast.durability.DataDirLockedException;
import io.treecast.fastpath.TreecastException;
import io.treecast.gateway.ConfigException;

import java.io.PrintWriter;

/** Turns any failure into one {@code error: <CODE>: <message>} line and an exit code. */
public final class Errors {
    private Errors() {
    }

    /** Prints {@code e} and returns the exit code for it. */
    public static int report(Throwable e, PrintWriter err) {
        Throwable t = unwrap(e);
        if (t instanceof TreecastClientException) {
            TreecastClientException c = (TreecastClientException) t;
            err.println("error: " + c.code() + ": " + c.reason());
            return c.code() == TreecastClientException.Code.CONNECTION ? ExitCodes.CONNECTION : ExitCodes.REFUSED;
        }
        if (t instanceof TreecastException) {
            TreecastException c = (TreecastException) t;
            err.println("error: " + c.code() + ": " + c.getMessage());
            return ExitCodes.REFUSED;
        }
        if (t instanceof ConfigException) {
            err.println("error: INVALID_CONFIG: " + t.getMessage());
            return ExitCodes.CONFIG;
        }
        if (t instanceof DataDirLockedException) {
            err.println("error: DATA_DIR_LOCKED: " + t.getMessage());
            return ExitCodes.DATA_DIR_LOCKED;
        }
        if (t instanceof UsageException || t instanceof IllegalArgumentException) {
            err.println("error: USAGE: " + t.getMessage());
            return ExitCodes.USAGE;
        }
        err.println("error: INTERNAL: " + t);
        t.printStackTrace(err);
        return ExitCodes.INTERNAL;
    }

    private static Throwable unwrap(Throwable e) {
        Throwable t = e;
        while (t.getCause() != null && !(t instanceof TreecastClientException) && !(t instanceof TreecastException)
                && !(t instanceof ConfigException) && !(t instanceof UsageException)
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
