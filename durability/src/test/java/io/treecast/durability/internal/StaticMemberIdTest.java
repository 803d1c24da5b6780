package io.treecast.durability.internal;

import io.treecast.durability.DataDirLockedException;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class StaticMemberIdTest {

    @Test
    void aStateDirKeepsItsIdAcrossClaims(@TempDir Path stateDir) throws Exception {
        String first;
        try (StaticMemberId m = StaticMemberId.claim(stateDir.resolve("state"))) {
            first = m.id();
        }
        assertThat(first).startsWith("treecast-");
        assertThat(Files.readString(stateDir.resolve("state").resolve(StaticMemberId.FILE)).trim()).isEqualTo(first);
        try (StaticMemberId again = StaticMemberId.claim(stateDir.resolve("state"))) {
            assertThat(again.id()).isEqualTo(first);
        }
    }

    @Test
    void aSecondHolderOfAStateDirIsRefusedWithTheDirectoryAndWhatToDoUntilTheFirstReleasesIt(@TempDir Path stateDir) {
        try (StaticMemberId first = StaticMemberId.claim(stateDir)) {
            assertThatThrownBy(() -> StaticMemberId.claim(stateDir))
                    .isInstanceOf(DataDirLockedException.class)
                    .hasMessageContaining("state dir " + stateDir.toAbsolutePath().normalize() + " is in use by another state store")
                    .hasMessageContaining("--state-dir");
            assertThat(first.id()).isNotNull();
            first.close();
            try (StaticMemberId third = StaticMemberId.claim(stateDir)) {
                assertThat(third.id()).isEqualTo(first.id());
            }
        }
    }

    @Test
    void distinctStateDirsGetDistinctIds(@TempDir Path dir) {
        try (StaticMemberId a = StaticMemberId.claim(dir.resolve("a"));
             StaticMemberId b = StaticMemberId.claim(dir.resolve("b"))) {
            assertThat(a.id()).isNotEqualTo(b.id());
        }
    }
}
