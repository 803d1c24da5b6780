package io.treecast.durability;

/**
 * The embedded Kafka broker did not come up: it stopped making progress (no new line in its log) for
 * {@link DurabilityConfig#startTimeout()}, or exited while starting. The message names the broker's log and the
 * setting to raise ({@code durability.start-timeout-ms} of {@code treecast serve}). An IllegalStateException, as the
 * start failures before it.
 *
 * <pre>{@code
 * try (Durability d = Durability.start(config)) { ... }
 * catch (BrokerStartException e) { System.err.println(e.getMessage()); }
 * }</pre>
 */
public class BrokerStartException extends IllegalStateException {
    private static final long serialVersionUID = 1L;

    public BrokerStartException(String message) {
        super(message);
    }
}
