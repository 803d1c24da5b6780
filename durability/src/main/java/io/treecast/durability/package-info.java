/**
 * Treecast's durability: start with {@link io.treecast.durability.Durability#start} and hand
 * {@link io.treecast.durability.Durability#journal()} to the engine. Everything else lives in {@code internal}.
 */
package io.treecast.durability;
