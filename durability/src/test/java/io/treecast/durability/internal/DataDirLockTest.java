package io.treecast.durability.internal;

import io.treecast.durability.DataDirLockedException;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class DataDirLockTest {

    @Test
    void aSecondHolderIsRefusedWithTheDirectoryTheHoldersPidAndWhatToDoUntilTheFirstReleases(@TempDir Path dir) {
        Path data = dir.resolve("data");
        try (DataDirLock first = DataDirLock.acquire(data, "durability.data-dir")) {
            assertThat(first.dir()).isEqualTo(data.toAbsolutePath().normalize());
            assertThatThrownBy(() -> DataDirLock.acquire(data, "durability.data-dir"))
                    .isInstanceOf(DataDirLockedException.class)
                    .hasMessage("directory " + data.toAbsolutePath().normalize() + " is in use by another Treecast "
                            + "process (pid " + ProcessHandle.current().pid() + "): stop that one first, or give this "
                            + "one its own directory (durability.data-dir)");
        }
        try (DataDirLock again = DataDirLock.acquire(data, "durability.data-dir")) {
            assertThat(again.dir()).exists();
        }
    }

    @Test
    void theLockFileNamesItsHolderAndNothingElseIsCreated(@TempDir Path dir) throws Exception {
        try (DataDirLock lock = DataDirLock.acquire(dir, "x")) {
            assertThat(Files.readString(dir.resolve(DataDirLock.FILE)).trim())
                    .isEqualTo(String.valueOf(ProcessHandle.current().pid()));
            try (var files = Files.list(dir)) {
                assertThat(files).hasSize(1);
            }
        }
    }
}
