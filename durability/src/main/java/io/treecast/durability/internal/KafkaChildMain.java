package io.treecast.durability.internal;

import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;

/**
 * Entry point of the embedded broker's child JVM, and of the state store's ({@link StateStoreChild}). It ties the child's life to the parent's: the parent holds the
 * child's stdin open for as long as it lives, so end-of-file on stdin means the parent is gone (also after a
 * {@code kill -9}, when the OS closes the pipe) and the child halts at once. A line {@code stop} asks for a clean
 * shutdown through Kafka's own shutdown hook. SIGINT, SIGTERM and SIGHUP are ignored (a line in the broker log each):
 * a terminal's Ctrl-C or a signal to the whole process group reaches the parent, which stops the broker after its
 * own clients.
 *
 * <p>Arguments are passed through: {@code <main class> <args...>}, e.g. {@code kafka.Kafka server.properties} or
 * {@code kafka.tools.StorageTool format ...}.
 */
public final class KafkaChildMain {
    /** What the child runs, for its log lines: {@code -Dtreecast.child.role=...}, the broker by default. */
    private static final String ROLE = System.getProperty("treecast.child.role", "broker");

    private KafkaChildMain() {
    }

    public static void main(String[] args) throws Throwable {
        Thread watchdog = new Thread(KafkaChildMain::watchParent, "treecast-parent-watchdog");
        watchdog.setDaemon(true);
        watchdog.start();
        // The parent owns the broker's life (a "stop" line, or end-of-file when it is gone, also after kill -9). Ctrl-C
        // in a terminal, `kill -- -<pgid>` and systemd's KillMode=control-group signal this child too: the broker then
        // went away while the parent was still stopping its clients (the state store could not leave its group, the
        // next start waited for its session). Ignored here, with one line in the broker log; the parent stops it last.
        // A broker that must go at once without its parent: kill -9.
        for (String name : new String[]{"INT", "TERM", "HUP"}) {
            sun.misc.Signal.handle(new sun.misc.Signal(name), signal -> log(
                    "treecast: ignoring SIG" + signal.getName() + ": the parent process stops the " + ROLE));
        }
        String[] rest = new String[args.length - 1];
        System.arraycopy(args, 1, rest, 0, rest.length);
        Class.forName(args[0]).getMethod("main", String[].class).invoke(null, (Object) rest);
    }

    private static void watchParent() {
        try (BufferedReader in = new BufferedReader(new InputStreamReader(System.in, StandardCharsets.UTF_8))) {
            String line;
            while ((line = in.readLine()) != null) {
                if (line.trim().equals("stop")) {
                    log("treecast: parent asked for a clean stop");
                    System.exit(0);
                    return;
                }
            }
        } catch (Throwable e) {
            // a broken pipe means the same as end-of-file: the parent is gone
        }
        log("treecast: parent process is gone (stdin closed), halting the " + ROLE);
        Runtime.getRuntime().halt(3);
    }

    /**
     * One line in the broker's log ({@code kafka-broker.log}, written and rolled by logback; the appender writes
     * through at once, so a line logged before {@code halt} is in the file).
     */
    private static void log(String line) {
        org.slf4j.LoggerFactory.getLogger("io.treecast.broker").warn(line);
    }
}
