package io.treecast.cli;

import io.treecast.durability.DurabilityConfig;
import io.treecast.fastpath.EngineConfig;
import io.treecast.gateway.ServerConfig;
import org.junit.jupiter.api.Test;

import java.nio.file.Path;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * A default is written once: the engine's in {@link EngineConfig} (ServerConfig reads them), the journal's in
 * {@link DurabilityConfig}. ServerConfig cannot read the durability ones (the gateway does not depend on Kafka), so
 * this test holds its {@code durability.*} defaults to them, and the shipped {@code config/treecast.yaml} to every
 * default (rsocket-gateway's ConfigurationTableTest does the same for its README).
 */
class ConfigurationDefaultsAgreeTest {
    private final ServerConfig server = ServerConfig.defaults();

    @Test
    void durabilityDefaultsAreTheJournals() {
        DurabilityConfig journal = DurabilityConfig.builder().build();
        assertThat(server.durabilityMode().name()).isEqualTo(journal.mode().name());
        assertThat(Path.of(server.durabilityDataDir()).normalize()).isEqualTo(journal.dataDir().normalize());
        assertThat(server.durabilityTopic()).isEqualTo(journal.topic());
        assertThat(server.durabilityPartitions()).isEqualTo(journal.partitions());
        assertThat(server.durabilityStateStore()).isEqualTo(journal.stateStore());
        // a RocksDB store needs no more heap than the library's default
        assertThat(ServerConfig.load(null, java.util.Map.of(), java.util.Map.of("durability.state-store-kind", "rocksdb"))
                .durabilityStateStoreHeap()).isEqualTo(journal.stateStoreHeap());
        // the one default that differs on purpose: the library runs the store in-process unless told which main its
        // child runs (DurabilityConfig.stateStoreChild), serve runs `treecast state` as that child
        assertThat(server.durabilityStateStoreProcess()).isEqualTo(ServerConfig.StateStoreProcess.CHILD);
        assertThat(journal.stateStoreChild()).isEmpty();
        // and its kind: serve's child keeps the leaves in its own heap (a hash map: less CPU per update than RocksDB),
        // while the library's in-process default keeps them in RocksDB, off the serving JVM's heap
        assertThat(server.durabilityStateStoreKind()).isEqualTo("memory");
        assertThat(journal.stateStoreKind()).isEqualTo(DurabilityConfig.StateStoreKind.ROCKSDB);
        assertThat(server.durabilityNice()).isEqualTo(journal.nice());
        assertThat(server.durabilityCompression()).isEqualTo(journal.compression());
        assertThat(server.durabilityLingerMs()).isEqualTo(journal.lingerMs());
        assertThat(server.engineConfig(null).treeId()).isEqualTo(journal.treeId());
        // recovery continues seq above the highest recovered seq plus this capacity: the two must be the same number
        assertThat(server.engineConfig(null).journalCapacity()).isEqualTo(journal.journalCapacity());
    }

    @Test
    void engineDefaultsAreTheEngines() {
        EngineConfig engine = EngineConfig.builder().build();
        EngineConfig fromServer = server.engineConfig(null);
        assertThat(fromServer).usingRecursiveComparison().isEqualTo(engine);
    }

    @Test
    void theShippedConfigFileSetsEveryKeyToItsDefault() {
        ServerConfig file = ServerConfig.load(Path.of("src/dist/config/treecast.yaml"), Map.of(), Map.of());
        for (String key : ServerConfig.keys()) {
            assertThat(file.sourceOf(key)).as("config/treecast.yaml lists %s", key).startsWith("file ");
            assertThat(file.get(key)).as("config/treecast.yaml's %s", key).isEqualTo(server.get(key));
        }
    }
}
