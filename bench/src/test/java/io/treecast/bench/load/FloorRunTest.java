package io.treecast.bench.load;

import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

class FloorRunTest {

    @Test
    void floorDeliversExactlyWhatThePatternsCallForAndCountsAddUp() {
        List<String> progress = new ArrayList<>();
        RunResult r = new LoadGenerator(new LoadOptions().floor(true).rate(4_000).durationSeconds(1).warmupSeconds(0)
                .leaves(2_000).subscribers(6), progress::add).run();
        assertThat(r.mode()).isEqualTo("floor");
        assertThat(r.published()).isEqualTo(4_000);
        assertThat(r.expected()).isGreaterThanOrEqualTo(4_000); // the firehose alone expects every update
        assertThat(r.delivered()).isEqualTo(r.expected());
        assertThat(r.lost()).isZero();
        assertThat(r.clean()).isTrue();
        assertThat(r.samples()).isEqualTo(r.delivered());
        assertThat(progress).anyMatch(l -> l.startsWith("[floor   1s]"));
        assertThat(r.toJson()).startsWith("{\"mode\":\"floor\",\"rate\":4000,").contains("\"lost\":0");
    }

    @Test
    void aPacingTickSendsEveryUpdateAndCountsTheWaitForTheTickInItsLatency() {
        // a 2 ms tick: each update waits 0-2 ms for its publisher's next wake-up, measured from its intended time
        RunResult r = new LoadGenerator(new LoadOptions().floor(true).rate(4_000).durationSeconds(1).warmupSeconds(0)
                .leaves(2_000).subscribers(6).pacingTickMicros(2_000), s -> { }).run();
        assertThat(r.published()).as(r.toText()).isEqualTo(4_000);
        assertThat(r.clean()).as(r.toText()).isTrue();
        assertThat(r.p50()).as("the median update waited for a tick (a lower bound: slowness only adds)").isGreaterThan(300);
    }

    @Test
    void publishedCountsTheMeasuredSecondsAndTheWarmUpIsReportedApart() {
        RunResult r = new LoadGenerator(new LoadOptions().floor(true).rate(2_000).durationSeconds(1).warmupSeconds(1)
                .leaves(500).subscribers(2), s -> { }).run();
        assertThat(r.warmupPublished()).as(r.toText()).isPositive();
        assertThat(r.published()).as(r.toText()).isPositive().isLessThan(4_000);
        assertThat(r.published() + r.warmupPublished()).as("every update sent is counted once").isEqualTo(4_000);
        assertThat(r.toText()).contains(" published=" + String.format(java.util.Locale.ROOT, "%,d", r.published())
                + " warm-up=" + String.format(java.util.Locale.ROOT, "%,d", r.warmupPublished()) + " ");
    }

    @Test
    void findMaxStopsAtTheFirstStepOverTheLimitAndReportsTheBestPassingOne() {
        List<RunResult> steps = List.of(
                new RunResult("tcp", 1000, 1, 1, 1, 1, 0, 0, 0, 0, 10, 20, 30, 40, 50, 1, java.util.Map.of(), java.util.Map.of(), 0),
                new RunResult("tcp", 2000, 1, 1, 1, 1, 0, 0, 0, 0, 10, 20, 3000, 40, 50, 1, java.util.Map.of(), java.util.Map.of(), 0),
                new RunResult("tcp", 3000, 1, 1, 2, 1, 1, 0, 0, 0, 10, 20, 30, 40, 50, 1, java.util.Map.of(), java.util.Map.of(), 0));
        assertThat(LoadGenerator.highestPassing(steps, 1000).rate()).isEqualTo(1000);
        assertThat(LoadGenerator.highestPassing(steps.subList(1, 3), 1000)).isNull();
    }
}
