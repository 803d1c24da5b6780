package io.treecast.cli;

import io.treecast.gateway.ServerConfig;
import org.junit.jupiter.api.Test;
import picocli.CommandLine;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;

class TreecastCliTest {
    private final ByteArrayOutputStream out = new ByteArrayOutputStream();
    private final ByteArrayOutputStream err = new ByteArrayOutputStream();

    private int run(String... args) {
        return TreecastCli.run(args, new PrintStream(out, true, StandardCharsets.UTF_8), new PrintStream(err, true, StandardCharsets.UTF_8));
    }

    private String out() { return out.toString(StandardCharsets.UTF_8); }
    private String err() { return err.toString(StandardCharsets.UTF_8); }

    @Test
    void helpListsEveryCommand() {
        assertThat(run("--help")).isZero();
        assertThat(out()).contains("serve", "set", "delete", "get", "ls", "sub", "bench");
    }

    @Test
    void everyCommandHasHelpAndVersion() {
        for (String c : new String[]{"serve", "set", "delete", "get", "ls", "sub", "bench"}) {
            out.reset();
            assertThat(run(c, "--help")).as(c).isZero();
            assertThat(out()).as(c).contains("Usage: treecast " + c);
            out.reset();
            assertThat(run(c, "--version")).as(c).isZero();
            assertThat(out()).as(c).startsWith("treecast ");
        }
    }

    @Test
    void theLauncherRunsExactlyTheClientCommandsOnTheSlimClassPath() throws Exception {
        java.util.regex.Matcher m = java.util.regex.Pattern.compile("(?m)^ +([a-z|]+)\\)\\n +if \\[ -f \"\\$TREECAST_HOME/lib/client.classpath\" ]")
                .matcher(Files.readString(Path.of("src/dist/bin/treecast")));
        assertThat(m.find()).as("bin/treecast's case of the client commands").isTrue();
        assertThat(m.group(1).split("\\|")).containsExactlyInAnyOrderElementsOf(TreecastCli.CLIENT_COMMANDS);
    }

    @Test
    void unknownFlagIsAUsageErrorWithExitCode2() {
        assertThat(run("get", "**", "--nope")).isEqualTo(ExitCodes.USAGE);
        assertThat(err()).startsWith("error: USAGE: Unknown option: '--nope'").contains("try: treecast get --help");
    }

    @Test
    void missingArgumentIsAUsageError() {
        assertThat(run("set", "a/b")).isEqualTo(ExitCodes.USAGE);
        assertThat(err()).contains("error: USAGE: Missing required parameter: 'VALUE'");
    }

    @Test
    void badValueForItsTypeFailsBeforeConnecting() {
        assertThat(run("set", "a/b", "x", "--type", "int", "--url", "tcp://127.0.0.1:1")).isEqualTo(ExitCodes.USAGE);
        assertThat(err()).isEqualTo("error: USAGE: value 'x' is not a valid int: fix the value or change --type\n");
    }

    @Test
    void serveRejectsAnUnknownKeyAndNamesIt() {
        assertThat(run("serve", "--set", "tcp.prot=7000")).isEqualTo(ExitCodes.CONFIG);
        assertThat(err()).startsWith("error: INVALID_CONFIG: unknown configuration key \"tcp.prot\" from the command line");
    }

    @Test
    void serveRejectsABadValueAndSaysWhatIsAllowed() {
        assertThat(run("serve", "--tcp-port", "70000")).isEqualTo(ExitCodes.CONFIG);
        assertThat(err()).startsWith("error: INVALID_CONFIG: tcp.port = \"70000\" from the command line: must be an integer 0..65535");
    }

    @Test
    void serveFlagsOverrideTheFileAndTheEnvironment() throws Exception {
        Path file = Files.createTempFile("treecast", ".yaml");
        try {
            Files.writeString(file, "tcp:\n  port: 7000\n  host: 0.0.0.0\nwebsocket:\n  port: 7001\nlimits:\n  max-value-bytes: 100\n");
            ServeCommand serve = new ServeCommand();
            new CommandLine(serve).parseArgs("--config", file.toString(), "--tcp-port", "0", "--in-memory",
                    "--set", "limits.max-value-bytes=200");
            ServerConfig c = serve.load(Map.of("TREECAST_WEBSOCKET_PORT", "7002", "TREECAST_TCP_HOST", "127.0.0.2"));
            assertThat(c.tcpPort()).isZero();
            assertThat(c.webSocketPort()).isEqualTo(7002);
            assertThat(c.tcpHost()).isEqualTo("127.0.0.2");
            assertThat(c.maxValueBytes()).isEqualTo(200);
            assertThat(c.durabilityMode()).isEqualTo(ServerConfig.DurabilityMode.OFF);
            assertThat(ServeCommand.durabilityFor(c)).isNull();
        } finally {
            Files.deleteIfExists(file);
        }
    }

    @Test
    void tlsFlagsThatCannotWorkFailBeforeConnecting() {
        assertThat(run("get", "a/*", "--url", "tls://127.0.0.1:1", "--cert-file", "client.pem")).isEqualTo(ExitCodes.USAGE);
        assertThat(err()).isEqualTo("error: USAGE: --cert-file needs --key-file (the certificate's PEM PKCS#8 key)\n");
        err.reset();
        assertThat(run("get", "a/*", "--url", "tcp://127.0.0.1:1", "--token-file", "/no/such/token")).isEqualTo(ExitCodes.USAGE);
        assertThat(err()).startsWith("error: USAGE: cannot read --token-file /no/such/token");
    }

    @Test
    void readAheadFlagsOutOfRangeFailBeforeConnectingNamingTheFlag() {
        assertThat(run("sub", "a/**", "--url", "tcp://127.0.0.1:1", "--read-ahead-frames", "0")).isEqualTo(ExitCodes.USAGE);
        assertThat(err()).isEqualTo("error: USAGE: --read-ahead-frames: read-ahead frames must be 1..1048576, was 0: it is how "
                + "many frames of a subscription the client asks for ahead (default 512)\n");
        err.reset();
        assertThat(run("sub", "a/**", "--url", "tcp://127.0.0.1:1", "--read-ahead-bytes", "-1")).isEqualTo(ExitCodes.USAGE);
        assertThat(err()).startsWith("error: USAGE: --read-ahead-bytes: read-ahead bytes must be 1..1073741824 (1 GiB), was -1");
        err.reset();
        assertThat(run("bench", "--read-ahead-frames", "-1", "--url", "tcp://127.0.0.1:1")).isEqualTo(ExitCodes.USAGE);
        assertThat(err()).endsWith("error: USAGE: --read-ahead-frames must be 0 (the client's default) or 1..1048576, got -1\n");
    }

    @Test
    void stateRejectsAnUnknownStoreKindNamingTheChoices() {
        assertThat(run("state", "--bootstrap-servers", "127.0.0.1:1", "--store", "disk")).isEqualTo(ExitCodes.USAGE);
        assertThat(err()).startsWith("error: USAGE: Invalid value for option '--store': must be rocksdb or memory, was 'disk'");
    }

    @Test
    void benchRejectsAPublishLingerOutOfRangeBeforeConnecting() {
        assertThat(run("bench", "--publish-linger-us", "20000", "--url", "tcp://127.0.0.1:1")).isEqualTo(ExitCodes.USAGE);
        assertThat(err()).isEqualTo("error: USAGE: --publish-linger-us must be 0..10000 (microseconds); got 20000\n");
        assertThat(System.getProperty(io.treecast.client.ClientOptions.PUBLISH_LINGER_PROPERTY)).isNull();
    }

    @Test
    void benchRejectsAPacingTickOutOfRangeBeforeConnecting() {
        assertThat(run("bench", "--pacing-tick-us", "-5", "--url", "tcp://127.0.0.1:1")).isEqualTo(ExitCodes.USAGE);
        assertThat(err()).endsWith("error: USAGE: --pacing-tick-us must be 0..100000 (microseconds; 0 = wake for every update), got -5\n");
    }

    @Test
    void benchRejectsANegativeOutboxCapacityBeforeConnecting() {
        assertThat(run("bench", "--outbox-capacity", "-1", "--url", "tcp://127.0.0.1:1")).isEqualTo(ExitCodes.USAGE);
        assertThat(err()).isEqualTo("error: USAGE: --outbox-capacity must be 0 (the server's default) or a number of events >= 1; got -1\n");
    }

    @Test
    void benchRejectsAnUnknownTransport() {
        assertThat(run("bench", "--transport", "udp", "--url", "tcp://127.0.0.1:1")).isEqualTo(ExitCodes.USAGE);
        assertThat(err()).isEqualTo("error: USAGE: --transport must be tcp, ws, tls or wss, or several joined by ',' (e.g. tcp,tls); got udp\n");
    }

    @Test
    void theShippedExampleConfigurationSetsEveryKeyAndLoads() throws Exception {
        Path example = Path.of("src/dist/config/treecast.yaml");
        ServerConfig c = ServerConfig.load(example, Map.of(), Map.of());
        String text = Files.readString(example);
        for (String key : ServerConfig.keys()) {
            String leaf = key.substring(key.lastIndexOf('.') + 1);
            assertThat(text).as(key).contains(leaf + ":");
            assertThat(c.sourceOf(key)).as(key).startsWith("file ");
        }
    }

    @Test
    void aTypoInATreecastVariableStopsServeWithTheNearestKey() {
        ServeCommand serve = new ServeCommand();
        new CommandLine(serve).parseArgs("--in-memory");
        org.assertj.core.api.Assertions.assertThatThrownBy(() -> serve.load(Map.of("TREECAST_METRICS_PROT", "9000")))
                .isInstanceOf(io.treecast.gateway.ConfigException.class)
                .hasMessageContaining("unknown environment variable TREECAST_METRICS_PROT")
                .hasMessageContaining("did you mean TREECAST_METRICS_PORT (key metrics.port)?");
    }

    @Test
    void startedInCountsFromTheProcessStartAndSaysHowMuchWasTheJvmAndHowMuchServe() {
        long serveStart = System.currentTimeMillis();
        String line = io.treecast.cli.internal.Operations.startupTimes(serveStart);
        java.util.regex.Matcher m = java.util.regex.Pattern
                .compile("(\\d+) ms \\(JVM start and class loading (\\d+) ms, serve (\\d+) ms\\)").matcher(line);
        assertThat(m.matches()).as(line).isTrue();
        long total = Long.parseLong(m.group(1));
        long jvm = Long.parseLong(m.group(2));
        long serve = Long.parseLong(m.group(3));
        // this JVM started before the test did: the total covers it, not only the serve part
        assertThat(jvm).isPositive();
        assertThat(total).isEqualTo(jvm + serve);
        assertThat(total).isGreaterThanOrEqualTo(java.lang.management.ManagementFactory.getRuntimeMXBean().getUptime() - 1000);
    }

    @Test
    void aBrokerThatDidNotStartIsOneLineWithItsOwnExitCodeNotInternal() {
        var f = io.treecast.cli.internal.Errors.classify(new io.treecast.durability.BrokerStartException(
                "the embedded Kafka broker did not serve: no progress (its log did not grow) for 60000 ms; raise "
                        + "durability.start-timeout-ms (now 60000) on a slow machine, or see /data/kafka-broker.log"), null);
        assertThat(f.code()).isEqualTo("BROKER_NOT_STARTED");
        assertThat(f.exit()).isEqualTo(ExitCodes.BROKER_NOT_STARTED);
        assertThat(f.message()).contains("durability.start-timeout-ms");
        assertThat(ServerConfig.keys()).as("the key the message names exists").contains("durability.start-timeout-ms");
    }
}
