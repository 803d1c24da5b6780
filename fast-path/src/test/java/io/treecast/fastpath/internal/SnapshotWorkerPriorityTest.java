package io.treecast.fastpath.internal;

import io.treecast.fastpath.BackgroundPriority;
import io.treecast.fastpath.Engine;
import io.treecast.fastpath.EngineConfig;
import io.treecast.fastpath.PathPattern;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

import static org.assertj.core.api.Assertions.assertThat;

/** The snapshot thread lowers itself below the fast path ({@link BackgroundPriority}) when its first snapshot arrives. */
class SnapshotWorkerPriorityTest {
    @Test
    void theEnginesSnapshotThreadRunsBelowTheFastPathOnceItBuildsASnapshot() throws Exception {
        int caller = BackgroundPriority.currentNice();
        try (Engine engine = Engine.start(EngineConfig.builder().build())) {
            engine.get(PathPattern.parse("a/**")).get(30, TimeUnit.SECONDS);

            assertThat(nicesOfThreadsNamed("treecast-snapshot"))
                    .contains(Math.min(19, caller + SnapshotWorker.NICE_STEPS));
        }
    }

    /** The nice values of this process's threads named {@code name} (Linux keeps the first 15 characters). */
    private static List<Integer> nicesOfThreadsNamed(String name) throws IOException {
        String comm = name.substring(0, Math.min(15, name.length()));
        List<Integer> nices = new ArrayList<>();
        try (Stream<Path> tasks = Files.list(Path.of("/proc/self/task"))) {
            for (Path task : (Iterable<Path>) tasks::iterator) {
                try {
                    if (Files.readString(task.resolve("comm"), StandardCharsets.US_ASCII).trim().equals(comm)) {
                        nices.add(BackgroundPriority.niceInStatLine(Files.readString(task.resolve("stat"), StandardCharsets.US_ASCII)));
                    }
                } catch (IOException ended) {
                    // a thread that ended while listed
                }
            }
        }
        return nices;
    }
}
