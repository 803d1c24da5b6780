package io.treecast.bench.load;

import io.treecast.client.ChangeBatch;
import io.treecast.client.ClientOptions;
import io.treecast.client.ClientSubscription;
import io.treecast.client.LeafChange;
import io.treecast.client.Policy;
import io.treecast.client.SubscribeSpec;
import io.treecast.client.TreeEvent;
import io.treecast.client.TreeValue;
import io.treecast.client.TreecastClient;
import io.treecast.client.TreecastClientException;
import org.HdrHistogram.Histogram;
import org.HdrHistogram.SingleWriterRecorder;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.SplittableRandom;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.LinkedTransferQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.LockSupport;
import java.util.function.Consumer;

/**
 * Runs one paced load against a server ({@link LoadOptions#url()}) or, in floor mode, through an in-process queue.
 *
 * <p>Publishers send on a fixed schedule: update k of publisher p is due at {@code start + (k * P + p) / rate}.
 * Its value is that intended time ({@link System#nanoTime()}, an INT), and a subscriber records
 * {@code now - intended}, so time lost behind a stall is counted (coordinated omission corrected). A publisher
 * that falls behind sends what is due at once instead of skipping it. Publishers park between sends (spinning would
 * take a core on small machines); the park's wake-up granularity therefore shows in both the broker's and the
 * floor's figures.
 *
 * <p>Threads: one per publisher; subscribers are client connections whose events arrive on the client's shared
 * event loops (no thread per subscriber); each subscriber records into its own single-writer recorder, read every
 * second by the calling thread for the progress line and merged at the end. In floor mode one consumer thread takes
 * updates from the queue and does the same matching ({@code PathPattern.matches}) and recording per subscriber.
 */
public final class LoadGenerator {
    private static final long HIGHEST_NANOS = TimeUnit.SECONDS.toNanos(60);

    private final LoadOptions options;
    private final Consumer<String> progress;

    /** @param progress receives one line per second (and a few status lines); may be {@code s -> { }} */
    public LoadGenerator(LoadOptions options, Consumer<String> progress) {
        this.options = options.copy().validate();
        this.progress = progress;
    }

    /**
     * Raises the rate by {@code factor} each step, starting at {@code options.rate()}, until p99 exceeds
     * {@code p99LimitMicros} or anything is lost (or {@code maxSteps} ran). Every step is in the returned list;
     * {@link #highestPassing} picks the answer.
     */
    public static List<RunResult> findMax(LoadOptions options, double p99LimitMicros, double factor, int maxSteps,
                                          Consumer<String> progress) {
        List<RunResult> steps = new ArrayList<>();
        LoadOptions o = options.copy();
        for (int i = 0; i < maxSteps; i++) {
            RunResult r = new LoadGenerator(o, progress).run();
            steps.add(r);
            progress.accept("step " + (i + 1) + ": " + r.toText());
            if (!r.clean() || r.p99() > p99LimitMicros) {
                break;
            }
            o = o.copy().rate(Math.round(o.rate() * factor)).preload(false);
        }
        return steps;
    }

    /** The highest-rate step that passed (clean and p99 within the limit), or null. */
    public static RunResult highestPassing(List<RunResult> steps, double p99LimitMicros) {
        RunResult best = null;
        for (RunResult r : steps) {
            if (r.clean() && r.p99() <= p99LimitMicros && (best == null || r.rate() > best.rate())) {
                best = r;
            }
        }
        return best;
    }

    /** Runs warm-up + duration, waits for the deliveries to drain, and returns the result. */
    public RunResult run() {
        Workload w = new Workload(options.leaves(), options.patterns(), options.subscribers());
        int m = w.patterns().size();
        Sub[] subs = new Sub[m];
        for (int s = 0; s < m; s++) {
            subs[s] = new Sub();
        }
        return options.floor() ? runFloor(w, subs) : runBroker(w, subs);
    }

    // ---------------------------------------------------------------- broker

    /** Subscriber {@code s} is on the server (node 0) or on edge {@code s mod (1 + edges)}. */
    private int nodeOf(int s) {
        return s % (1 + options.edgeUrls().size());
    }

    private String subscriberUrl(int s) {
        int node = nodeOf(s);
        return node == 0 ? options.url() : options.edgeUrls().get(node - 1);
    }

    /** Deliveries so far to the subscribers of the server ([0]) and of the edges ([1]). */
    private long[] deliveredByNode(Sub[] subs) {
        long[] out = new long[2];
        for (int s = 0; s < subs.length; s++) {
            out[nodeOf(s) == 0 ? 0 : 1] += subs[s].delivered.get();
        }
        return out;
    }

    private RunResult runBroker(Workload w, Sub[] subs) {
        String url = options.url();
        ClientOptions co = ClientOptions.defaults().clientName("treecast-bench").requestTimeout(Duration.ofSeconds(60));
        if (options.caFile() != null) {
            co = co.caFile(options.caFile());
        }
        if (options.readAheadFrames() > 0) {
            co = co.readAheadFrames(options.readAheadFrames());
        }
        List<TreecastClient> clients = new ArrayList<>();
        List<ClientSubscription> subscriptions = new ArrayList<>();
        try {
            TreecastClient[] pubs = new TreecastClient[options.publishers()];
            for (int p = 0; p < pubs.length; p++) {
                pubs[p] = TreecastClient.connect(url, co.clientName("treecast-bench-pub-" + p));
                clients.add(pubs[p]);
            }
            if (options.preload()) {
                preload(pubs[0], w);
            }
            CountDownLatch ready = new CountDownLatch(subs.length);
            for (int s = 0; s < subs.length; s++) {
                Sub sub = subs[s];
                TreecastClient c = TreecastClient.connect(subscriberUrl(s), co.clientName("treecast-bench-sub-" + s));
                clients.add(c);
                // The snapshot's end tells us the subscription is live before the first update is sent.
                SubscribeSpec spec = SubscribeSpec.pattern(w.patterns().get(s)).snapshot().policy(Policy.STRICT)
                        .outboxCapacity(options.outboxCapacity());
                subscriptions.add(c.subscribe(spec, e -> sub.onEvent(e, ready), sub::onError));
            }
            if (!ready.await(60, TimeUnit.SECONDS)) {
                throw new IllegalStateException("subscriptions did not become live within 60 s");
            }
            AtomicLong sendErrors = new AtomicLong();
            Sender[] senders = new Sender[pubs.length];
            for (int p = 0; p < pubs.length; p++) {
                TreecastClient c = pubs[p];
                senders[p] = (leaves, intended, n) -> {
                    ChangeBatch b = ChangeBatch.create();
                    for (int i = 0; i < n; i++) {
                        b.set(w.path(leaves[i]), TreeValue.of(intended[i]));
                    }
                    try {
                        c.publish(b); // the documented throughput call: queues the frame, does not wait for the write
                    } catch (RuntimeException e) {
                        sendErrors.incrementAndGet();
                    }
                };
            }
            RunResult r = drive(w, subs, senders, options.transport(), null);
            if (sendErrors.get() > 0) {
                progress.accept("warning: " + sendErrors.get() + " publishes failed on the client side");
            }
            return r;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted", e);
        } finally {
            subscriptions.forEach(ClientSubscription::cancel);
            if (!clients.isEmpty()) {
                // a live server keeps nothing of the run: every path it wrote is under one root
                try {
                    clients.get(0).delete(Workload.ROOT);
                    progress.accept("removed the run's leaves (" + Workload.ROOT + "/**)");
                } catch (RuntimeException e) {
                    progress.accept("warning: could not remove the run's leaves under " + Workload.ROOT + ": " + e.getMessage());
                }
            }
            clients.forEach(TreecastClient::close);
        }
    }

    private void preload(TreecastClient c, Workload w) {
        int batch = 500;
        for (int i = 0; i < w.leaves(); i += batch) {
            int from = i;
            int to = Math.min(w.leaves(), i + batch);
            c.update(b -> {
                long now = System.nanoTime();
                for (int l = from; l < to; l++) {
                    b.set(w.path(l), now);
                }
            });
        }
        progress.accept("preloaded " + w.leaves() + " leaves");
    }

    // ---------------------------------------------------------------- floor

    private RunResult runFloor(Workload w, Sub[] subs) {
        LinkedTransferQueue<long[]> queue = new LinkedTransferQueue<>();
        long[] poison = new long[0];
        Thread consumer = new Thread(() -> {
            try {
                while (true) {
                    long[] u = queue.take();
                    if (u == poison) {
                        return;
                    }
                    long now = System.nanoTime();
                    for (int k = 0; k < u.length; k += 2) {
                        int leaf = (int) u[k];
                        for (int s = 0; s < subs.length; s++) {
                            if (w.pattern(s).matches(w.treePath(leaf))) {
                                subs[s].record(now - u[k + 1]);
                                subs[s].delivered.lazySet(subs[s].delivered.get() + 1);
                            }
                        }
                    }
                }
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }, "treecast-floor-consumer");
        consumer.setDaemon(true);
        consumer.start();
        Sender[] senders = new Sender[options.publishers()];
        for (int p = 0; p < senders.length; p++) {
            senders[p] = (leaves, intended, n) -> {
                long[] u = new long[2 * n];
                for (int i = 0; i < n; i++) {
                    u[2 * i] = leaves[i];
                    u[2 * i + 1] = intended[i];
                }
                queue.offer(u);
            };
        }
        try {
            return drive(w, subs, senders, "floor", null);
        } finally {
            queue.offer(poison);
        }
    }

    // ---------------------------------------------------------------- common

    @FunctionalInterface
    private interface Sender {
        /** Sends the first {@code n} updates of the arrays as one batch (the arrays are reused afterwards). */
        void send(int[] leaves, long[] intendedNanos, int n);
    }

    private RunResult drive(Workload w, Sub[] subs, Sender[] senders, String mode, Object unused) {
        int pubs = senders.length;
        long rate = options.rate();
        long warmupNanos = TimeUnit.SECONDS.toNanos(options.warmupSeconds());
        long totalNanos = warmupNanos + TimeUnit.SECONDS.toNanos(options.durationSeconds());
        long start = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(20);
        long totalUpdates = Math.round(rate * (totalNanos / 1e9));
        long[][] expected = new long[pubs][subs.length];
        AtomicLong published = new AtomicLong();
        // the floor has no server; a server's refusals are read before the first publish and after the drain
        ServerRefusals refusals = ServerRefusals.at(mode.equals("floor") ? null : options.metricsUrl());
        long refusedBefore = refusals.count();
        Thread[] threads = new Thread[pubs];
        for (int p = 0; p < pubs; p++) {
            int pi = p;
            threads[p] = new Thread(() -> publish(pi, pubs, options.batch(), start, rate, totalUpdates, w, senders[pi], expected[pi], published,
                    TimeUnit.MICROSECONDS.toNanos(options.pacingTickMicros())),
                    "treecast-bench-publisher-" + p);
            threads[p].start();
        }
        Histogram total = new Histogram(HIGHEST_NANOS, 3);
        Histogram progressHist = new Histogram(HIGHEST_NANOS, 3);
        long nextTick = start + TimeUnit.SECONDS.toNanos(1);
        boolean measuring = warmupNanos == 0;
        ProcessCpu cpu = ProcessCpu.forServer(options.serverPid(), options.edgePids());
        ProcessCpu.Sample cpuBefore = measuring ? cpu.sample() : null;
        long[] deliveredBefore = deliveredByNode(subs);
        long publishedBefore = 0;
        long lastDelivered = -1;
        long lastChange = 0;
        int second = 0;
        while (true) {
            long now = System.nanoTime();
            if (now < nextTick) {
                LockSupport.parkNanos(nextTick - now);
                continue;
            }
            nextTick += TimeUnit.SECONDS.toNanos(1);
            second++;
            boolean wasMeasuring = measuring;
            progressHist.reset();
            for (Sub s : subs) {
                s.interval = s.recorder.getIntervalHistogram(s.interval);
                progressHist.add(s.interval);
                if (wasMeasuring) {
                    total.add(s.interval);
                }
            }
            if (!measuring && now - start >= warmupNanos) {
                measuring = true;
                cpuBefore = cpu.sample();
                deliveredBefore = deliveredByNode(subs);
                publishedBefore = published.get();
            }
            long delivered = sum(subs);
            long exp = sumExpected(expected);
            boolean publishing = anyAlive(threads);
            progress.accept(String.format(Locale.ROOT,
                    "[%s %3ds%s] published=%,d expected=%,d delivered=%,d | this second: p50=%.1fus p99=%.1fus max=%.1fus",
                    mode, second, wasMeasuring ? "" : " warm-up", published.get(), exp, delivered,
                    progressHist.getValueAtPercentile(50) / 1000.0, progressHist.getValueAtPercentile(99) / 1000.0,
                    progressHist.getMaxValue() / 1000.0));
            if (!publishing) {
                if (delivered >= exp || ended(subs)) {
                    break;
                }
                if (delivered != lastDelivered) {
                    lastDelivered = delivered;
                    lastChange = now;
                } else if (now - lastChange > TimeUnit.SECONDS.toNanos(options.drainTimeoutSeconds())) {
                    break;
                }
            }
        }
        ProcessCpu.Sample cpuAfter = cpu.sample();
        long measuredUpdates = published.get() - publishedBefore;
        java.util.Map<String, Double> cpuPerUpdate = cpuBefore == null ? java.util.Map.of()
                : cpuAfter.coreMicrosPerUpdateSince(cpuBefore, measuredUpdates);
        java.util.Map<String, Double> cores = cpuBefore == null ? java.util.Map.of() : cpuAfter.coresSince(cpuBefore);
        for (Sub s : subs) {
            s.interval = s.recorder.getIntervalHistogram(s.interval);
            total.add(s.interval);
        }
        long slow = 0;
        long other = 0;
        long conflated = 0;
        for (Sub s : subs) {
            conflated += s.conflated.get();
            if (s.endCode != null) {
                if (s.endCode == TreecastClientException.Code.SLOW_CONSUMER) {
                    slow++;
                } else {
                    other++;
                }
            }
        }
        // publishedBefore is 0 without a warm-up; otherwise what was sent before the measured seconds began
        long refusedAfter = refusals.count();
        RunResult result = RunResult.of(mode, rate, options.durationSeconds(), measuredUpdates, publishedBefore, sumExpected(expected), sum(subs),
                conflated, slow, other, total, cpuPerUpdate, cores)
                .withRefusedByServer(refusedBefore < 0 || refusedAfter < 0 ? -1 : refusedAfter - refusedBefore);
        if (options.edgeUrls().isEmpty() || cpuBefore == null) {
            return result;
        }
        // side by side in one run: each node's CPU per event it delivered to its own subscribers (the core's also
        // covers ingest, journal and feeding the edges; an edge's covers following the core)
        long[] deliveredAfter = deliveredByNode(subs);
        java.util.Map<String, Double> perDelivered = new java.util.LinkedHashMap<>();
        String[] roles = {"server", "edge"};
        for (int n = 0; n < 2; n++) {
            Long was = cpuBefore.cpuNanos().get(roles[n]);
            Long now = cpuAfter.cpuNanos().get(roles[n]);
            long events = deliveredAfter[n] - deliveredBefore[n];
            if (was != null && now != null && events > 0) {
                perDelivered.put(roles[n], (now - was) / 1000.0 / events);
            }
        }
        return result.withCpuPerDelivered(perDelivered);
    }

    private static void publish(int p, int pubs, int batch, long start, long rate, long totalUpdates, Workload w, Sender sender,
                                long[] expected, AtomicLong published, long tickNanos) {
        SplittableRandom random = new SplittableRandom(0x5EED + p);
        int leaves = w.leaves();
        int[] batchLeaves = new int[batch];
        long[] batchIntended = new long[batch];
        int n = 0;
        long lastWake = Long.MIN_VALUE / 2;
        for (long k = p; k < totalUpdates; k += pubs) {
            long intended = start + (long) (k * 1e9 / rate);
            int leaf = random.nextInt(leaves);
            long mask = w.mask(leaf);
            while (mask != 0) {
                int s = Long.numberOfTrailingZeros(mask);
                expected[s]++;
                mask &= mask - 1;
            }
            batchLeaves[n] = leaf;
            batchIntended[n] = intended;
            n++;
            // a batch leaves when its last update is due; its earlier updates' wait counts in their latency
            if (n < batch && k + pubs < totalUpdates) {
                continue;
            }
            // with a pacing tick, an update not yet due waits for the next tick (at least tickNanos after the last
            // wake-up); one already due goes at once, so the updates that came due during a sleep leave back to back
            boolean ticking = tickNanos > 0 && System.nanoTime() < intended;
            long wakeAt = ticking ? Math.max(intended, lastWake + tickNanos) : intended;
            long gap = wakeAt - System.nanoTime();
            if (gap > 5_000) {
                LockSupport.parkNanos(gap);
            }
            while (System.nanoTime() < wakeAt) {
                Thread.onSpinWait();
            }
            if (ticking) {
                lastWake = System.nanoTime();
            }
            sender.send(batchLeaves, batchIntended, n);
            published.lazySet(published.get() + n);
            n = 0;
        }
    }

    private static long sum(Sub[] subs) {
        long n = 0;
        for (Sub s : subs) {
            n += s.delivered.get();
        }
        return n;
    }

    private static boolean ended(Sub[] subs) {
        for (Sub s : subs) {
            if (s.endCode == null) {
                return false;
            }
        }
        return true;
    }

    private static long sumExpected(long[][] expected) {
        long n = 0;
        for (long[] e : expected) {
            for (long v : e) {
                n += v;
            }
        }
        return n;
    }

    private static boolean anyAlive(Thread[] threads) {
        for (Thread t : threads) {
            if (t.isAlive()) {
                return true;
            }
        }
        // join makes the publishers' plain writes to expected[] visible to this thread
        for (Thread t : threads) {
            try {
                t.join();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
        return false;
    }

    /** One subscriber's counters; written by one thread (its connection's event loop, or the floor consumer). */
    private static final class Sub {
        final SingleWriterRecorder recorder = new SingleWriterRecorder(HIGHEST_NANOS, 3);
        final AtomicLong delivered = new AtomicLong();
        final AtomicLong conflated = new AtomicLong();
        volatile TreecastClientException.Code endCode;
        /** Reused by the reading thread only (a recorder takes back only its own histograms). */
        Histogram interval;

        void record(long nanos) {
            recorder.recordValue(Math.max(0, Math.min(nanos, HIGHEST_NANOS)));
        }

        void onEvent(TreeEvent e, CountDownLatch ready) {
            if (e.kind() != TreeEvent.Kind.UPDATE) {
                if (e.kind() == TreeEvent.Kind.SNAPSHOT_END) {
                    ready.countDown();
                }
                return;
            }
            long now = System.nanoTime();
            if (e.conflated()) {
                conflated.lazySet(conflated.get() + 1);
            }
            long n = 0;
            List<LeafChange> changes = e.changes();
            for (int i = 0; i < changes.size(); i++) {
                TreeValue v = changes.get(i).value();
                if (v != null && v.kind() == TreeValue.Kind.INT) {
                    record(now - v.asLong());
                    n++;
                }
            }
            delivered.lazySet(delivered.get() + n);
        }

        void onError(TreecastClientException e) {
            endCode = e.code();
        }
    }
}
