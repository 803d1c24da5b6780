package io.treecast.fastpath;

import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;

import static org.assertj.core.api.Assertions.assertThat;

class PerThreadCounterTest {
    @Test
    void theSumCountsEveryThreadsAddsIncludingThreadsThatHaveEnded() throws Exception {
        PerThreadCounter counter = new PerThreadCounter();
        CountDownLatch start = new CountDownLatch(1);
        List<Thread> threads = new ArrayList<>();
        for (int t = 0; t < 4; t++) {
            int step = t + 1;
            Thread th = new Thread(() -> {
                try {
                    start.await();
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    return;
                }
                for (int i = 0; i < 100_000; i++) {
                    counter.add(step);
                }
            });
            th.start();
            threads.add(th);
        }
        counter.increment();
        start.countDown();
        for (Thread th : threads) {
            th.join();
        }
        assertThat(counter.sum()).isEqualTo(1 + 100_000L * (1 + 2 + 3 + 4));
    }

    @Test
    void aNewCounterSumsToZero() {
        assertThat(new PerThreadCounter().sum()).isZero();
    }
}
