package io.treecast.fastpath;

import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.atomic.AtomicInteger;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

class BackgroundPriorityTest {

    @BeforeAll
    static void linuxWithRenice() {
        assumeTrue(Files.isDirectory(Path.of("/proc/thread-self")), "needs Linux's /proc/thread-self");
        assumeTrue(BackgroundPriority.currentNice() <= 16, "needs room below this thread's nice value");
    }

    @Test
    void workOnALoweredThreadRunsThatManyNiceStepsBelowTheCaller() {
        int caller = BackgroundPriority.currentNice();

        int inside = BackgroundPriority.callLowered(3, "lowered-test", BackgroundPriority::currentNice);

        assertThat(inside).isEqualTo(caller + 3);
        assertThat(BackgroundPriority.currentNice()).as("the caller itself keeps its priority").isEqualTo(caller);
    }

    @Test
    void threadsAndProcessesStartedFromALoweredThreadInheritItsPriority() {
        int caller = BackgroundPriority.currentNice();

        int[] seen = BackgroundPriority.callLowered(2, "lowered-test", () -> {
            AtomicInteger child = new AtomicInteger(Integer.MIN_VALUE);
            Thread t = new Thread(() -> child.set(BackgroundPriority.currentNice()));
            t.start();
            t.join();
            return new int[] {child.get(), niceOfChildProcess()};
        });

        assertThat(seen[0]).as("a thread it starts").isEqualTo(caller + 2);
        assertThat(seen[1]).as("a process it starts (such as the embedded broker's JVM)").isEqualTo(caller + 2);
    }

    @Test
    void zeroStepsLeaveThePriorityAlone() {
        int caller = BackgroundPriority.currentNice();

        assertThat(BackgroundPriority.callLowered(0, "not-lowered", BackgroundPriority::currentNice)).isEqualTo(caller);
    }

    @Test
    void loweringIsCappedAtNineteen() {
        assertThat(BackgroundPriority.callLowered(40, "lowest", BackgroundPriority::currentNice)).isEqualTo(19);
    }

    @Test
    void theWorksFailureReachesTheCaller() {
        assertThatThrownBy(() -> BackgroundPriority.callLowered(1, "failing", () -> {
            throw new IllegalStateException("broker did not start");
        })).isInstanceOf(IllegalStateException.class).hasMessage("broker did not start");
    }


    /** Field 19 of a child shell's own stat line: the nice value it was started with. */
    private static int niceOfChildProcess() throws IOException, InterruptedException {
        Process p = new ProcessBuilder("sh", "-c", "cat /proc/self/stat").start();
        String stat = new String(p.getInputStream().readAllBytes(), StandardCharsets.US_ASCII);
        p.waitFor();
        return BackgroundPriority.niceInStatLine(stat);
    }
}
