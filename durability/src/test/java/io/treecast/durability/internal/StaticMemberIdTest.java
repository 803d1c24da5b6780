package io.treecast.durability.internal;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;

import static org.assertj.core.api.Assertions.assertThat;

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
    void aSecondHolderOfAStateDirGetsNoIdUntilTheFirstReleasesIt(@TempDir Path stateDir) {
        try (StaticMemberId first = StaticMemberId.claim(stateDir)) {
            try (StaticMemberId second = StaticMemberId.claim(stateDir)) {
                assertThat(second.id()).as("the id while another store holds the state dir").isNull();
            }
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
