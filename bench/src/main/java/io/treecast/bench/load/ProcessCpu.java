package io.treecast.bench.load;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.OptionalLong;

/**
 * CPU time of processes, read from {@code /proc/<pid>/stat} (user + system clock ticks), so that a run can report
 * core-microseconds per published update for the server, its embedded broker and the load generator separately.
 * This figure does not depend on how busy the machine is, unlike latency.
 *
 * <pre>{@code
 * ProcessCpu cpu = ProcessCpu.forServer(serverPid);   // the server, its broker child, this JVM
 * ProcessCpu.Sample before = cpu.sample();
 * ... run ...
 * Map<String, Double> perUpdate = cpu.sample().coreMicrosPerUpdateSince(before, updates);
 * }</pre>
 *
 * Linux only; elsewhere every figure is absent (an empty map).
 */
public final class ProcessCpu {
    /** USER_HZ: the unit of utime/stime. 100 on every Linux this runs on (getconf CLK_TCK). */
    private static final long TICKS_PER_SECOND = 100;
    private static final Path PROC = Path.of("/proc");

    private final long serverPid;
    private final List<Long> edgePids;

    private ProcessCpu(long serverPid, List<Long> edgePids) {
        this.serverPid = serverPid;
        this.edgePids = List.copyOf(edgePids);
    }

    /** Measures the process {@code serverPid} (0 = no server: only this JVM), its children, and this JVM. */
    public static ProcessCpu forServer(long serverPid) {
        return new ProcessCpu(serverPid, List.of());
    }

    /** As {@link #forServer(long)}, plus edge node processes, summed as role "edge". */
    public static ProcessCpu forServer(long serverPid, List<Long> edgePids) {
        return new ProcessCpu(serverPid, edgePids);
    }

    /**
     * The CPU consumed so far, by role: "server", "broker" (its child JVMs running Kafka), "state" (its Kafka Streams
     * state store child, {@code durability.state-store-process=child}), "children" (any other),
     * "edge" (the edge nodes), "loadgen".
     */
    public Sample sample() {
        Map<String, Long> nanos = new LinkedHashMap<>();
        if (serverPid > 0) {
            cpuNanos(serverPid).ifPresent(n -> nanos.put("server", n));
            for (ProcessHandle child : childrenOf(serverPid)) {
                String cl = commandLine(child.pid());
                String role = cl.contains("kafka.Kafka") ? "broker" : cl.contains("-Dtreecast.child=state-store") ? "state" : "children";
                cpuNanos(child.pid()).ifPresent(n -> nanos.merge(role, n, Long::sum));
            }
        }
        for (long edge : edgePids) {
            cpuNanos(edge).ifPresent(n -> nanos.merge("edge", n, Long::sum));
        }
        cpuNanos(ProcessHandle.current().pid()).ifPresent(n -> nanos.put("loadgen", n));
        return new Sample(nanos, System.nanoTime());
    }

    private static List<ProcessHandle> childrenOf(long pid) {
        List<ProcessHandle> out = new ArrayList<>();
        ProcessHandle.of(pid).ifPresent(p -> p.descendants().forEach(out::add));
        return out;
    }

    /** user + system CPU of one process (all its threads), in nanoseconds; empty when it cannot be read. */
    static OptionalLong cpuNanos(long pid) {
        try {
            String stat = Files.readString(PROC.resolve(Long.toString(pid)).resolve("stat"), StandardCharsets.US_ASCII);
            return OptionalLong.of(parseCpuTicks(stat) * (1_000_000_000L / TICKS_PER_SECOND));
        } catch (IOException | RuntimeException e) {
            return OptionalLong.empty();
        }
    }

    /**
     * utime + stime from one {@code /proc/<pid>/stat} line. The command name (field 2) is in parentheses and may
     * itself hold spaces and parentheses, so fields are counted from the last ')'.
     */
    static long parseCpuTicks(String statLine) {
        int close = statLine.lastIndexOf(')');
        if (close < 0) {
            throw new IllegalArgumentException("not a /proc/<pid>/stat line: " + statLine);
        }
        String[] f = statLine.substring(close + 2).trim().split(" ");
        // f[0] is field 3 (state); utime is field 14, stime field 15
        return Long.parseLong(f[11]) + Long.parseLong(f[12]);
    }

    private static String commandLine(long pid) {
        try {
            return new String(Files.readAllBytes(PROC.resolve(Long.toString(pid)).resolve("cmdline")), StandardCharsets.UTF_8);
        } catch (IOException e) {
            return "";
        }
    }

    /**
     * The pid of the local process listening on TCP {@code port} (IPv4 or IPv6), found through
     * {@code /proc/net/tcp*} and the sockets in {@code /proc/<pid>/fd}; 0 when none is visible (another user's
     * process, or not Linux). Lets {@code treecast bench --url} measure a server the user started.
     */
    public static long pidListeningOn(int port) {
        List<String> inodes = new ArrayList<>();
        for (String table : new String[]{"tcp", "tcp6"}) {
            try {
                for (String line : Files.readAllLines(PROC.resolve("net").resolve(table), StandardCharsets.US_ASCII)) {
                    String inode = listeningInode(line, port);
                    if (inode != null) {
                        inodes.add("socket:[" + inode + "]");
                    }
                }
            } catch (IOException e) {
                // no such table here
            }
        }
        if (inodes.isEmpty()) {
            return 0;
        }
        try (DirectoryStream<Path> procs = Files.newDirectoryStream(PROC, p -> p.getFileName().toString().chars().allMatch(Character::isDigit))) {
            for (Path proc : procs) {
                try (DirectoryStream<Path> fds = Files.newDirectoryStream(proc.resolve("fd"))) {
                    for (Path fd : fds) {
                        try {
                            if (inodes.contains(Files.readSymbolicLink(fd).toString())) {
                                return Long.parseLong(proc.getFileName().toString());
                            }
                        } catch (IOException gone) {
                            // closed meanwhile
                        }
                    }
                } catch (IOException | SecurityException notOurs) {
                    // another user's process, or gone
                }
            }
        } catch (IOException e) {
            return 0;
        }
        return 0;
    }

    /** The socket inode of a LISTEN entry (state 0A) on {@code port} in one /proc/net/tcp line, or null. */
    static String listeningInode(String line, int port) {
        String[] f = line.trim().split("\\s+");
        if (f.length < 10 || !f[3].equals("0A")) {
            return null;
        }
        int colon = f[1].lastIndexOf(':');
        if (colon < 0) {
            return null;
        }
        try {
            return Integer.parseInt(f[1].substring(colon + 1), 16) == port ? f[9] : null;
        } catch (NumberFormatException e) {
            return null;
        }
    }

    /** CPU consumed so far per role, at one instant. */
    public record Sample(Map<String, Long> cpuNanos, long atNanos) {
        /**
         * Core-microseconds per update spent by each role between {@code before} and this sample (roles present in
         * both), plus "total" over the server side (server + broker + children).
         */
        public Map<String, Double> coreMicrosPerUpdateSince(Sample before, long updates) {
            Map<String, Double> out = new LinkedHashMap<>();
            if (updates <= 0) {
                return out;
            }
            double serverSide = 0;
            boolean any = false;
            for (Map.Entry<String, Long> e : cpuNanos.entrySet()) {
                Long was = before.cpuNanos.get(e.getKey());
                if (was == null) {
                    continue;
                }
                double us = (e.getValue() - was) / 1000.0 / updates;
                out.put(e.getKey(), us);
                if (!e.getKey().equals("loadgen")) {
                    serverSide += us;
                    any = true;
                }
            }
            if (any && out.size() > 2) {
                out.put("server-side", serverSide);
            }
            return out;
        }

        /** The share of one core each role used between {@code before} and this sample, e.g. 0.61. */
        public Map<String, Double> coresSince(Sample before) {
            Map<String, Double> out = new LinkedHashMap<>();
            double wall = atNanos - before.atNanos;
            for (Map.Entry<String, Long> e : cpuNanos.entrySet()) {
                Long was = before.cpuNanos.get(e.getKey());
                if (was != null && wall > 0) {
                    out.put(e.getKey(), (e.getValue() - was) / wall);
                }
            }
            return out;
        }
    }

    /** "server=7.9 broker=1.2 loadgen=14.0 core-us/update" style text for progress lines and results. */
    static String format(Map<String, Double> perUpdate) {
        if (perUpdate.isEmpty()) {
            return "n/a";
        }
        StringBuilder b = new StringBuilder();
        perUpdate.forEach((k, v) -> b.append(b.length() == 0 ? "" : " ").append(k).append('=')
                .append(String.format(Locale.ROOT, "%.1f", v)));
        return b.toString();
    }
}
