package io.treecast.cli;

import org.junit.jupiter.api.Test;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static org.assertj.core.api.Assertions.assertThat;

/** The packaged layout (target/treecast) run through bin/treecast, as a user would. */
class DistributionIT {
    private static final Path HOME = Path.of("target", "treecast").toAbsolutePath();
    private static final Path LAUNCHER = HOME.resolve("bin/treecast");

    private static Process launch(String... args) throws IOException {
        List<String> cmd = new java.util.ArrayList<>(List.of(LAUNCHER.toString()));
        cmd.addAll(List.of(args));
        // run from an unrelated directory: the launcher must find its home by itself
        return new ProcessBuilder(cmd).directory(Path.of(System.getProperty("java.io.tmpdir")).toFile())
                .redirectError(ProcessBuilder.Redirect.DISCARD).start();
    }

    private static String all(Process p) throws Exception {
        String s = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertThat(p.waitFor(60, TimeUnit.SECONDS)).isTrue();
        return s;
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
