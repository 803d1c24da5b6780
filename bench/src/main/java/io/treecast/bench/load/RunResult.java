package io.treecast.bench.load;

import org.HdrHistogram.Histogram;

import java.util.Locale;
import java.util.Map;

/**
 * The outcome of one run: counts and the latency distribution (microseconds, from the intended send time).
 *
 * @param mode              {@code tcp}, {@code ws} or {@code floor}
 * @param rate              offered updates per second
 * @param seconds           measured seconds (warm-up excluded)
 * @param published         updates sent in the measured seconds (as {@code seconds}: warm-up excluded)
 * @param expected          deliveries the patterns call for (sum over subscribers, warm-up included: every update
 *                          sent is checked for loss)
 * @param delivered         deliveries received (warm-up included, as {@code expected})
 * @param lost              {@code expected - delivered} (never negative)
 * @param conflatedEvents   events flagged conflated (should be 0: subscriptions are STRICT)
 * @param slowConsumerEnds  subscriptions ended by SLOW_CONSUMER
 * @param otherEnds         subscriptions ended by any other error
 * @param warmupPublished   updates sent during the warm-up (not in {@code published})
 * @param cpuPerDelivered   with edges ({@code treecast bench --edges N}): core-microseconds per event delivered to
 *                          its own subscribers, for the core ("server") and the edges together ("edge")
 * @param refusedByServer   publishes the server counted as refused while the run published (warm-up included, as
 *                          {@code lost}), read from its metrics endpoint; -1 when not known. Their deliveries are in
 *                          {@code lost}: a publish is fire-and-forget, so a refusal reaches no client.
 */
public record RunResult(String mode, long rate, int seconds, long published, long expected, long delivered, long lost,
                        long conflatedEvents, long slowConsumerEnds, long otherEnds,
                        double p50, double p90, double p99, double p999, double max, long samples,
                        Map<String, Double> cpuPerUpdate, Map<String, Double> cores, long warmupPublished,
                        Map<String, Double> cpuPerDelivered, long refusedByServer) {

    /** A result without per-delivered-event CPU (no edges) and without the server's refusals (not known). */
    public RunResult(String mode, long rate, int seconds, long published, long expected, long delivered, long lost,
                     long conflatedEvents, long slowConsumerEnds, long otherEnds,
                     double p50, double p90, double p99, double p999, double max, long samples,
                     Map<String, Double> cpuPerUpdate, Map<String, Double> cores, long warmupPublished) {
        this(mode, rate, seconds, published, expected, delivered, lost, conflatedEvents, slowConsumerEnds, otherEnds,
                p50, p90, p99, p999, max, samples, cpuPerUpdate, cores, warmupPublished, Map.of(), -1);
    }

    /** This result with the CPU per delivered event of the core and the edges. */
    RunResult withCpuPerDelivered(Map<String, Double> perDelivered) {
        return new RunResult(mode, rate, seconds, published, expected, delivered, lost, conflatedEvents, slowConsumerEnds,
                otherEnds, p50, p90, p99, p999, max, samples, cpuPerUpdate, cores, warmupPublished, Map.copyOf(perDelivered),
                refusedByServer);
    }

    /** This result with the publishes the server refused during the run (-1: not known). */
    RunResult withRefusedByServer(long refused) {
        return new RunResult(mode, rate, seconds, published, expected, delivered, lost, conflatedEvents, slowConsumerEnds,
                otherEnds, p50, p90, p99, p999, max, samples, cpuPerUpdate, cores, warmupPublished, cpuPerDelivered, refused);
    }

    static RunResult of(String mode, long rate, int seconds, long published, long warmupPublished, long expected, long delivered,
                        long conflated, long slow, long other, Histogram h, Map<String, Double> cpuPerUpdate,
                        Map<String, Double> cores) {
        return new RunResult(mode, rate, seconds, published, expected, delivered, Math.max(0, expected - delivered),
                conflated, slow, other, us(h.getValueAtPercentile(50)), us(h.getValueAtPercentile(90)),
                us(h.getValueAtPercentile(99)), us(h.getValueAtPercentile(99.9)), us(h.getMaxValue()), h.getTotalCount(),
                Map.copyOf(cpuPerUpdate), Map.copyOf(cores), warmupPublished);
    }

    private static double us(long nanos) {
        return nanos / 1000.0;
    }

    /** True when nothing was lost, conflated or ended early. */
    public boolean clean() {
        return lost == 0 && conflatedEvents == 0 && slowConsumerEnds == 0 && otherEnds == 0;
    }

    /** One human-readable line. */
    public String toText() {
        return String.format(Locale.ROOT,
                "%-5s rate=%,d/s secs=%d published=%,d warm-up=%,d expected=%,d delivered=%,d lost=%,d conflated=%d slow-consumer=%d"
                        + " other-ends=%d | p50=%.1fus p90=%.1fus p99=%.1fus p99.9=%.1fus max=%.1fus (n=%,d)",
                mode, rate, seconds, published, warmupPublished, expected, delivered, lost, conflatedEvents, slowConsumerEnds, otherEnds,
                p50, p90, p99, p999, max, samples)
                + (refusedByServer < 0 ? "" : String.format(Locale.ROOT, " | refused by the server: %,d publishes", refusedByServer))
                + (cpuPerUpdate.isEmpty() ? "" : " | cpu core-us/update: " + ProcessCpu.format(ordered(cpuPerUpdate))
                + " (cores: " + ProcessCpu.format(ordered(cores)) + ")")
                + (cpuPerDelivered.isEmpty() ? "" : " | cpu core-us/delivered event: " + ProcessCpu.format(ordered(cpuPerDelivered)));
    }

    /** Roles in a stable order: server, edge, broker, state, children, server-side, loadgen. */
    private static Map<String, Double> ordered(Map<String, Double> m) {
        Map<String, Double> out = new java.util.LinkedHashMap<>();
        for (String k : new String[]{"server", "edge", "broker", "state", "children", "server-side", "loadgen"}) {
            if (m.containsKey(k)) {
                out.put(k, m.get(k));
            }
        }
        return out;
    }

    private static String json(Map<String, Double> m) {
        StringBuilder b = new StringBuilder("{");
        ordered(m).forEach((k, v) -> b.append(b.length() == 1 ? "" : ",").append('"').append(k).append("\":")
                .append(String.format(Locale.ROOT, "%.2f", v)));
        return b.append('}').toString();
    }

    /** One JSON object, latencies in microseconds. */
    public String toJson() {
        return String.format(Locale.ROOT,
                "{\"mode\":\"%s\",\"rate\":%d,\"seconds\":%d,\"published\":%d,\"warmupPublished\":%d,\"expected\":%d,\"delivered\":%d,\"lost\":%d,"
                        + "\"conflated\":%d,\"slowConsumer\":%d,\"otherEnds\":%d,\"p50us\":%.1f,\"p90us\":%.1f,\"p99us\":%.1f,"
                        + "\"p999us\":%.1f,\"maxus\":%.1f,\"samples\":%d,\"cpuCoreMicrosPerUpdate\":%s,\"cpuCores\":%s,"
                        + "\"cpuCoreMicrosPerDeliveredEvent\":%s,\"refusedByServer\":%s}",
                mode, rate, seconds, published, warmupPublished, expected, delivered, lost, conflatedEvents, slowConsumerEnds, otherEnds,
                p50, p90, p99, p999, max, samples, json(cpuPerUpdate), json(cores), json(cpuPerDelivered),
                refusedByServer < 0 ? "null" : Long.toString(refusedByServer));
    }
}
