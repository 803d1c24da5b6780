package io.treecast.client;

/**
 * An error answered by the server (or met on the way), with a stable {@link #code()} and a message for people.
 *
 * <pre>{@code
 * try {
 *     client.set("markets//bid", 1.0);
 * } catch (TreecastClientException e) {
 *     if (e.code() == TreecastClientException.Code.INVALID_PATH) ...
 * }
 * }</pre>
 */
public final class TreecastClientException extends RuntimeException {
    private static final long serialVersionUID = 1L;

    /** The server's error codes (fast-path's ErrorCode, see proto/README.md; kept equal by WireEnumsAgreeTest) plus the client's own. */
    public enum Code {
        INVALID_PATH, INVALID_PATTERN, INVALID_VALUE, VALUE_TOO_LARGE, INVALID_BATCH, INVALID_REQUEST, MALFORMED,
        UNKNOWN_ROUTE, WRONG_INTERACTION, TOO_MANY_SUBSCRIPTIONS, TOO_MANY_CONNECTIONS, UNAUTHORIZED, FORBIDDEN,
        OVERLOADED, SLOW_CONSUMER, UNAVAILABLE, TIMEOUT, SHUTTING_DOWN, INTERNAL, RESOURCE_EXHAUSTED,
        /** Client side: the connection could not be made or was lost. */
        CONNECTION,
        /** Client side: the client was closed by the application. */
        CLOSED,
        /** Client side: the server sent an error without a known code. */
        UNKNOWN
    }

    private final Code code;
    private final String serverMessage;

    public TreecastClientException(Code code, String message, Throwable cause) {
        super(code + ": " + message, cause);
        this.code = code;
        this.serverMessage = message;
    }

    public Code code() {
        return code;
    }

    /** The message without the code prefix. */
    public String reason() {
        return serverMessage;
    }

    /** For SLOW_CONSUMER: the last seq delivered (from "... last seq N"), or -1. */
    public long lastSeq() {
        int i = serverMessage.lastIndexOf("last seq ");
        if (i < 0) {
            return -1;
        }
        try {
            return Long.parseLong(serverMessage.substring(i + 9).trim());
        } catch (NumberFormatException e) {
            return -1;
        }
    }
}
