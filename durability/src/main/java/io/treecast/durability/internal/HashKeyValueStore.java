package io.treecast.durability.internal;

import org.apache.kafka.common.serialization.Serializer;
import org.apache.kafka.common.utils.Bytes;
import org.apache.kafka.streams.KeyValue;
import org.apache.kafka.streams.processor.StateStore;
import org.apache.kafka.streams.processor.StateStoreContext;
import org.apache.kafka.streams.query.Position;
import org.apache.kafka.streams.query.PositionBound;
import org.apache.kafka.streams.query.Query;
import org.apache.kafka.streams.query.QueryConfig;
import org.apache.kafka.streams.query.QueryResult;
import org.apache.kafka.streams.state.KeyValueBytesStoreSupplier;
import org.apache.kafka.streams.state.KeyValueIterator;
import org.apache.kafka.streams.state.KeyValueStore;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.NoSuchElementException;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Predicate;

/**
 * The tree's state store kept in the JVM's heap on a hash map ({@code durability.state-store-kind: memory}): each
 * record of the topic is one hash-map put, where RocksDB's memtable (a skip list) or Kafka Streams' own in-memory
 * store (a {@code TreeMap}) walk ~17 levels of pointers, a cache miss each, for a tree of 100,000 leaves. Those walks
 * were the largest part of the state store's CPU per update (BENCHMARKS.md).
 *
 * <p>The price is paid by reads, which are rare (a catch-up, a {@code treecast state --scan}): a range or prefix scan
 * copies the matching entries and sorts them, linear in the store's size. Nothing is kept on disk: after a restart
 * Kafka Streams restores the store from the topic (its changelog) from the start, one compacted record per leaf.
 * Writes come from the stream thread only; reads may come from any thread and see every put that completed before
 * them (a {@link ConcurrentHashMap}), so a scan running beside writes is not a point-in-time read — the same as
 * {@link io.treecast.durability.TreeState} already assumes of RocksDB's scans across partitions.
 *
 * <pre>{@code
 * Stores.keyValueStoreBuilder(HashKeyValueStore.supplier("treecast-leaf-records"), Serdes.Bytes(), Serdes.ByteArray())
 * }</pre>
 */
public final class HashKeyValueStore implements KeyValueStore<Bytes, byte[]> {
    private static final Comparator<KeyValue<Bytes, byte[]>> BY_KEY = (a, b) -> a.key.compareTo(b.key);

    private final String name;
    private final Map<Bytes, byte[]> map = new ConcurrentHashMap<>();
    private final Position position = Position.emptyPosition();
    private volatile boolean open;

    HashKeyValueStore(String name) {
        this.name = name;
    }

    /** What Kafka Streams' store builders take: one new store per task (partition). */
    public static KeyValueBytesStoreSupplier supplier(String name) {
        return new KeyValueBytesStoreSupplier() {
            @Override
            public String name() {
                return name;
            }

            @Override
            public KeyValueStore<Bytes, byte[]> get() {
                return new HashKeyValueStore(name);
            }

            @Override
            public String metricsScope() {
                return "treecast-hash";
            }
        };
    }

    @Override
    public String name() {
        return name;
    }

    @Override
    public void init(StateStoreContext context, StateStore root) {
        // restoring from the changelog (the topic itself) replays puts and deletes in offset order
        context.register(root, (key, value) -> {
            if (value == null) {
                map.remove(Bytes.wrap(key));
            } else {
                map.put(Bytes.wrap(key), value);
            }
        });
        open = true;
    }

    @Override
    public void put(Bytes key, byte[] value) {
        if (value == null) {
            map.remove(key);
        } else {
            map.put(key, value);
        }
    }

    @Override
    public byte[] putIfAbsent(Bytes key, byte[] value) {
        return value == null ? map.get(key) : map.putIfAbsent(key, value);
    }

    @Override
    public void putAll(List<KeyValue<Bytes, byte[]>> entries) {
        for (KeyValue<Bytes, byte[]> e : entries) {
            put(e.key, e.value);
        }
    }

    @Override
    public byte[] delete(Bytes key) {
        return map.remove(key);
    }

    @Override
    public byte[] get(Bytes key) {
        return map.get(key);
    }

    /** Keys from {@code from} to {@code to}, both inclusive; {@code null} leaves that end open. */
    @Override
    public KeyValueIterator<Bytes, byte[]> range(Bytes from, Bytes to) {
        return sorted(inRange(from, to), false);
    }

    @Override
    public KeyValueIterator<Bytes, byte[]> reverseRange(Bytes from, Bytes to) {
        return sorted(inRange(from, to), true);
    }

    @Override
    public KeyValueIterator<Bytes, byte[]> all() {
        return sorted(k -> true, false);
    }

    @Override
    public KeyValueIterator<Bytes, byte[]> reverseAll() {
        return sorted(k -> true, true);
    }

    @Override
    public <PS extends Serializer<P>, P> KeyValueIterator<Bytes, byte[]> prefixScan(P prefix, PS prefixKeySerializer) {
        byte[] p = prefixKeySerializer.serialize(null, prefix);
        return sorted(k -> startsWith(k.get(), p), false);
    }

    @Override
    public long approximateNumEntries() {
        return map.size();
    }

    @Override
    public void flush() {
        // nothing to write anywhere: the topic is the store's durable copy
    }

    @Override
    public void close() {
        open = false;
        map.clear();
    }

    @Override
    public boolean persistent() {
        return false;
    }

    @Override
    public boolean isOpen() {
        return open;
    }

    /** Interactive queries v2 are not served by this store: Treecast reads it through {@code KafkaStreams.store}. */
    @Override
    public <R> QueryResult<R> query(Query<R> query, PositionBound positionBound, QueryConfig config) {
        return QueryResult.forUnknownQueryType(query, this);
    }

    @Override
    public Position getPosition() {
        return position;
    }

    private static Predicate<Bytes> inRange(Bytes from, Bytes to) {
        return k -> (from == null || k.compareTo(from) >= 0) && (to == null || k.compareTo(to) <= 0);
    }

    private static boolean startsWith(byte[] key, byte[] prefix) {
        if (key.length < prefix.length) {
            return false;
        }
        return java.util.Arrays.equals(key, 0, prefix.length, prefix, 0, prefix.length);
    }

    private KeyValueIterator<Bytes, byte[]> sorted(Predicate<Bytes> keep, boolean reverse) {
        List<KeyValue<Bytes, byte[]>> out = new ArrayList<>();
        map.forEach((k, v) -> {
            if (keep.test(k)) {
                out.add(KeyValue.pair(k, v));
            }
        });
        out.sort(reverse ? BY_KEY.reversed() : BY_KEY);
        return new ListIterator(out);
    }

    /** Iterates a sorted copy: nothing to release at close. */
    private static final class ListIterator implements KeyValueIterator<Bytes, byte[]> {
        private final List<KeyValue<Bytes, byte[]>> entries;
        private int next;

        ListIterator(List<KeyValue<Bytes, byte[]>> entries) {
            this.entries = entries;
        }

        @Override
        public boolean hasNext() {
            return next < entries.size();
        }

        @Override
        public KeyValue<Bytes, byte[]> next() {
            if (!hasNext()) {
                throw new NoSuchElementException();
            }
            return entries.get(next++);
        }

        @Override
        public Bytes peekNextKey() {
            if (!hasNext()) {
                throw new NoSuchElementException();
            }
            return entries.get(next).key;
        }

        @Override
        public void close() {
            // a copy: nothing held
        }
    }
}
