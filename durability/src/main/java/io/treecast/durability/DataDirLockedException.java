package io.treecast.durability;

import java.nio.file.Path;

/**
 * Another process (or another {@link Durability} or {@link TreeState} in this JVM) holds the data or state directory.
 * Thrown before anything in the directory is touched, so the holder is never disturbed. The message names the
 * directory, the holder's process id when it is known and what to do.
 */
public final class DataDirLockedException extends IllegalStateException {
    private static final long serialVersionUID = 1L;

    private final transient Path dir;

    public DataDirLockedException(Path dir, String message) {
        super(message);
        this.dir = dir;
    }

    /** The directory that is in use. */
    public Path dir() {
        return dir;
    }
}
