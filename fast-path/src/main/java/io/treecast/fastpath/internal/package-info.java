/**
 * Engine machinery, not API: the tree, the subscription index, the single-threaded {@link
 * io.treecast.fastpath.internal.EngineCore}, the threaded {@link io.treecast.fastpath.internal.DefaultEngine},
 * dispatchers and queues. See fast-path/README.md for the design and its reasoning.
 */
package io.treecast.fastpath.internal;
