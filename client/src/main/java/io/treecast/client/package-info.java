/**
 * The Treecast Java client: {@link io.treecast.client.TreecastClient} (blocking),
 * {@link io.treecast.client.ReactiveTreecastClient} (Reactor) and {@link io.treecast.client.Mirror} (a live,
 * self-healing replica of a subtree).
 *
 * <pre>{@code
 * try (TreecastClient client = TreecastClient.connect("tcp://127.0.0.1:7070")) {
 *     client.set("markets/eu/fx/EURUSD/bid", 1.0842);
 *     client.subscribe("markets/**", event -> System.out.println(event));
 * }
 * }</pre>
 */
package io.treecast.client;
