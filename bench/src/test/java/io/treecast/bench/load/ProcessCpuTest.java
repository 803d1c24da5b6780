package io.treecast.bench.load;

import org.junit.jupiter.api.Test;

import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

class ProcessCpuTest {

    @Test
    void statLineCpuIsUserPlusSystemTicksEvenWhenTheCommandNameHoldsSpacesAndParentheses() {
        String line = "4242 (java (x) y) S 1 4242 4242 0 -1 4194560 100 0 0 0 1234 567 0 0 20 0 40 0 100 0 0";
        assertThat(ProcessCpu.parseCpuTicks(line)).isEqualTo(1234 + 567);
    }

    @Test
    void listeningInodeIsFoundOnlyForListenEntriesOfThePort() {
        String listen = "   0: 0100007F:1B9E 00000000:0000 0A 00000000:00000000 00:00000000 00000000     0        0 98765 1 0 100 0 0 10 0";
        String established = "   1: 0100007F:1B9E 0100007F:D2F0 01 00000000:00000000 00:00000000 00000000     0        0 11111 1 0 100 0 0 10 0";
        assertThat(ProcessCpu.listeningInode(listen, 7070)).isEqualTo("98765");
        assertThat(ProcessCpu.listeningInode(listen, 7071)).isNull();
        assertThat(ProcessCpu.listeningInode(established, 7070)).isNull();
    }

    @Test
    void thisJvmsCpuGrowsWhileItWorks() {
        ProcessCpu cpu = ProcessCpu.forServer(0);
        ProcessCpu.Sample before = cpu.sample();
        long x = 0;
        long until = System.nanoTime() + 300_000_000L;
        while (System.nanoTime() < until) {
            x += Long.numberOfTrailingZeros(x + System.nanoTime());
        }
        Map<String, Double> perUpdate = cpu.sample().coreMicrosPerUpdateSince(before, 1000);
        assertThat(x).isNotNegative();
        // ~300 ms of one thread's CPU over 1000 "updates": tens of core-us each, whatever else the machine does
        assertThat(perUpdate).containsKey("loadgen");
        assertThat(perUpdate.get("loadgen")).isGreaterThan(10.0);
    }

    @Test
    void perUpdateFiguresDivideTheCpuDeltaByTheUpdates() {
        ProcessCpu.Sample before = new ProcessCpu.Sample(Map.of("server", 1_000_000L, "broker", 0L, "loadgen", 0L), 0);
        ProcessCpu.Sample after = new ProcessCpu.Sample(Map.of("server", 9_000_000L, "broker", 2_000_000L, "loadgen", 4_000_000L), 1_000_000_000L);
        Map<String, Double> perUpdate = after.coreMicrosPerUpdateSince(before, 1000);
        assertThat(perUpdate.get("server")).isCloseTo(8.0, within(1e-9));
        assertThat(perUpdate.get("broker")).isCloseTo(2.0, within(1e-9));
        assertThat(perUpdate.get("server-side")).isCloseTo(10.0, within(1e-9));
        assertThat(after.coresSince(before).get("server")).isCloseTo(0.008, within(1e-9));
    }
}
