package io.treecast.cli.internal;

import org.slf4j.LoggerFactory;

/**
 * The client commands' logging: quiet by default ({@link ClientLogConfigurator}: ERROR for libraries, INFO for
 * Treecast), with {@code -v} Treecast at DEBUG and the libraries (Netty, Reactor, RSocket) at INFO.
 */
final class Logging {
    private Logging() {
    }

    static void apply(boolean verbose) {
        if (!verbose) {
            return;
        }
        level(org.slf4j.Logger.ROOT_LOGGER_NAME, "INFO");
        level("io.treecast", "DEBUG");
    }

    private static void level(String logger, String level) {
        org.slf4j.Logger l = LoggerFactory.getLogger(logger);
        if (l instanceof ch.qos.logback.classic.Logger) {
            ((ch.qos.logback.classic.Logger) l).setLevel(ch.qos.logback.classic.Level.toLevel(level));
        }
    }
}
