package io.treecast.cli;

/** The process exit codes of every {@code treecast} command (also listed in distribution/README.md). */
public final class ExitCodes {
    /** Success. */
    public static final int OK = 0;
    /** The server (or the client-side validation) refused the request: {@code error: <CODE>: <message>}. */
    public static final int REFUSED = 1;
    /** Bad command-line usage (unknown flag, missing argument, bad type). */
    public static final int USAGE = 2;
    /** The server could not be reached or the connection was lost ({@code error: CONNECTION: ...}). */
    public static final int CONNECTION = 3;
    /** The server configuration is invalid ({@code error: INVALID_CONFIG: ...}). */
    public static final int CONFIG = 4;
    /** {@code bench}: a run lost, conflated or ended a subscription, or find-max found no passing rate. */
    public static final int BENCH_FAILED = 5;
    /**
     * {@code serve} or {@code state}: the data dir (or state dir) is in use by another Treecast process
     * ({@code error: DATA_DIR_LOCKED: ...}); nothing in it was touched.
     */
    public static final int DATA_DIR_LOCKED = 6;
    /**
     * {@code serve}: a listener's address is in use by another process ({@code error: ADDRESS_IN_USE: ...}); the
     * message names the address and the flags/keys that move it.
     */
    public static final int ADDRESS_IN_USE = 7;
    /**
     * {@code serve}: the embedded Kafka broker stopped making progress before it served
     * ({@code error: BROKER_NOT_STARTED: ...}); the message names its log and {@code durability.start-timeout-ms}.
     */
    public static final int BROKER_NOT_STARTED = 8;
    /** An unexpected failure (a bug): {@code error: INTERNAL: ...}. */
    public static final int INTERNAL = 70;

    private ExitCodes() {
    }
}
