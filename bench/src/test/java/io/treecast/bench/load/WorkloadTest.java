package io.treecast.bench.load;

import io.treecast.fastpath.PathPattern;
import org.junit.jupiter.api.Test;

import java.util.HashSet;
import java.util.List;
import java.util.Set;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class WorkloadTest {

    @Test
    void defaultMixStartsWithTheFirehoseAndUsesEveryWildcardKind() {
        List<String> p = Workload.defaultPatterns(20);
        assertThat(p).hasSize(20).startsWith("treecast-bench/**").doesNotHaveDuplicates();
        assertThat(p).allMatch(s -> s.startsWith(Workload.ROOT + "/"), "every pattern stays under the run's own root");
        assertThat(p.subList(1, 20)).anyMatch(s -> s.contains("/**")).anyMatch(s -> s.contains("/*/"))
                .anyMatch(s -> s.contains("{"));
    }

    @Test
    void treeHasTheRequestedNumberOfDistinctLeavesSpreadOverEveryRegionAndClass() {
        Workload w = new Workload(1_000, List.of(), 5);
        Set<String> paths = new HashSet<>();
        for (int i = 0; i < w.leaves(); i++) {
            paths.add(w.path(i));
        }
        assertThat(paths).hasSize(1_000);
        for (String r : Workload.REGIONS) {
            for (String c : Workload.CLASSES) {
                assertThat(paths).anyMatch(s -> s.startsWith("treecast-bench/markets/" + r + "/" + c + "/"));
            }
        }
    }

    @Test
    void everyLeafMaskAgreesWithMatchingThePatternDirectly() {
        Workload w = new Workload(5_000, List.of(), 20);
        for (int leaf = 0; leaf < w.leaves(); leaf++) {
            for (int s = 0; s < 20; s++) {
                boolean direct = PathPattern.parse(w.patterns().get(s)).matches(w.treePath(leaf));
                assertThat((w.mask(leaf) >>> s & 1) == 1).as(w.path(leaf) + " vs " + w.patterns().get(s)).isEqualTo(direct);
            }
        }
        // the firehose sees everything, and every pattern of the mix sees something
        for (int s = 0; s < 20; s++) {
            int bit = s;
            long hits = java.util.stream.IntStream.range(0, w.leaves()).filter(l -> (w.mask(l) >>> bit & 1) == 1).count();
            assertThat(hits).as(w.patterns().get(s)).isPositive();
            if (s == 0) {
                assertThat(hits).isEqualTo(w.leaves());
            }
        }
    }

    @Test
    void optionsOutOfRangeAreRefusedWithTheFlagName() {
        assertThatThrownBy(() -> new LoadOptions().subscribers(65).url("tcp://x:1").validate())
                .hasMessage("--subscribers (or the number of --pattern) must be 1..64, got 65");
        assertThatThrownBy(() -> new LoadOptions().rate(0).url("tcp://x:1").validate())
                .hasMessage("--rate must be >= 1 (updates per second), got 0");
        assertThatThrownBy(() -> new LoadOptions().validate())
                .hasMessage("give --url (a running server), --embedded or --floor");
    }
}
