package io.treecast.fastpath;

/**
 * Counters and gauges of an engine, read without stopping it (each value is current, the set is not atomic).
 *
 * @param seq               the last seq applied
 * @param durableSeq        the journal's durable watermark (0 without a journal)
 * @param leaves            leaves in the tree
 * @param subscriptions     live subscriptions
 * @param inboundDepth      batches waiting in the inbound queue
 * @param journalBacklog    applied batches the journal has not yet made durable
 * @param batchesApplied    batches applied since start
 * @param changesApplied    leaf-level changes applied since start
 * @param rejectedBatches   batches refused on the writer (journal full, ...)
 * @param eventsDelivered   events handed to subscription handlers
 * @param conflatedChanges  changes dropped by conflation (older values of a leaf superseded in an outbox)
 * @param slowConsumerEnds  STRICT subscriptions ended with SLOW_CONSUMER
 * @param resumesFromRing   resumes served from the replay ring
 * @param resets            RESET events sent (resume point too old or ahead)
 * @param loopErrors        throwables caught in the writer or dispatcher loops (each logged with context)
 * @param resumesFromStore  resumes older than the replay ring caught up from the {@link SnapshotStore}
 * @param writerAlive       whether the writer thread is alive (false after close, or if it died)
 * @param writerBusyNanos   nanoseconds the writer spent in duty cycles that did work (its rate is the busy ratio)
 * @param treeValueBytes    bytes of the leaves' encoded values held by the tree
 * @param strictSubscriptions live subscriptions with the STRICT policy (the rest are CONFLATE)
 * @param outboxDepthMax    events waiting in the fullest outbox
 * @param outboxDepthTotal  events waiting in all outboxes together
 * @param outboxesOverHalf  outboxes more than half full
 * @param outboxesByFill    outboxes by how full they are, four counts: up to 25% of their capacity, up to 50%, up to
 *                          75%, above 75%
 * @param treeBytes         what {@code engine.max-tree-bytes} bounds: value + path bytes of the leaves + 96 B per node
 * @param replayRingBytes   what {@code engine.replay-ring-bytes} bounds: bytes of the batches the replay ring holds
 * @param outboxSlotsUsed   what {@code engine.outbox-budget-slots} bounds: slots reserved by outboxes and pending maps
 * @param budgetRefusals    batches refused with RESOURCE_EXHAUSTED by the tree budget (also in rejectedBatches)
 * @param budgetEnds        subscriptions ended with SLOW_CONSUMER by a memory bound (outbox-budget-slots or
 *                          outbox-max-bytes, outbox-budget-bytes) rather than by their outbox capacity
 * @param outboxBytes       what {@code engine.outbox-budget-bytes} bounds: bytes of batches all outboxes hold (each
 *                          counted per outbox, as the budget counts them)
 */
public record EngineStats(long seq, long durableSeq, long leaves, long subscriptions, long inboundDepth,
                          long journalBacklog, long batchesApplied, long changesApplied, long rejectedBatches,
                          long eventsDelivered, long conflatedChanges, long slowConsumerEnds, long resumesFromRing,
                          long resets, long loopErrors, long resumesFromStore, boolean writerAlive,
                          long writerBusyNanos, long treeValueBytes, long strictSubscriptions, long outboxDepthMax,
                          long outboxDepthTotal, long outboxesOverHalf, long[] outboxesByFill, long treeBytes,
                          long replayRingBytes, long outboxSlotsUsed, long budgetRefusals, long budgetEnds,
                          long outboxBytes) {
}
