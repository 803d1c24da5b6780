/**
 * The end-to-end load generator behind {@code treecast bench}: a paced offered rate from N publishers, M wildcard
 * subscribers, latency per delivered change measured from the intended send time (coordinated omission corrected)
 * with HdrHistogram, and a {@code floor} mode that runs the same workload through an in-process queue.
 *
 * <pre>{@code
 * LoadOptions o = new LoadOptions().rate(50_000).durationSeconds(30).url("tcp://127.0.0.1:7070");
 * RunResult r = new LoadGenerator(o, System.out::println).run();
 * System.out.println(r.toText());
 * }</pre>
 */
package io.treecast.bench.load;
