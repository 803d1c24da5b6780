package io.treecast.bench.load;

import java.util.ArrayList;
import java.util.List;

/**
 * What one load run does. Mutable, fluent; {@link #validate()} is called by {@link LoadGenerator} before it starts.
 *
 * <pre>{@code
 * new LoadOptions().rate(50_000).publishers(2).subscribers(20).leaves(100_000).durationSeconds(30).transport("ws");
 * }</pre>
 */
public final class LoadOptions {
    /** Subscribers are tracked with one bit each per leaf. */
    public static final int MAX_SUBSCRIBERS = 64;

    private long rate = 50_000;
    private int publishers = 1;
    private int batch = 1;
    private int subscribers = 20;
    private int leaves = 100_000;
    private List<String> patterns = new ArrayList<>();
    private int durationSeconds = 30;
    private int warmupSeconds = 5;
    private int drainTimeoutSeconds = 10;
    private String url;
    private String transport = "tcp";
    private boolean floor;
    private int outboxCapacity = 0;
    private boolean preload = true;
    private long serverPid;
    private java.nio.file.Path caFile;
    private String metricsUrl;
    private int readAheadFrames;
    private int pacingTickMicros;
    private List<String> edgeUrls = new ArrayList<>();
    private List<Long> edgePids = new ArrayList<>();

    public long rate() { return rate; }
    public int publishers() { return publishers; }
    /** Leaf updates per published batch (each publisher sends a batch when its last update is due). */
    public int batch() { return batch; }
    public int subscribers() { return subscribers; }
    public int leaves() { return leaves; }
    /** Explicit patterns; empty = the default mix of {@link Workload#defaultPatterns(int)}. */
    public List<String> patterns() { return patterns; }
    public int durationSeconds() { return durationSeconds; }
    public int warmupSeconds() { return warmupSeconds; }
    public int drainTimeoutSeconds() { return drainTimeoutSeconds; }
    /** The server to load, e.g. {@code tcp://127.0.0.1:7070}; null in floor mode. */
    public String url() { return url; }
    /** {@code tcp}, {@code ws}, {@code tls} or {@code wss}: labels results and picks the embedded server's address. */
    public String transport() { return transport; }
    public boolean floor() { return floor; }
    public int outboxCapacity() { return outboxCapacity; }
    public boolean preload() { return preload; }
    /** The server process whose CPU (and its children's) the run reports; 0 = none. */
    public long serverPid() { return serverPid; }
    public LoadOptions serverPid(long v) { serverPid = v; return this; }
    /** For tls:// and wss:// URLs: the PEM CA certificates to trust (null: the JDK's). */
    public java.nio.file.Path caFile() { return caFile; }
    /** The server's metrics URL (e.g. {@code http://127.0.0.1:9464}): the run reports the publishes it refused. */
    public String metricsUrl() { return metricsUrl; }
    public LoadOptions metricsUrl(String v) { metricsUrl = v; return this; }
    public LoadOptions caFile(java.nio.file.Path v) { caFile = v; return this; }
    /**
     * Edge nodes of the server ({@code serve --upstream}): subscribers are spread over the server and the edges
     * (subscriber i on node i mod (1 + edges)), publishers stay on the server; empty = no edges.
     */
    public List<String> edgeUrls() { return edgeUrls; }
    public LoadOptions edgeUrls(List<String> v) { edgeUrls = new ArrayList<>(v); return this; }
    /** The edges' processes, whose CPU is reported as role "edge". */
    public List<Long> edgePids() { return edgePids; }
    public LoadOptions edgePids(List<Long> v) { edgePids = new ArrayList<>(v); return this; }

    /**
     * Frames each subscriber asks for ahead ({@code ClientOptions.readAheadFrames}); 0 = the client's default. For the
     * A/B of the read-ahead (bench --read-ahead-frames).
     */
    public int readAheadFrames() { return readAheadFrames; }
    public LoadOptions readAheadFrames(int v) { readAheadFrames = v; return this; }

    /** Updates per second offered by all publishers together. */
    public LoadOptions rate(long v) { rate = v; return this; }
    public LoadOptions publishers(int v) { publishers = v; return this; }
    public LoadOptions batch(int v) { batch = v; return this; }
    public LoadOptions subscribers(int v) { subscribers = v; return this; }
    public LoadOptions leaves(int v) { leaves = v; return this; }
    public LoadOptions patterns(List<String> v) { patterns = new ArrayList<>(v); return this; }
    /** Measured seconds, after the warm-up. */
    public LoadOptions durationSeconds(int v) { durationSeconds = v; return this; }
    /** Seconds at full rate whose latencies are not recorded (counts still are). */
    public LoadOptions warmupSeconds(int v) { warmupSeconds = v; return this; }
    /** After the last send, how long to wait for missing deliveries before counting them lost. */
    public LoadOptions drainTimeoutSeconds(int v) { drainTimeoutSeconds = v; return this; }
    public LoadOptions url(String v) { url = v; return this; }
    public LoadOptions transport(String v) { transport = v; return this; }
    public LoadOptions floor(boolean v) { floor = v; return this; }
    /**
     * Outbox the server keeps for each STRICT subscriber, in events; 0 (the default) takes the server's default, as a
     * user who asks for none gets: bounded by bytes (engine.outbox-max-bytes, engine.outbox-budget-bytes).
     */
    public LoadOptions outboxCapacity(int v) { outboxCapacity = v; return this; }
    /** Write every leaf once before subscribing, so the tree has its full size during the run. */
    public LoadOptions preload(boolean v) { preload = v; return this; }

    /**
     * How often a publisher thread wakes, at most, in microseconds; 0 (default) = for every update when it is due.
     * With N > 0 a publisher that has sent what was due sleeps at least N µs and then sends every update that came
     * due meanwhile, back to back. Each update's latency still counts from its own intended time, so the wait is in
     * the figures; what changes is the pacing's own cost (a timed park and an event-loop wake-up per update at
     * 50,000/s) and that publishes reach the client library in small bursts, as an application's often do.
     */
    public int pacingTickMicros() { return pacingTickMicros; }
    public LoadOptions pacingTickMicros(int v) { pacingTickMicros = v; return this; }

    /** The number of subscribers actually used: the explicit patterns, or {@link #subscribers()}. */
    public int effectiveSubscribers() {
        return patterns.isEmpty() ? subscribers : patterns.size();
    }

    /** @throws IllegalArgumentException naming the option and what is allowed */
    public LoadOptions validate() {
        require(rate >= 1, "--rate must be >= 1 (updates per second), got " + rate);
        require(publishers >= 1 && publishers <= 64, "--publishers must be 1..64, got " + publishers);
        require(batch >= 1 && batch <= 1024, "--batch must be 1..1024, got " + batch);
        require(effectiveSubscribers() >= 1 && effectiveSubscribers() <= MAX_SUBSCRIBERS,
                "--subscribers (or the number of --pattern) must be 1.." + MAX_SUBSCRIBERS + ", got " + effectiveSubscribers());
        require(leaves >= 100 && leaves <= 10_000_000, "--leaves must be 100..10000000, got " + leaves);
        require(durationSeconds >= 1, "--duration must be >= 1 second, got " + durationSeconds);
        require(warmupSeconds >= 0, "--warmup must be >= 0 seconds, got " + warmupSeconds);
        require(drainTimeoutSeconds >= 1, "--drain-timeout must be >= 1 second, got " + drainTimeoutSeconds);
        require(transport.equals("tcp") || transport.equals("ws") || transport.equals("tls") || transport.equals("wss"),
                "--transport must be tcp, ws, tls or wss, got " + transport);
        require(readAheadFrames >= 0 && readAheadFrames <= io.treecast.client.ClientOptions.MAX_READ_AHEAD_FRAMES,
                "--read-ahead-frames must be 0 (the client's default) or 1.." + io.treecast.client.ClientOptions.MAX_READ_AHEAD_FRAMES
                        + ", got " + readAheadFrames);
        require(pacingTickMicros >= 0 && pacingTickMicros <= 100_000,
                "--pacing-tick-us must be 0..100000 (microseconds; 0 = wake for every update), got " + pacingTickMicros);
        require(floor || url != null, "give --url (a running server), --embedded or --floor");
        return this;
    }

    private static void require(boolean ok, String message) {
        if (!ok) {
            throw new IllegalArgumentException(message);
        }
    }

    /** A copy, so that find-max can change the rate step by step. */
    public LoadOptions copy() {
        LoadOptions o = new LoadOptions();
        o.rate = rate; o.publishers = publishers; o.batch = batch; o.subscribers = subscribers; o.leaves = leaves;
        o.patterns = new ArrayList<>(patterns); o.durationSeconds = durationSeconds; o.warmupSeconds = warmupSeconds;
        o.drainTimeoutSeconds = drainTimeoutSeconds; o.url = url; o.transport = transport; o.floor = floor;
        o.outboxCapacity = outboxCapacity; o.preload = preload; o.serverPid = serverPid; o.caFile = caFile; o.metricsUrl = metricsUrl;
        o.readAheadFrames = readAheadFrames; o.pacingTickMicros = pacingTickMicros;
        o.edgeUrls = new ArrayList<>(edgeUrls); o.edgePids = new ArrayList<>(edgePids);
        return o;
    }
}
