package io.treecast.e2e;

import io.treecast.proto.Batch;
import io.treecast.proto.Change;
import io.treecast.proto.Delete;
import io.treecast.proto.Get;
import io.treecast.proto.Subscribe;
import io.treecast.proto.Value;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.ExtendWith;

import java.io.IOException;
import java.net.SocketTimeoutException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;

import static io.treecast.e2e.RawSocket.FLAG_FOLLOWS;
import static io.treecast.e2e.RawSocket.FLAG_METADATA;
import static io.treecast.e2e.RawSocket.REQUEST_FNF;
import static io.treecast.e2e.RawSocket.REQUEST_RESPONSE;
import static io.treecast.e2e.RawSocket.REQUEST_STREAM;
import static org.assertj.core.api.Assertions.assertThat;

/**
 * A seeded protocol fuzzer against the packaged server, over TCP (or, opt-in, WebSocket: each frame one binary
 * message there, so lying lengths are TCP's alone; see {@link #transports()}): at least {@value #DEFAULT_FRAMES} malformed frames per run,
 * mutations of valid SETUP and REQUEST_* frames (bit flips, truncations, lying lengths, unknown types, bad metadata
 * lengths, garbage protobuf), over a bounded number of connections. It proves that the server process stays up,
 * that every connection is answered or closed (after its frames, a {@code tree.get} probe gets an answer or the
 * connection is closed, within {@link #BOUND}), that no ERROR frame says INTERNAL, that a control client is
 * served throughout, and that the server leaked no buffer (it runs with Netty's paranoid leak detection; at the end a
 * GC and some requests make it report what it found, and its log must have no {@code LEAK:}).
 *
 * <p>Replay: the seed is printed; {@code -Dtreecast.fuzz.seed=S} runs the same connections again, and
 * {@code -Dtreecast.fuzz.connection=N} only connection N of it (each connection's frames depend only on the seed and
 * its number, not on thread timing); that replay writes the connection's frames, whole, to
 * {@code target/fuzz-<transport>-connection-N.hex}; {@code -Dtreecast.fuzz.transport=ws} runs it over WebSocket. A failure names
 * all three. A leak names no connection: bisect with
 * {@code -Dtreecast.fuzz.from=A -Dtreecast.fuzz.to=B} (connections A to B-1 only).
 */
@ExtendWith(ServerLogOnFailure.class)
@Timeout(value = 150, unit = TimeUnit.SECONDS)
class ProtocolFuzzIT {
    private static final int DEFAULT_FRAMES = 10_000;
    private static final long SEED = Long.getLong("treecast.fuzz.seed", System.nanoTime());
    private static final int FRAMES = Integer.getInteger("treecast.fuzz.frames", DEFAULT_FRAMES);
    private static final int ONLY_CONNECTION = Integer.getInteger("treecast.fuzz.connection", -1);
    private static final int FROM = Integer.getInteger("treecast.fuzz.from", 0);
    private static final int TO = Integer.getInteger("treecast.fuzz.to", Integer.MAX_VALUE);
    /** Connections are bounded: ~20 frames each make ~600; this cap only stops a fuzzer whose mutations all close. */
    private static final int MAX_CONNECTIONS = 3_000;
    private static final int WORKERS = 12; // mostly waiting on sockets (and on the 500 ms frame read timeout)
    /** The time budget of the frames; the assertion on their number says if it was too short. */
    private static final Duration BUDGET = Duration.ofSeconds(60);
    /**
     * How long a connection may leave its probe unanswered and stay open: the server's frame read timeout (set to
     * 500 ms here, so a lying length prefix costs 0.5 s instead of 30) plus a generous allowance for 2 busy cores.
     */
    private static final Duration BOUND = Duration.ofSeconds(15);

    private ServerProcess server;
    private ControlClient control;
    private String transport;

    private final AtomicLong malformed = new AtomicLong();
    private final AtomicInteger answered = new AtomicInteger();
    private final AtomicInteger closed = new AtomicInteger();
    private final Map<String, AtomicInteger> errors = new ConcurrentHashMap<>();
    private final ConcurrentLinkedQueue<String> failures = new ConcurrentLinkedQueue<>();

    @AfterEach
    void stop() throws Exception {
        try {
            if (control != null) {
                control.close();
            }
        } finally {
            if (server != null) {
                server.close();
            }
        }
    }

    /**
     * {@code tcp}, or the one {@code -Dtreecast.fuzz.transport} names. WebSocket ({@code ws}) is opt-in for now: its
     * first runs (2026-12-07) left 3-6 of ~750 connections "neither answered nor closed" when 12 ran at once. The
     * server had closed them ({@code ss}: FIN-WAIT-2 on its side, CLOSE-WAIT on the client's): the JDK's WebSocket
     * client, which {@link RawWebSocket} uses, sometimes never reports a closed connection. Make {@code ws} a default
     * once {@link RawWebSocket} reads the socket itself.
     */
    static List<String> transports() {
        return List.of(System.getProperty("treecast.fuzz.transport", "tcp"));
    }

    @ParameterizedTest(name = "over {0}")
    @MethodSource("transports")
    void malformedFramesNeverCrashHangOrFailInternallyAndAControlClientKeepsItsService(String transport) throws Exception {
        this.transport = transport;
        System.out.printf("[fuzz] %s, seed %d (replay: -Dtreecast.fuzz.seed=%d -Dtreecast.fuzz.transport=%s)%n", transport, SEED,
                SEED, transport);
        server = ServerProcess.startWithJavaOpts("fuzz",
                "-Xmx512m -XX:+UseG1GC -XX:+ExitOnOutOfMemoryError -Dio.netty.leakDetection.level=paranoid",
                List.of("--in-memory", "--set", "limits.frame-read-timeout-ms=500"));
        control = new ControlClient(server);
        int logFrom = server.logText().length();

        AtomicInteger nextConnection = new AtomicInteger(ONLY_CONNECTION >= 0 ? ONLY_CONNECTION : FROM);
        long deadline = System.nanoTime() + BUDGET.toNanos();
        ExecutorService pool = Executors.newFixedThreadPool(WORKERS);
        List<Future<?>> workers = new ArrayList<>();
        for (int w = 0; w < WORKERS; w++) {
            workers.add(pool.submit(() -> {
                while (malformed.get() < FRAMES && System.nanoTime() < deadline && failures.size() < 10) {
                    int c = nextConnection.getAndIncrement();
                    if (c >= MAX_CONNECTIONS || (ONLY_CONNECTION >= 0 && c != ONLY_CONNECTION) || c >= TO) {
                        return null;
                    }
                    fuzzConnection(c);
                }
                return null;
            }));
        }
        try {
            while (!workers.stream().allMatch(Future::isDone)) {
                control.serviceHolds(); // throughout the run
            }
            for (Future<?> w : workers) {
                w.get();
            }
        } finally {
            pool.shutdownNow();
        }
        int connections = Math.min(nextConnection.get(), MAX_CONNECTIONS);
        System.out.printf("[fuzz] %s, seed %d: %d malformed frames on ~%d connections: %d probes answered, %d connections closed;"
                + " %d control round trips; errors seen %s%n", transport, SEED, malformed.get(), connections, answered.get(), closed.get(),
                control.roundTrips(), new TreeMap<>(errors));

        assertThat(failures).as("seed %d (replay: -Dtreecast.fuzz.seed=%d -Dtreecast.fuzz.transport=%s -Dtreecast.fuzz.connection=N)",
                SEED, SEED, transport).isEmpty();
        assertThat(server.isAlive()).as("the server process is up").isTrue();
        if (ONLY_CONNECTION < 0 && FROM == 0 && TO == Integer.MAX_VALUE) {
            assertThat(malformed.get()).as("malformed frames sent within %s", BUDGET).isGreaterThanOrEqualTo(FRAMES);
        }
        HttpResponse<String> health = HttpClient.newHttpClient().send(HttpRequest.newBuilder(URI.create(server.metricsUrl() + "/health"))
                .timeout(Duration.ofSeconds(10)).build(), HttpResponse.BodyHandlers.ofString());
        assertThat(health.statusCode()).isEqualTo(200);
        control.serviceHolds();
        // Netty reports a leaked buffer when it allocates after a GC collected it
        Process gc = new ProcessBuilder(Path.of(System.getProperty("java.home"), "bin", "jcmd").toString(),
                String.valueOf(server.pid()), "GC.run").redirectErrorStream(true).redirectOutput(ProcessBuilder.Redirect.DISCARD).start();
        assertThat(gc.waitFor(30, TimeUnit.SECONDS)).as("jcmd GC.run finished").isTrue();
        for (int i = 0; i < 20; i++) {
            control.serviceHolds();
        }
        assertThat(server.logText().substring(logFrom)).as("the server's log since this run began").doesNotContain("LEAK:");
    }

    // ---- one connection ---------------------------------------------------------------------------------------

    /**
     * How many bytes the server still waits for after reading {@code sent} as TCP frames (a 3-byte length, then that
     * many bytes): 0 when the bytes end on a frame boundary. Filler counts as frame bytes too: a short length prefix is
     * completed with zeros, which then declare its length.
     */
    static int missingBytes(List<byte[]> sent) {
        long total = 0;
        for (byte[] b : sent) {
            total += b.length;
        }
        byte[] all = new byte[(int) total];
        int at = 0;
        for (byte[] b : sent) {
            System.arraycopy(b, 0, all, at, b.length);
            at += b.length;
        }
        long pos = 0;
        while (pos < total) {
            if (total - pos < 3) {
                // a partial length prefix: zeros complete it to a length of (what was sent) << 8..., then its body
                int have = (int) (total - pos);
                long len = 0;
                for (int k = 0; k < 3; k++) {
                    len = (len << 8) | (k < have ? (all[(int) pos + k] & 0xff) : 0);
                }
                return (int) (3 - have + len);
            }
            long len = ((all[(int) pos] & 0xffL) << 16) | ((all[(int) pos + 1] & 0xffL) << 8) | (all[(int) pos + 2] & 0xffL);
            pos += 3 + len;
        }
        return (int) (pos - total);
    }

    private void fuzzConnection(int index) {
        Random r = new Random(SEED * 0x9E3779B97F4A7C15L + index);
        List<byte[]> sent = new ArrayList<>();
        String where = transport + " connection " + index + " (seed " + SEED + ")";
        try (RawFrameChannel raw = transport.equals("ws") ? RawWebSocket.connect(server.wsUrl()) : RawSocket.connect(server.tcpPort())) {
            raw.readTimeout(BOUND);
            int stream = 1;
            try {
                byte[] setup = RawSocket.setupFrame(30_000, 90_000);
                if (r.nextInt(8) == 0) {
                    setup = mutateFrame(setup, r);
                    malformed.incrementAndGet();
                }
                raw.send(setup);
                sent.add(setup);
                int frames = 5 + r.nextInt(40);
                for (int i = 0; i < frames; i++) {
                    byte[] frame;
                    boolean breaking = false;
                    int kind = r.nextInt(100);
                    if (kind < 8) {
                        frame = validRequest(r, stream);
                    } else if (kind < 94) {
                        frame = mutateContent(r, stream);
                        malformed.incrementAndGet();
                    } else {
                        frame = mutateFrame(validRequest(r, stream), r);
                        malformed.incrementAndGet();
                        breaking = true;
                    }
                    raw.send(frame);
                    sent.add(frame);
                    stream += 2;
                    if (breaking && r.nextInt(10) < 7) {
                        break; // the connection is probably over: do not spend more frames on it
                    }
                }
                // a mutated length prefix may leave the server waiting for the rest of a frame: the control request
                // would then be read as that frame's tail and never answered; complete the frame with filler first
                // (over WebSocket each frame is its own message: its length cannot lie)
                byte[] filler = new byte[raw.lengthPrefixed() ? missingBytes(sent) : 0];
                if (filler.length > 0) {
                    raw.send(filler);
                    sent.add(filler);
                }
                raw.send(RawSocket.request(REQUEST_RESPONSE, stream, RawSocket.route("tree.get"),
                        Get.newBuilder().setPattern("control/*").build().toByteArray()));
            } catch (IOException closedWhileSending) {
                // the server closed the connection: what is left to check is that it is closed, below
            }
            if (ONLY_CONNECTION >= 0) {
                writeWhole(sent, Path.of("target", "fuzz-" + transport + "-connection-" + index + ".hex"));
            }
            while (true) {
                RawSocket.Frame f = raw.read();
                if (f == null) {
                    closed.incrementAndGet();
                    return;
                }
                if (f.isError()) {
                    String m = f.message();
                    String code = m.matches("(?s)[A-Z_]+: .*") ? m.substring(0, m.indexOf(':')) : m.substring(0, Math.min(m.length(), 70));
                    errors.computeIfAbsent("0x" + Integer.toHexString(f.code()) + " " + code, k -> new AtomicInteger()).incrementAndGet();
                    if (f.message().startsWith("INTERNAL") || f.message().contains("Exception")) {
                        failures.add(where + ": an INTERNAL error frame " + f + "; frames: " + hex(sent));
                    }
                }
                if (f.streamId() == stream && (f.flags() & FLAG_FOLLOWS) == 0) {
                    answered.incrementAndGet();
                    return;
                }
            }
        } catch (SocketTimeoutException hang) {
            failures.add(where + ": neither answered nor closed within " + BOUND + "; frames: " + hex(sent));
        } catch (IOException e) {
            failures.add(where + ": " + e + "; frames: " + hex(sent));
        }
    }

    /** The frames (and filler) as sent, one line of hex each, uncut: to decode a replayed connection by hand. */
    private static void writeWhole(List<byte[]> sent, Path file) throws IOException {
        List<String> lines = new ArrayList<>();
        for (byte[] b : sent) {
            lines.add(HexFormat.of().formatHex(b));
        }
        Files.write(file, lines);
    }

    private static String hex(List<byte[]> frames) {
        StringBuilder s = new StringBuilder();
        for (byte[] f : frames) {
            s.append(HexFormat.of().formatHex(f, 0, Math.min(f.length, 96))).append(f.length > 96 ? "... " : " ");
        }
        return s.toString();
    }

    // ---- valid frames -----------------------------------------------------------------------------------------

    private static final String[] ROUTES = {"tree.update", "tree.get", "tree.subscribe", "tree.publish"};

    /** A valid request on {@code stream}: an update, a get, a subscription or a publish under {@code fuzz/}. */
    private static byte[] validRequest(Random r, int stream) {
        return switch (r.nextInt(4)) {
            case 0 -> RawSocket.request(REQUEST_RESPONSE, stream, RawSocket.route("tree.update"), batch(r).toByteArray());
            case 1 -> RawSocket.request(REQUEST_RESPONSE, stream, RawSocket.route("tree.get"), get(r).toByteArray());
            case 2 -> RawSocket.request(REQUEST_STREAM, stream, 1 + r.nextInt(64), RawSocket.route("tree.subscribe"),
                    subscribe(r).toByteArray());
            default -> RawSocket.request(REQUEST_FNF, stream, RawSocket.route("tree.publish"), batch(r).toByteArray());
        };
    }

    private static Batch batch(Random r) {
        Batch.Builder b = Batch.newBuilder();
        for (int i = 0, n = 1 + r.nextInt(3); i < n; i++) {
            Change.Builder c = Change.newBuilder().setPath("fuzz/" + r.nextInt(20) + "/" + r.nextInt(20));
            if (r.nextInt(5) == 0) {
                c.setDelete(Delete.getDefaultInstance());
            } else {
                c.setSet(Value.newBuilder().setIntValue(r.nextLong()));
            }
            b.addChanges(c);
        }
        return b.build();
    }

    private static Get get(Random r) {
        return Get.newBuilder().setPattern(r.nextBoolean() ? "fuzz/**" : "fuzz/{1,2}/*").build();
    }

    private static Subscribe subscribe(Random r) {
        return Subscribe.newBuilder().setPattern("fuzz/" + r.nextInt(20) + "/**").setSnapshot(r.nextBoolean())
                .setPolicy(r.nextBoolean() ? io.treecast.proto.Policy.STRICT : io.treecast.proto.Policy.CONFLATE).build();
    }

    // ---- mutations --------------------------------------------------------------------------------------------

    /**
     * A request whose framing is right and whose content is not: its metadata or data mutated, or the request-n of a
     * stream. RSocket delivers these; the server must answer each on its stream (or drop a fire-and-forget).
     */
    private static byte[] mutateContent(Random r, int stream) {
        int type = switch (r.nextInt(4)) {
            case 0, 1 -> REQUEST_RESPONSE;
            case 2 -> REQUEST_STREAM;
            default -> REQUEST_FNF;
        };
        String route = type == REQUEST_STREAM ? "tree.subscribe" : type == REQUEST_FNF ? "tree.publish"
                : r.nextBoolean() ? "tree.update" : "tree.get";
        if (r.nextInt(10) == 0) {
            route = ROUTES[r.nextInt(ROUTES.length)]; // a route called the wrong way
        }
        byte[] metadata = RawSocket.route(route);
        byte[] data = switch (route) {
            case "tree.get" -> get(r).toByteArray();
            case "tree.subscribe" -> subscribe(r).toByteArray();
            default -> batch(r).toByteArray();
        };
        int initialN = 1 + r.nextInt(64);
        switch (r.nextInt(12)) {
            case 0 -> data = flipBits(data, r);
            case 1 -> data = truncate(data, r);
            case 2 -> data = randomBytes(r, r.nextInt(64));
            case 3 -> data = lyingProtobuf(r);
            case 4 -> metadata = flipBits(metadata, r);
            case 5 -> metadata = truncate(metadata, r);
            case 6 -> metadata = randomBytes(r, r.nextInt(32));
            case 7 -> metadata = null;
            case 8 -> metadata = RawSocket.route(new String(randomBytes(r, 1 + r.nextInt(40)), StandardCharsets.ISO_8859_1));
            case 9 -> metadata = compositeEntryThatLies(r);
            case 10 -> data = repeatedField(r);
            default -> {
                initialN = r.nextBoolean() ? 0 : Integer.MIN_VALUE + r.nextInt(1000);
                data = flipBits(data, r);
            }
        }
        return RawSocket.request(type, stream, initialN, metadata, data);
    }

    /** A frame whose framing is broken: header bits, type, lengths, flags. Most end their connection. */
    private static byte[] mutateFrame(byte[] frame, Random r) {
        byte[] f = frame.clone();
        switch (r.nextInt(8)) {
            case 0 -> { // bit flips in the stream id, type and flags
                for (int i = 0, n = 1 + r.nextInt(3); i < n; i++) {
                    int at = 3 + r.nextInt(Math.min(6, f.length - 3));
                    f[at] ^= (byte) (1 << r.nextInt(8));
                }
            }
            case 1 -> { // an unknown or random type with random flags
                int typeAndFlags = (r.nextInt(64) << 10) | r.nextInt(1024);
                f[7] = (byte) (typeAndFlags >>> 8);
                f[8] = (byte) typeAndFlags;
            }
            case 2 -> { // cut short, the length prefix saying so
                int length = r.nextInt(Math.max(1, f.length - 3));
                f = ByteBuffer.allocate(3 + length).put(prefix(length)).put(f, 3, length).array();
            }
            case 3 -> setPrefix(f, f.length - 3 + 1 + r.nextInt(1000)); // the prefix promises more than comes
            case 4 -> setPrefix(f, r.nextInt(f.length - 3)); // the prefix promises less: the rest reads as the next frame
            case 5 -> { // random bytes behind a small length prefix
                int length = r.nextInt(64);
                f = ByteBuffer.allocate(3 + length).put(prefix(length)).put(randomBytes(r, length)).array();
            }
            case 6 -> { // the metadata flag, then a metadata length past the frame's end
                f[7] |= (byte) (FLAG_METADATA >>> 8);
                int at = f.length > 13 && ((f[7] >>> 2) & 0x3f) == REQUEST_STREAM ? 13 : 9;
                if (at + 3 <= f.length) {
                    f[at] = (byte) 0x7f;
                }
            }
            default -> flipRandomBits(f, r); // anywhere, the length prefix included
        }
        return f;
    }

    private static byte[] prefix(int length) {
        return new byte[] {(byte) (length >>> 16), (byte) (length >>> 8), (byte) length};
    }

    private static void setPrefix(byte[] f, int length) {
        f[0] = (byte) (length >>> 16);
        f[1] = (byte) (length >>> 8);
        f[2] = (byte) length;
    }

    private static byte[] flipBits(byte[] b, Random r) {
        byte[] out = b.clone();
        flipRandomBits(out, r);
        return out;
    }

    private static void flipRandomBits(byte[] b, Random r) {
        if (b.length == 0) {
            return;
        }
        for (int i = 0, n = 1 + r.nextInt(8); i < n; i++) {
            b[r.nextInt(b.length)] ^= (byte) (1 << r.nextInt(8));
        }
    }

    private static byte[] truncate(byte[] b, Random r) {
        return java.util.Arrays.copyOf(b, b.length == 0 ? 0 : r.nextInt(b.length));
    }

    private static byte[] randomBytes(Random r, int n) {
        byte[] b = new byte[n];
        r.nextBytes(b);
        return b;
    }

    /** Protobuf whose tags and lengths lie: length-delimited fields longer than the message, huge varints, groups. */
    private static byte[] lyingProtobuf(Random r) {
        ByteBuffer b = ByteBuffer.allocate(64);
        for (int i = 0, n = 1 + r.nextInt(4); i < n && b.remaining() > 12; i++) {
            int field = 1 + r.nextInt(6);
            int wire = r.nextInt(8); // 3, 4 (groups), 6 and 7 are invalid wire types here
            b.put((byte) ((field << 3) | wire));
            if (wire == 2) {
                int length = r.nextBoolean() ? 0x7fffffff : r.nextInt(200);
                while ((length & ~0x7f) != 0) {
                    b.put((byte) ((length & 0x7f) | 0x80));
                    length >>>= 7;
                }
                b.put((byte) length);
                b.put(randomBytes(r, r.nextInt(6)));
            } else {
                for (int k = 0, m = 1 + r.nextInt(10); k < m; k++) {
                    b.put((byte) (0x80 | r.nextInt(128))); // a varint that never ends, or ends late
                }
            }
        }
        return java.util.Arrays.copyOf(b.array(), b.position());
    }

    /** Composite metadata whose entry length says more (or less) than is there. */
    private static byte[] compositeEntryThatLies(Random r) {
        byte[] tag = "tree.update".getBytes(StandardCharsets.UTF_8);
        int claimed = r.nextBoolean() ? 0xffffff : r.nextInt(tag.length + 1);
        ByteBuffer b = ByteBuffer.allocate(4 + 1 + tag.length);
        b.put((byte) (0x80 | 0x7E)).put((byte) (claimed >>> 16)).put((byte) (claimed >>> 8)).put((byte) claimed);
        b.put((byte) (r.nextBoolean() ? tag.length : 0xff)).put(tag);
        return b.array();
    }

    /** A Batch with one Change whose {@code set} is repeated a few thousand times (legal protobuf, merged). */
    private static byte[] repeatedField(Random r) {
        ByteBuffer change = ByteBuffer.allocate(16_000); // under 16,384: its length is a 2-byte varint
        byte[] path = ("fuzz/rep/" + r.nextInt(10)).getBytes(StandardCharsets.UTF_8);
        change.put((byte) 0x0A).put((byte) path.length).put(path);
        while (change.remaining() > 4) {
            change.put((byte) 0x12).put((byte) 2).put((byte) 0x10).put((byte) r.nextInt(128)); // set { int_value: n }
        }
        int length = change.position();
        ByteBuffer batch = ByteBuffer.allocate(length + 4);
        batch.put((byte) 0x0A);
        batch.put((byte) ((length & 0x7f) | 0x80)).put((byte) ((length >>> 7) & 0x7f));
        batch.put(change.array(), 0, length);
        return java.util.Arrays.copyOf(batch.array(), batch.position());
    }
}
