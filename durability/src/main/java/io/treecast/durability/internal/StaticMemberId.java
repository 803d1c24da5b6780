package io.treecast.durability.internal;

import io.treecast.durability.DataDirLockedException;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.channels.OverlappingFileLockException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.UUID;

/**
 * The state store's static consumer group member id ({@code group.instance.id}), kept in
 * {@code <state dir>/treecast-instance-id} and locked while the store runs. A store restarted on the same state dir
 * after a crash comes back with the same id and takes the vanished member's place at once (a new dynamic member
 * waited for the old one's session to time out). The lock is the OS's ({@link FileChannel#tryLock()}), so a crashed
 * or {@code kill -9}ed process releases it; a second store on the same state dir (a mistake, e.g. a
 * {@code treecast state} next to the server on its {@code data/state}) is refused with {@link DataDirLockedException}
 * before it touches the directory: it would fence the first one out of the group with the same id, and as a dynamic
 * member it failed anyway on Kafka Streams' own lock of the directory ({@code StreamsException: Unable to initialize
 * state}).
 */
public final class StaticMemberId implements AutoCloseable {
    public static final String FILE = "treecast-instance-id";

    private final FileChannel channel;
    private final FileLock lock;
    private final String id;

    private StaticMemberId(FileChannel channel, FileLock lock, String id) {
        this.channel = channel;
        this.lock = lock;
        this.id = id;
    }

    /**
     * Reads (or creates) the id of {@code stateDir} and locks it.
     *
     * @throws DataDirLockedException when another store (in this or another process) holds {@code stateDir}
     */
    public static StaticMemberId claim(Path stateDir) {
        Path file = stateDir.resolve(FILE);
        FileChannel ch = null;
        try {
            Files.createDirectories(stateDir);
            ch = FileChannel.open(file, StandardOpenOption.CREATE, StandardOpenOption.READ, StandardOpenOption.WRITE);
            FileLock lock;
            try {
                lock = ch.tryLock();
            } catch (OverlappingFileLockException heldInThisJvm) {
                lock = null;
            }
            if (lock == null) {
                ch.close();
                Path abs = stateDir.toAbsolutePath().normalize();
                throw new DataDirLockedException(abs, "state dir " + abs + " is in use by another state store (the "
                        + "server's own store under its data dir, or another treecast state): stop that one first, "
                        + "or give this one its own directory (--state-dir)");
            }
            ByteBuffer buf = ByteBuffer.allocate((int) Math.min(ch.size(), 256));
            while (buf.hasRemaining() && ch.read(buf, buf.position()) > 0) {
                // read the whole (small) file
            }
            String id = new String(buf.array(), 0, buf.position(), StandardCharsets.UTF_8).trim();
            if (id.isEmpty()) {
                id = "treecast-" + UUID.randomUUID();
                ch.truncate(0);
                ch.write(ByteBuffer.wrap((id + "\n").getBytes(StandardCharsets.UTF_8)), 0);
                ch.force(true);
            }
            return new StaticMemberId(ch, lock, id);
        } catch (IOException e) {
            if (ch != null) {
                try {
                    ch.close();
                } catch (IOException ignored) {
                    // reported below
                }
            }
            throw new UncheckedIOException("could not read or create the state store's member id in " + file + ": "
                    + e.getMessage(), e);
        }
    }

    /** The id ({@code treecast-<uuid>}). */
    public String id() {
        return id;
    }

    /** Releases the lock (idempotent); the id stays in the file for the next start. */
    @Override
    public void close() {
        DataDirLock.release(lock, channel);
    }
}
