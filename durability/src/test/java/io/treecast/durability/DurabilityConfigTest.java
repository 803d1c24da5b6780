package io.treecast.durability;

import org.junit.jupiter.api.Test;

import java.nio.file.Path;
import java.time.Duration;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class DurabilityConfigTest {

    @Test
    void defaultsAreAnEmbeddedBrokerUnderDataWithACompactedEightPartitionTopic() {
        DurabilityConfig c = DurabilityConfig.builder().build();
        assertThat(c.mode()).isEqualTo(DurabilityConfig.Mode.EMBEDDED);
        assertThat(c.dataDir()).isEqualTo(Path.of("data"));
        assertThat(c.topic()).isEqualTo("treecast.leaves");
        assertThat(c.partitions()).isEqualTo(8);
        assertThat(c.compression()).isEqualTo("snappy");
    }

    @Test
    void bootstrapServersSwitchesToExternalMode() {
        DurabilityConfig c = DurabilityConfig.builder().bootstrapServers("kafka:9092").build();
        assertThat(c.mode()).isEqualTo(DurabilityConfig.Mode.EXTERNAL);
        assertThat(c.bootstrapServers()).isEqualTo("kafka:9092");
    }

    @Test
    void externalModeWithoutBootstrapServersNamesTheSetting() {
        assertThatThrownBy(() -> DurabilityConfig.builder().mode(DurabilityConfig.Mode.EXTERNAL).build())
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("durability setting bootstrapServers")
                .hasMessageContaining("host:port");
    }

    @Test
    void invalidTopicNameIsRefusedWithTheAllowedCharacters() {
        assertThatThrownBy(() -> DurabilityConfig.builder().topic("tree leaves").build())
                .hasMessageContaining("durability setting topic")
                .hasMessageContaining("[a-zA-Z0-9._-]");
    }

    @Test
    void niceStepsOutside0To19AreRefusedWithTheRange() {
        assertThatThrownBy(() -> DurabilityConfig.builder().nice(20).build())
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessage("durability setting nice must be 0..19 (nice steps below the fast path), was 20");
        assertThatThrownBy(() -> DurabilityConfig.builder().nice(-1).build())
                .hasMessageContaining("was -1");
        assertThat(DurabilityConfig.builder().build().nice()).isEqualTo(10);
    }

    @Test
    void treeIdWithSlashIsRefusedBecauseItIsPartOfTheWatermarkKey() {
        assertThatThrownBy(() -> DurabilityConfig.builder().treeId("a/b").build())
                .hasMessageContaining("durability setting treeId");
    }

    @Test
    void theStateStoreKeepsItsLeavesInRocksDbUnlessToldMemoryAndNeedsAKind() {
        assertThat(DurabilityConfig.builder().build().stateStoreKind()).isEqualTo(DurabilityConfig.StateStoreKind.ROCKSDB);
        assertThat(DurabilityConfig.builder().stateStoreKind(DurabilityConfig.StateStoreKind.MEMORY).build().stateStoreKind())
                .isEqualTo(DurabilityConfig.StateStoreKind.MEMORY);
        assertThatThrownBy(() -> DurabilityConfig.builder().stateStoreKind(null).build())
                .hasMessage("durability setting stateStoreKind must be ROCKSDB or MEMORY");
    }

    @Test
    void unknownCompressionIsRefusedListingTheChoices() {
        assertThatThrownBy(() -> DurabilityConfig.builder().compression("brotli").build())
                .hasMessageContaining("durability setting compression")
                .hasMessageContaining("lz4, zstd");
    }

    @Test
    void zeroTimeoutsAndCapacitiesAreRefused() {
        assertThatThrownBy(() -> DurabilityConfig.builder().recoveryTimeout(Duration.ZERO).build())
                .hasMessageContaining("durability setting recoveryTimeout must be a positive duration");
        assertThatThrownBy(() -> DurabilityConfig.builder().journalCapacity(0).build())
                .hasMessageContaining("durability setting journalCapacity must be >= 1");
        assertThatThrownBy(() -> DurabilityConfig.builder().partitions(0).build())
                .hasMessageContaining("durability setting partitions");
        assertThatThrownBy(() -> DurabilityConfig.builder().brokerHeap("lots").build())
                .hasMessageContaining("durability setting brokerHeap");
    }
}
