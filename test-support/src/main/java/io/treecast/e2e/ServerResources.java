package io.treecast.e2e;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;

/**
 * What the server process costs the machine, read from Linux's {@code /proc/<pid>} (the launcher execs java, so the
 * fixture's pid is the server JVM): resident memory now and at its peak, and CPU time used. Read from outside, like
 * an operator would, so a test needs nothing from inside the server.
 */
public final class ServerResources {
    private final ServerProcess server;

    public ServerResources(ServerProcess server) {
        this.server = server;
    }

    /** VmRSS: resident bytes now. */
    public long rssBytes() throws IOException {
        return statusKib("VmRSS:") * 1024;
    }

    /** VmHWM: the highest resident bytes since the process started ("high water mark"). */
    public long peakRssBytes() throws IOException {
        return statusKib("VmHWM:") * 1024;
    }

    /** User + system CPU time of the whole process (every thread) so far. */
    public Duration cpuTime() {
        return ProcessHandle.of(server.pid()).flatMap(p -> p.info().totalCpuDuration())
                .orElseThrow(() -> new IllegalStateException("no CPU time for " + server + " (not Linux, or it exited)"));
    }

    private long statusKib(String key) throws IOException {
        for (String line : Files.readAllLines(Path.of("/proc", Long.toString(server.pid()), "status"))) {
            if (line.startsWith(key)) {
                return Long.parseLong(line.substring(key.length()).trim().split("\\s+")[0]);
            }
        }
        throw new IllegalStateException(key + " not in /proc/" + server.pid() + "/status");
    }

    public static String mib(long bytes) {
        return (bytes >> 20) + " MiB";
    }
}
