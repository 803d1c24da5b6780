package io.treecast.durability.internal;

import org.apache.kafka.common.serialization.StringSerializer;
import org.apache.kafka.common.utils.Bytes;
import org.apache.kafka.streams.KeyValue;
import org.apache.kafka.streams.state.KeyValueIterator;
import org.apache.kafka.streams.state.KeyValueStore;
import org.junit.jupiter.api.Test;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.NoSuchElementException;
import java.util.concurrent.atomic.AtomicBoolean;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class HashKeyValueStoreTest {
    private final KeyValueStore<Bytes, byte[]> store = HashKeyValueStore.supplier("leaves").get();

    @Test
    void aPutReplacesTheValueAndANullValueOrADeleteRemovesTheKey() {
        store.put(key("a/1"), bytes("one"));
        store.put(key("a/1"), bytes("uno"));
        store.put(key("a/2"), bytes("two"));
        assertThat(store.get(key("a/1"))).isEqualTo(bytes("uno"));

        store.put(key("a/1"), null);
        assertThat(store.delete(key("a/2"))).isEqualTo(bytes("two"));
        assertThat(store.get(key("a/1"))).isNull();
        assertThat(store.get(key("a/2"))).isNull();
        assertThat(store.approximateNumEntries()).isZero();
    }

    @Test
    void putIfAbsentKeepsTheFirstValue() {
        assertThat(store.putIfAbsent(key("k"), bytes("first"))).isNull();
        assertThat(store.putIfAbsent(key("k"), bytes("second"))).isEqualTo(bytes("first"));
        assertThat(store.get(key("k"))).isEqualTo(bytes("first"));
    }

    @Test
    void aPrefixScanGivesTheMatchingKeysInByteOrderAndNothingElse() {
        for (String k : List.of("a/x/2", "a/xy", "b/1", "a/x/1", "a/x/10", "a/")) {
            store.put(key(k), bytes(k));
        }
        assertThat(keys(store.prefixScan("a/x/", new StringSerializer()))).containsExactly("a/x/1", "a/x/10", "a/x/2");
        assertThat(keys(store.prefixScan("", new StringSerializer())))
                .containsExactly("a/", "a/x/1", "a/x/10", "a/x/2", "a/xy", "b/1");
        assertThat(keys(store.prefixScan("c", new StringSerializer()))).isEmpty();
    }

    @Test
    void rangesIncludeBothEndsAndRunEitherWay() {
        for (String k : List.of("a", "b", "c", "d")) {
            store.put(key(k), bytes(k));
        }
        assertThat(keys(store.range(key("b"), key("c")))).containsExactly("b", "c");
        assertThat(keys(store.range(null, key("b")))).containsExactly("a", "b");
        assertThat(keys(store.reverseRange(key("b"), null))).containsExactly("d", "c", "b");
        assertThat(keys(store.all())).containsExactly("a", "b", "c", "d");
        assertThat(keys(store.reverseAll())).containsExactly("d", "c", "b", "a");
    }

    @Test
    void keysCompareAsUnsignedBytesAsRocksDbOrdersThem() {
        store.put(key("é"), bytes("2-byte UTF-8, first byte 0xC3"));
        store.put(key("z"), bytes("0x7A"));
        assertThat(keys(store.all())).containsExactly("z", "é");
    }

    @Test
    void anIteratorPeeksAndEndsWithNoSuchElement() {
        store.put(key("only"), bytes("1"));
        try (KeyValueIterator<Bytes, byte[]> it = store.all()) {
            assertThat(it.peekNextKey()).isEqualTo(key("only"));
            assertThat(it.next().key).isEqualTo(key("only"));
            assertThat(it.hasNext()).isFalse();
            assertThatThrownBy(it::next).isInstanceOf(NoSuchElementException.class);
            assertThatThrownBy(it::peekNextKey).isInstanceOf(NoSuchElementException.class);
        }
    }

    @Test
    void aScanBesideTheWriterSeesEveryKeyWrittenBeforeItAndNeverFails() throws Exception {
        for (int i = 0; i < 1_000; i++) {
            store.put(key("old/" + i), bytes("v"));
        }
        AtomicBoolean stop = new AtomicBoolean();
        Thread writer = new Thread(() -> {
            for (int i = 0; !stop.get(); i++) {
                store.put(key("new/" + (i % 5_000)), bytes("v" + i));
            }
        });
        writer.start();
        try {
            for (int round = 0; round < 50; round++) {
                assertThat(keys(store.prefixScan("old/", new StringSerializer()))).hasSize(1_000);
            }
        } finally {
            stop.set(true);
            writer.join();
        }
    }

    @Test
    void itIsNotPersistentSoKafkaStreamsRestoresItFromTheTopic() {
        assertThat(store.persistent()).isFalse();
        assertThat(store.name()).isEqualTo("leaves");
    }

    private static List<String> keys(KeyValueIterator<Bytes, byte[]> it) {
        List<String> out = new ArrayList<>();
        try (it) {
            while (it.hasNext()) {
                KeyValue<Bytes, byte[]> kv = it.next();
                out.add(new String(kv.key.get(), StandardCharsets.UTF_8));
            }
        }
        return out;
    }

    private static Bytes key(String s) {
        return Bytes.wrap(bytes(s));
    }

    private static byte[] bytes(String s) {
        return s.getBytes(StandardCharsets.UTF_8);
    }
}
