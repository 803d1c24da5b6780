package io.treecast.e2e;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/** Runs {@code bin/treecast} as a user types it and captures what it prints. */
final class Cli {
    private static final Path DIST = Path.of(System.getProperty("treecast.dist", "../distribution/target/treecast"));

    record Result(int exitCode, String out, String err) {
    }

    private Cli() {
    }

    static Result run(String... args) throws IOException, InterruptedException {
        List<String> command = new ArrayList<>();
        command.add(DIST.resolve("bin/treecast").toAbsolutePath().toString());
        command.addAll(List.of(args));
        Process process = new ProcessBuilder(command).start();
        try {
            // read both streams fully before waiting, so a chatty command cannot block on a full pipe
            var err = process.getErrorStream();
            var errText = new StringBuilder();
            Thread errReader = new Thread(() -> {
                try {
                    errText.append(new String(err.readAllBytes(), StandardCharsets.UTF_8));
                } catch (IOException ignored) {
                    // the process ended; what was read is kept
                }
            });
            errReader.start();
            String out = new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
            if (!process.waitFor(60, TimeUnit.SECONDS)) {
                throw new IllegalStateException("treecast " + String.join(" ", args) + " did not finish in 60 s");
            }
            errReader.join(10_000);
            return new Result(process.exitValue(), out, errText.toString());
        } finally {
            process.destroyForcibly();
        }
    }
}
