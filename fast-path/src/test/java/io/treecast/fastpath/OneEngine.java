package io.treecast.fastpath;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;

import java.time.Duration;

/**
 * For tests that start one engine each: the test assigns {@link #engine}, and it is closed after the test. Awaits poll
 * every 2 ms, since an engine answers in microseconds.
 */
abstract class OneEngine {
    protected Engine engine;

    @BeforeAll
    static void pollOften() {
        org.awaitility.Awaitility.setDefaultPollInterval(Duration.ofMillis(2));
    }

    @AfterEach
    void closeEngine() {
        if (engine != null) {
            engine.close();
            engine = null;
        }
    }
}
