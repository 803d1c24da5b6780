package io.treecast.cli;

import org.junit.jupiter.api.Test;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static org.assertj.core.api.Assertions.assertThat;

/** The packaged layout (target/treecast) run through bin/treecast, as a user would. */
class DistributionIT {
    private static final Path HOME = Path.of("target", "treecast").toAbsolutePath();
    private static final Path LAUNCHER = HOME.resolve("bin/treecast");

    private static Process launch(String... args) throws IOException {
        return launch(Map.of(), args);
    }

    /** The launcher with {@code env} added to (or, for an empty value, removed from) the environment. */
    private static Process launch(Map<String, String> env, String... args) throws IOException {
        List<String> cmd = new java.util.ArrayList<>(List.of(LAUNCHER.toString()));
        cmd.addAll(List.of(args));
        // run from an unrelated directory: the launcher must find its home by itself
        ProcessBuilder pb = new ProcessBuilder(cmd).directory(Path.of(System.getProperty("java.io.tmpdir")).toFile())
                .redirectError(ProcessBuilder.Redirect.DISCARD);
        pb.environment().remove("TREECAST_JAVA_OPTS");
        pb.environment().remove("TREECAST_PROFILE");
        env.forEach((k, v) -> {
            if (v.isEmpty()) {
                pb.environment().remove(k);
            } else {
                pb.environment().put(k, v);
            }
        });
        return pb.start();
    }

    /** The java command line the launcher would run, one argument per line (its dry-run mode). */
    private static List<String> dryRun(Map<String, String> env, String... args) throws Exception {
        Map<String, String> e = new java.util.HashMap<>(env);
        e.put("TREECAST_LAUNCHER_DRY_RUN", "1");
        Process p = launch(e, args);
        List<String> lines = all(p).lines().toList();
        assertThat(p.exitValue()).isZero();
        return lines;
    }

    @Test
    void serveStartedByTheLauncherRunsWithExitOnOutOfMemoryAndASmallGrowableHeapWithoutPreTouch() throws Exception {
        Process serve = launch("serve", "--in-memory", "--host", "127.0.0.1", "--tcp-port", "0", "--ws-port", "0",
                "--set", "metrics.port=0");
        try {
            BufferedReader r = new BufferedReader(new InputStreamReader(serve.getInputStream(), StandardCharsets.UTF_8));
            assertThat(r.readLine()).contains("listening on");
            // the launcher execs java: the launched process is the server's JVM, its arguments are what it runs with
            List<String> args = List.of(Files.readString(Path.of("/proc", Long.toString(serve.pid()), "cmdline"))
                    .split("\0"));
            assertThat(args).contains("-XX:+ExitOnOutOfMemoryError", "-Xms256m", "-Xmx2g", "-XX:+UseZGC")
                    .doesNotContain("-XX:+AlwaysPreTouch", "-Xms4g");
            assertThat(args.indexOf("-XX:+ExitOnOutOfMemoryError")).isLessThan(args.indexOf("-Xmx2g"));
        } finally {
            serve.destroy();
            if (!serve.waitFor(30, TimeUnit.SECONDS)) {
                serve.destroyForcibly();
            }
        }
    }

    @Test
    void productionProfileKeepsTheFixedPreTouchedHeapAndEveryCommandExitsOnOutOfMemory() throws Exception {
        assertThat(dryRun(Map.of("TREECAST_PROFILE", "production"), "serve"))
                .contains("-XX:+ExitOnOutOfMemoryError", "-Xms4g", "-Xmx4g", "-XX:+AlwaysPreTouch", "-XX:+UseZGC")
                .endsWith("-jar", HOME.resolve("treecast.jar").toString(), "serve");
        assertThat(dryRun(Map.of(), "state", "--bootstrap-servers", "127.0.0.1:9092"))
                .contains("-XX:+ExitOnOutOfMemoryError", "-Xmx512m");
        assertThat(dryRun(Map.of(), "bench")).contains("-XX:+ExitOnOutOfMemoryError", "-Xmx1g");
        // TREECAST_JAVA_OPTS replaces the defaults, not the exit on OutOfMemoryError (it may turn it off after it)
        assertThat(dryRun(Map.of("TREECAST_JAVA_OPTS", "-Xmx3g -XX:-ExitOnOutOfMemoryError"), "serve"))
                .containsSubsequence("-XX:+ExitOnOutOfMemoryError", "-Xmx3g", "-XX:-ExitOnOutOfMemoryError")
                .doesNotContain("-Xms256m");

        ProcessBuilder badProfile = new ProcessBuilder(LAUNCHER.toString(), "serve", "--in-memory");
        badProfile.environment().remove("TREECAST_JAVA_OPTS");
        badProfile.environment().put("TREECAST_PROFILE", "prod");
        Process bad = badProfile.start();
        String err = new String(bad.getErrorStream().readAllBytes(), StandardCharsets.UTF_8);
        assertThat(bad.waitFor(30, TimeUnit.SECONDS)).isTrue();
        assertThat(bad.exitValue()).isEqualTo(ExitCodes.USAGE);
        assertThat(err).isEqualTo("error: USAGE: TREECAST_PROFILE=prod is not a profile: use production, or unset it "
                + "for the defaults\n");
    }

    private static String all(Process p) throws Exception {
        String s = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertThat(p.waitFor(60, TimeUnit.SECONDS)).isTrue();
        return s;
    }

    @Test
    void clientCommandsRunOnTheSlimClassPathWithTheArchiveAndServerCommandsOnTheFullJar() throws Exception {
        assertThat(HOME.resolve("lib/client.jsa")).as("made by the package phase").isRegularFile();
        for (String command : TreecastCli.CLIENT_COMMANDS) {
            List<String> line = dryRun(Map.of(), command, "x");
            assertThat(line).as(command).contains("-XX:SharedArchiveFile=" + HOME.resolve("lib/client.jsa"), "-Xshare:auto",
                    "-Xlog:cds=off", "-XX:TieredStopAtLevel=1").doesNotContain("-jar");
            String classPath = line.get(line.indexOf("-cp") + 1);
            assertThat(classPath).as(command).startsWith(HOME.resolve("lib/treecast-cli-client.jar").toString())
                    .contains("treecast-client-", "rsocket-core-", "reactor-core-", "netty-transport-", "protobuf-java-", "picocli-")
                    .doesNotContain("kafka", "scala", "rocksdb", "treecast-rsocket-gateway", "treecast-durability");
            assertThat(line).as(command).endsWith("io.treecast.cli.TreecastCli", command, "x");
        }
        assertThat(dryRun(Map.of("TREECAST_CLIENT_CDS", "off"), "get", "x")).noneMatch(a -> a.startsWith("-XX:SharedArchiveFile"));
        assertThat(dryRun(Map.of(), "serve")).endsWith("-jar", HOME.resolve("treecast.jar").toString(), "serve")
                .noneMatch(a -> a.startsWith("-XX:SharedArchiveFile"));
        try (var libs = Files.list(HOME.resolve("lib"))) {
            assertThat(libs.map(p -> p.getFileName().toString()))
                    .as("nothing at run time uses JMH or log4j-core").noneMatch(n -> n.startsWith("jmh-") || n.startsWith("log4j-core-"));
        }
    }

    @Test
    void layoutHasLauncherJarLibrariesAndExampleConfig() throws IOException {
        assertThat(Files.isExecutable(LAUNCHER)).isTrue();
        assertThat(HOME.resolve("treecast.jar")).isRegularFile();
        assertThat(HOME.resolve("config/treecast.yaml")).isRegularFile();
        try (var libs = Files.list(HOME.resolve("lib"))) {
            assertThat(libs.map(p -> p.getFileName().toString())).anyMatch(n -> n.startsWith("picocli-"))
                    .anyMatch(n -> n.startsWith("treecast-rsocket-gateway-"));
        }
    }

    @Test
    void serveFromTheLauncherPrintsItsAddressesAnswersAndStopsOnSigterm() throws Exception {
        Process serve = launch("serve", "--in-memory", "--host", "127.0.0.1", "--tcp-port", "0", "--ws-port", "0",
                "--set", "metrics.port=0");
        try {
            BufferedReader r = new BufferedReader(new InputStreamReader(serve.getInputStream(), StandardCharsets.UTF_8));
            String line = r.readLine();
            assertThat(line).matches("treecast \\S+ listening on tcp://127\\.0\\.0\\.1:\\d+ and ws://127\\.0\\.0\\.1:\\d+/rsocket \\(in memory\\)"
                    + ", metrics on http://127\\.0\\.0\\.1:\\d+");
            Matcher m = Pattern.compile("(tcp://\\S+)").matcher(line);
            assertThat(m.find()).isTrue();
            String url = m.group(1);

            Process set = launch("set", "dist/x", "hello", "--url", url);
            assertThat(all(set)).matches("ok seq=\\d+\\n");
            assertThat(set.exitValue()).isZero();
            Process get = launch("get", "dist/**", "--url", url, "--json");
            assertThat(all(get)).startsWith("{\"path\":\"dist/x\",\"value\":\"hello\",\"type\":\"string\",\"seq\":");
            // ls, on the client commands' slim class path too
            assertThat(all(launch("ls", "--url", url))).matches("dist/\\n# 1 children at seq \\d+\\n");

            serve.destroy(); // SIGTERM: the shutdown hook closes the server gracefully
            assertThat(serve.waitFor(30, TimeUnit.SECONDS)).isTrue();
        } finally {
            serve.destroyForcibly();
        }
    }

    @Test
    void versionWorksFromAnyDirectory() throws Exception {
        Process v = launch("--version");
        assertThat(all(v)).startsWith("treecast 0.1.0");
        assertThat(v.exitValue()).isZero();
    }
}
