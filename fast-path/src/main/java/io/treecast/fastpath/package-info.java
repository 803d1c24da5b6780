/**
 * The Treecast engine's public API: {@link io.treecast.fastpath.Engine} (start, offer, subscribe, get),
 * validated {@link io.treecast.fastpath.TreePath paths} and {@link io.treecast.fastpath.PathPattern patterns},
 * {@link io.treecast.fastpath.Batch batches} of {@link io.treecast.fastpath.Change changes}, events through
 * {@link io.treecast.fastpath.EventHandler}/{@link io.treecast.fastpath.EventView}, and the durability port
 * {@link io.treecast.fastpath.Journal}/{@link io.treecast.fastpath.JournalFeed}. No I/O.
 *
 * <pre>{@code
 * try (Engine engine = Engine.start(EngineConfig.builder().build())) {
 *     Subscription s = engine.subscribe(SubscribeOptions.of(PathPattern.parse("markets/**")).withSnapshot(true), handler);
 *     s.request(Long.MAX_VALUE);
 *     engine.offer(Batch.of(Change.set(TreePath.parse("markets/eu/fx/EURUSD/bid"), value)));
 * }
 * }</pre>
 *
 * Everything in {@code io.treecast.fastpath.internal} is machinery: other modules must not use it, except that the
 * benchmarks in {@code bench} drive the writer's work through {@code internal.CoreBench}, by design (the
 * distribution's ModuleBoundariesTest holds both).
 */
package io.treecast.fastpath;
