package io.treecast.e2e;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;

/**
 * A long-running {@code bin/treecast} command (e.g. {@code sub}) whose stdout and stderr lines are collected as they
 * come, for a test to wait on; {@link #close()} ends it.
 */
final class CliProcess implements AutoCloseable {
    private static final Path DIST = Path.of(System.getProperty("treecast.dist", "../distribution/target/treecast"));

    private final Process process;
    private final List<String> out = new CopyOnWriteArrayList<>();
    private final List<String> err = new CopyOnWriteArrayList<>();

    private CliProcess(Process process) {
        this.process = process;
        pump(process.getInputStream(), out, "out");
        pump(process.getErrorStream(), err, "err");
    }

    static CliProcess start(String... args) throws IOException {
        List<String> command = new ArrayList<>();
        command.add(DIST.resolve("bin/treecast").toAbsolutePath().toString());
        command.addAll(List.of(args));
        return new CliProcess(new ProcessBuilder(command).start());
    }

    private static void pump(InputStream in, List<String> into, String name) {
        Thread t = new Thread(() -> {
            try (BufferedReader r = new BufferedReader(new InputStreamReader(in, StandardCharsets.UTF_8))) {
                for (String line; (line = r.readLine()) != null; ) {
                    into.add(line);
                }
            } catch (IOException ended) {
                // the process ended
            }
        }, "cli-" + name);
        t.setDaemon(true);
        t.start();
    }

    List<String> out() {
        return List.copyOf(out);
    }

    List<String> err() {
        return List.copyOf(err);
    }

    boolean isAlive() {
        return process.isAlive();
    }

    /** The exit code once it ended by itself (at most {@code seconds}); the test fails if it did not. */
    int awaitExit(int seconds) throws InterruptedException {
        if (!process.waitFor(seconds, TimeUnit.SECONDS)) {
            throw new IllegalStateException("still running after " + seconds + " s; out " + out + ", err " + err);
        }
        return process.exitValue();
    }

    @Override
    public void close() throws InterruptedException {
        process.destroy();
        if (!process.waitFor(10, TimeUnit.SECONDS)) {
            process.destroyForcibly();
        }
    }

    @Override
    public String toString() {
        return "out " + out + "\nerr " + err;
    }
}
