package io.treecast.fastpath;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * Runs background work at a lower CPU priority than the fast path, so that on a machine with few cores it takes the
 * CPU the writer, the dispatchers and the event loops leave over instead of competing with them for it: the engine's
 * snapshot thread ({@code internal.SnapshotWorker}), and in durability the journal, the Kafka clients, the Kafka Streams state
 * and the embedded broker (BENCHMARKS.md, "Journal on vs off"). It lives here, in the fast path, so that both reach
 * the one implementation.
 *
 * <p>On Linux a thread's nice value is its own and is inherited by the threads and processes it creates. So the
 * durability code lowers one thread and creates everything else from it: the Kafka producer's I/O thread, the Kafka
 * Streams threads (and RocksDB's native threads they create), the admin client and the embedded broker's child JVM.
 * Lowering goes through {@code renice} on the thread's id read from {@code /proc/thread-self}; raising a nice value
 * needs no privilege. Where either is missing (not Linux, no {@code renice}) the work runs at normal priority and one
 * line says so.
 *
 * <pre>{@code
 * KafkaProducer<byte[], byte[]> producer = BackgroundPriority.callLowered(10, "treecast-durability-start",
 *         () -> new KafkaProducer<>(props));   // its I/O thread runs 10 nice steps below the caller
 * }</pre>
 */
public final class BackgroundPriority {
    private static final System.Logger LOG = System.getLogger(BackgroundPriority.class.getName());
    private static final Path THREAD_SELF = Path.of("/proc/thread-self");
    private static final AtomicBoolean REPORTED = new AtomicBoolean();

    private BackgroundPriority() {
    }

    /**
     * Raises the calling thread's nice value by {@code steps} (capped at 19), so that it and every thread or process
     * it creates from now on yield the CPU to threads of normal priority. Returns the nice value now in effect, or
     * {@code Integer.MIN_VALUE} when the platform does not allow it (then nothing changed). {@code steps <= 0} does
     * nothing.
     */
    public static int lowerCurrentThread(int steps) {
        if (steps <= 0) {
            return Integer.MIN_VALUE;
        }
        try {
            String tid = Files.readSymbolicLink(THREAD_SELF).getFileName().toString();
            int before = niceOf(tid);
            int target = Math.min(19, before + steps);
            if (target == before) {
                return before;
            }
            Process p = new ProcessBuilder("renice", "-n", String.valueOf(target), "-p", tid)
                    .redirectErrorStream(true).start();
            String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8).trim();
            if (!p.waitFor(5, TimeUnit.SECONDS) || p.exitValue() != 0) {
                p.destroyForcibly();
                reportOnce("renice refused (" + out + ")");
                return Integer.MIN_VALUE;
            }
            int after = niceOf(tid);
            if (after != target) {
                reportOnce("renice -n " + target + " left the thread at nice " + after);
                return Integer.MIN_VALUE;
            }
            // one line per process at INFO (every engine's snapshot thread and durability's starters come here)
            LOG.log(REPORTED.compareAndSet(false, true) ? System.Logger.Level.INFO : System.Logger.Level.DEBUG,
                    "thread ''{0}'' and what it starts run at nice {1} ({2} steps below the fast path''s {3}); other background threads (snapshots, durability) are lowered likewise",
                    Thread.currentThread().getName(), after, after - before, before);
            return after;
        } catch (IOException | UnsupportedOperationException | NumberFormatException e) {
            reportOnce(e.getClass().getSimpleName() + ": " + e.getMessage());
            return Integer.MIN_VALUE;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return Integer.MIN_VALUE;
        }
    }

    /**
     * Runs {@code work} on a new thread named {@code name} lowered by {@code steps}, waits for it and returns its
     * result (its exception is rethrown as is when unchecked). Threads and processes {@code work} creates inherit the
     * lower priority.
     */
    public static <T> T callLowered(int steps, String name, Callable<T> work) {
        Object[] result = new Object[1];
        Throwable[] failure = new Throwable[1];
        Thread t = new Thread(() -> {
            lowerCurrentThread(steps);
            try {
                result[0] = work.call();
            } catch (Throwable e) {
                failure[0] = e;
            }
        }, name);
        t.setDaemon(true);
        t.start();
        boolean interrupted = false;
        while (true) {
            try {
                t.join();
                break;
            } catch (InterruptedException e) {
                interrupted = true;
            }
        }
        if (interrupted) {
            Thread.currentThread().interrupt();
        }
        if (failure[0] instanceof RuntimeException) {
            throw (RuntimeException) failure[0];
        }
        if (failure[0] instanceof Error) {
            throw (Error) failure[0];
        }
        if (failure[0] != null) {
            throw new IllegalStateException(failure[0].getMessage(), failure[0]);
        }
        @SuppressWarnings("unchecked")
        T r = (T) result[0];
        return r;
    }

    /** The nice value of thread {@code tid} of this process. */
    static int niceOf(String tid) throws IOException {
        return niceInStatLine(Files.readString(Path.of("/proc/self/task", tid, "stat"), StandardCharsets.US_ASCII));
    }

    /** The nice value (field 19) of a Linux {@code /proc/.../stat} line, of a thread or a process. */
    public static int niceInStatLine(String stat) {
        // the command name (field 2) is in parentheses and may hold spaces: count fields after its closing ')'
        String[] rest = stat.substring(stat.lastIndexOf(')') + 2).trim().split(" ");
        return Integer.parseInt(rest[16]);
    }

    /** The calling thread's nice value, or {@code Integer.MIN_VALUE} where it cannot be read; for tests and logs. */
    public static int currentNice() {
        try {
            return niceOf(Files.readSymbolicLink(THREAD_SELF).getFileName().toString());
        } catch (IOException | UnsupportedOperationException | NumberFormatException e) {
            return Integer.MIN_VALUE;
        }
    }

    private static void reportOnce(String why) {
        if (REPORTED.compareAndSet(false, true)) {
            LOG.log(System.Logger.Level.INFO, "background threads (snapshots, durability) run at the fast path''s CPU priority: could not lower them ({0})", why);
        }
    }
}
