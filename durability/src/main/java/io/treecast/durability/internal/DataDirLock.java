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

/**
 * An exclusive OS lock ({@link FileChannel#tryLock()}) on {@code <dir>/treecast.lock}, taken before anything else in
 * the directory is read or written and held until {@link #close()}. A second server (or {@code treecast state}) on the
 * same directory is refused at once with {@link DataDirLockedException} and touches nothing: before the lock, a second
 * server's embedded broker "repaired" the first one's KRaft metadata log and the first broker halted with
 * {@code CorruptRecordException}. The OS releases the lock when the process dies, also after {@code kill -9}, so a
 * stale lock file never blocks a restart. The file holds the holder's process id, for the message only.
 */
public final class DataDirLock implements AutoCloseable {
    /** The lock file's name inside the locked directory. */
    public static final String FILE = "treecast.lock";

    private final Path dir;
    private final FileChannel channel;
    private final FileLock lock;

    private DataDirLock(Path dir, FileChannel channel, FileLock lock) {
        this.dir = dir;
        this.channel = channel;
        this.lock = lock;
    }

    /**
     * Locks {@code dir} (created if missing) for {@code what} (e.g. "server", "state store").
     *
     * @param settingHint the setting that chooses another directory, for the message
     * @throws DataDirLockedException when another holder has it
     */
    public static DataDirLock acquire(Path dir, String settingHint) {
        Path abs = dir.toAbsolutePath().normalize();
        Path file = abs.resolve(FILE);
        FileChannel ch = null;
        try {
            Files.createDirectories(abs);
            ch = FileChannel.open(file, StandardOpenOption.CREATE, StandardOpenOption.READ, StandardOpenOption.WRITE);
            FileLock lock;
            try {
                lock = ch.tryLock();
            } catch (OverlappingFileLockException heldInThisJvm) {
                lock = null;
            }
            if (lock == null) {
                String holder = readHolder(ch);
                ch.close();
                throw new DataDirLockedException(abs, "directory " + abs + " is in use by another Treecast process"
                        + (holder.isEmpty() ? "" : " (pid " + holder + ")")
                        + ": stop that one first, or give this one its own directory (" + settingHint + ")");
            }
            String pid = String.valueOf(ProcessHandle.current().pid());
            ch.truncate(0);
            ch.write(ByteBuffer.wrap((pid + "\n").getBytes(StandardCharsets.UTF_8)), 0);
            return new DataDirLock(abs, ch, lock);
        } catch (IOException e) {
            if (ch != null) {
                try {
                    ch.close();
                } catch (IOException ignored) {
                    // reported below
                }
            }
            throw new UncheckedIOException("could not lock " + file + ": " + e.getMessage(), e);
        }
    }

    private static String readHolder(FileChannel ch) {
        try {
            ByteBuffer buf = ByteBuffer.allocate((int) Math.min(ch.size(), 32));
            while (buf.hasRemaining() && ch.read(buf, buf.position()) > 0) {
                // small file
            }
            String s = new String(buf.array(), 0, buf.position(), StandardCharsets.UTF_8).trim();
            return s.matches("\\d{1,10}") ? s : "";
        } catch (IOException e) {
            return "";
        }
    }

    /** The locked directory (absolute). */
    public Path dir() {
        return dir;
    }

    /** Releases the lock (idempotent). The file stays; a later holder rewrites it. */
    @Override
    public void close() {
        release(lock, channel);
    }

    /** Releases a file lock and closes its channel, quietly: the OS releases the lock with the process anyway. */
    static void release(FileLock lock, FileChannel channel) {
        try {
            if (lock.isValid()) {
                lock.release();
            }
            channel.close();
        } catch (IOException e) {
            // the OS releases the lock with the process anyway
        }
    }
}
