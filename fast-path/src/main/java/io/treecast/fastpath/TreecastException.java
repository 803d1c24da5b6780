package io.treecast.fastpath;

/**
 * An error with a stable {@link ErrorCode} and a message that tells a person what to change.
 *
 * <pre>{@code
 * try {
 *     TreePath.parse("markets//bid");
 * } catch (TreecastException e) {
 *     e.code();     // INVALID_PATH
 *     e.getMessage(); // "invalid path \"markets//bid\": segment 2 is empty"
 * }
 * }</pre>
 */
public final class TreecastException extends RuntimeException {
    private static final long serialVersionUID = 1L;
    private final ErrorCode code;

    public TreecastException(ErrorCode code, String message) {
        super(message, null, false, false); // no stack trace: these are expected, client-caused errors
        this.code = code;
    }

    /** The machine-readable code. */
    public ErrorCode code() {
        return code;
    }
}
