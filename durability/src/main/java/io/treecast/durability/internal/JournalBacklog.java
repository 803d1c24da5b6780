package io.treecast.durability.internal;

import java.io.BufferedInputStream;
import java.io.BufferedOutputStream;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.channels.FileChannel;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.List;
import java.util.zip.CRC32;
import java.util.zip.CheckedInputStream;
import java.util.zip.CheckedOutputStream;

/**
 * The journal's unjournaled backlog kept in a local file when the server stops while Kafka is unreachable:
 * {@code <dataDir>/journal-backlog-<tree>.bin}. Every record of every applied batch whose seq is above the durable
 * watermark is written at close (in seq order, the records exactly as they go to the topic), and the next start
 * replays them into the tree after the topic, writes them to the topic and only then deletes the file. So an
 * acknowledged (APPLIED) update is never thrown away by a stop, and a subscriber never sees an older value after the
 * restart than before it.
 *
 * <p>Format (big-endian): magic {@code "TCB1"}, topic (UTF), tree (UTF), record count (int), per record: seq (long),
 * key length (int) + key bytes, value length (int, -1 for a tombstone) + value bytes (an encoded
 * {@code treecast.v1.LeafRecord}); then the CRC32 of everything before it (long). Written to a temporary file, forced
 * to disk and renamed, so a crash while writing leaves either no file or the whole one.
 */
public final class JournalBacklog {
    private static final int MAGIC = 0x54434231; // "TCB1"

    /** One record as it goes to the topic: key, value (null: tombstone) and its seq. */
    public record Entry(long seq, byte[] key, byte[] value) {
    }

    /** What a backlog file holds. */
    public record Contents(String topic, String tree, List<Entry> entries) {
        /** The highest seq in the file (0 when empty). */
        public long maxSeq() {
            long max = 0;
            for (Entry e : entries) {
                max = Math.max(max, e.seq());
            }
            return max;
        }
    }

    private JournalBacklog() {
    }

    /** {@code <dataDir>/journal-backlog-<tree>.bin}. */
    public static Path file(Path dataDir, String tree) {
        return dataDir.resolve("journal-backlog-" + tree + ".bin");
    }

    /** Writes {@code entries} to {@code file} atomically (temporary file, fsync, rename, fsync of the directory). */
    public static void write(Path file, String topic, String tree, List<Entry> entries) throws IOException {
        Path dir = file.toAbsolutePath().getParent();
        Files.createDirectories(dir);
        Path tmp = dir.resolve(file.getFileName() + ".tmp");
        try (FileChannel ch = FileChannel.open(tmp, StandardOpenOption.CREATE, StandardOpenOption.WRITE,
                StandardOpenOption.TRUNCATE_EXISTING)) {
            CRC32 crc = new CRC32();
            OutputStream raw = java.nio.channels.Channels.newOutputStream(ch);
            DataOutputStream out = new DataOutputStream(new BufferedOutputStream(new CheckedOutputStream(raw, crc), 1 << 16));
            out.writeInt(MAGIC);
            out.writeUTF(topic);
            out.writeUTF(tree);
            out.writeInt(entries.size());
            for (Entry e : entries) {
                out.writeLong(e.seq());
                out.writeInt(e.key().length);
                out.write(e.key());
                if (e.value() == null) {
                    out.writeInt(-1);
                } else {
                    out.writeInt(e.value().length);
                    out.write(e.value());
                }
            }
            out.flush();
            long sum = crc.getValue();
            DataOutputStream tail = new DataOutputStream(raw);
            tail.writeLong(sum);
            tail.flush();
            ch.force(true);
        }
        try {
            Files.move(tmp, file, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
        } catch (AtomicMoveNotSupportedException e) {
            Files.move(tmp, file, StandardCopyOption.REPLACE_EXISTING);
        }
        try (FileChannel d = FileChannel.open(dir, StandardOpenOption.READ)) {
            d.force(true);
        } catch (IOException notSupported) {
            // some platforms cannot open a directory; the rename is still atomic
        }
    }

    /**
     * Reads {@code file}.
     *
     * @throws IOException when it is unreadable, truncated or its checksum does not match (the message says which)
     */
    public static Contents read(Path file) throws IOException {
        long size = Files.size(file);
        if (size < 8) {
            throw new IOException(file + " is truncated (" + size + " bytes)");
        }
        CRC32 crc = new CRC32();
        try (var rawIn = Files.newInputStream(file)) {
            var bounded = new java.io.FilterInputStream(rawIn) {
                long left = size - 8;

                @Override
                public int read() throws IOException {
                    if (left <= 0) {
                        return -1;
                    }
                    int b = super.read();
                    if (b >= 0) {
                        left--;
                    }
                    return b;
                }

                @Override
                public int read(byte[] b, int off, int len) throws IOException {
                    if (left <= 0) {
                        return -1;
                    }
                    int n = super.read(b, off, (int) Math.min(len, left));
                    if (n > 0) {
                        left -= n;
                    }
                    return n;
                }
            };
            DataInputStream in = new DataInputStream(new BufferedInputStream(new CheckedInputStream(bounded, crc), 1 << 16));
            if (in.readInt() != MAGIC) {
                throw new IOException(file + " is not a Treecast journal backlog (bad magic)");
            }
            String topic = in.readUTF();
            String tree = in.readUTF();
            int n = in.readInt();
            List<Entry> entries = new ArrayList<>(Math.max(0, Math.min(n, 1 << 20)));
            for (int i = 0; i < n; i++) {
                long seq = in.readLong();
                byte[] key = new byte[in.readInt()];
                in.readFully(key);
                int vlen = in.readInt();
                byte[] value = null;
                if (vlen >= 0) {
                    value = new byte[vlen];
                    in.readFully(value);
                }
                entries.add(new Entry(seq, key, value));
            }
            if (in.read() != -1) {
                throw new IOException(file + " has bytes after its " + n + " records");
            }
            long expected = new DataInputStream(rawIn).readLong();
            if (expected != crc.getValue()) {
                throw new IOException(file + " is damaged (checksum mismatch)");
            }
            return new Contents(topic, tree, entries);
        } catch (java.io.EOFException e) {
            throw new IOException(file + " is truncated", e);
        } catch (RuntimeException e) {
            throw new IOException(file + " is damaged: " + e, e);
        }
    }
}
