package io.treecast.gateway.internal;

import io.rsocket.exceptions.ApplicationErrorException;
import io.rsocket.exceptions.RejectedSetupException;
import io.treecast.fastpath.ErrorCode;
import io.treecast.fastpath.TreecastException;

import java.util.concurrent.CompletionException;

/** Builds the wire errors: the RSocket error message is always {@code "<CODE>: <human message>"}. */
public final class Errors {
    private Errors() {
    }

    public static ApplicationErrorException application(ErrorCode code, String message) {
        return new ApplicationErrorException(code.name() + ": " + message);
    }

    public static RejectedSetupException rejectedSetup(ErrorCode code, String message) {
        return new RejectedSetupException(code.name() + ": " + message);
    }

    /** Maps any failure to an application error; anything not a {@link TreecastException} is INTERNAL. */
    public static ApplicationErrorException application(Throwable t) {
        Throwable cause = t instanceof CompletionException && t.getCause() != null ? t.getCause() : t;
        if (cause instanceof ApplicationErrorException) {
            return (ApplicationErrorException) cause;
        }
        if (cause instanceof TreecastException) {
            TreecastException e = (TreecastException) cause;
            return application(e.code(), e.getMessage());
        }
        return application(ErrorCode.INTERNAL, "the server failed on this request (" + cause.getClass().getSimpleName()
                + "); it was counted and logged, please report it");
    }
}
