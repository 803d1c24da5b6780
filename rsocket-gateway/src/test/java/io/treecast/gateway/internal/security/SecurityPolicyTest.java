package io.treecast.gateway.internal.security;

import io.treecast.fastpath.ErrorCode;
import io.treecast.fastpath.TreecastException;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class SecurityPolicyTest {
    @TempDir
    Path dir;

    @Test
    void badRulesFilesAreRefusedAtStartNamingTheFileAndEntry() throws Exception {
        assertThatThrownBy(() -> SecurityPolicy.load(List.of(), null, write("a.yaml", "principals: [not, a, mapping]"), null))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("a.yaml").hasMessageContaining("must map principal names to rules");
        assertThatThrownBy(() -> SecurityPolicy.load(List.of(), null, write("b.yaml", "principals:\n  alice:\n    read: { allow: [\"a//b\"] }\n"), null))
                .hasMessageContaining("principal 'alice' read allow").hasMessageContaining("empty segment 2");
        assertThatThrownBy(() -> SecurityPolicy.load(List.of(), null, write("c.yaml", "principals:\n  alice:\n    raed: { allow: [x] }\n"), null))
                .hasMessageContaining("unknown key 'raed'").hasMessageContaining("use 'read'");
        assertThatThrownBy(() -> SecurityPolicy.load(List.of(), null, write("d.yaml", "defaults: {}\n"), null))
                .hasMessageContaining("unknown top-level key 'defaults'");
        assertThatThrownBy(() -> SecurityPolicy.load(List.of(), null, write("e.yaml", "principals:\n  alice:\n    read: { permit: [x] }\n"), null))
                .hasMessageContaining("unknown key 'permit'").hasMessageContaining("use 'allow' and 'deny'");
        assertThatThrownBy(() -> SecurityPolicy.load(List.of(), dir.resolve("missing-tokens"), null, null))
                .hasMessageContaining("cannot read the tokens file");
        assertThatThrownBy(() -> SecurityPolicy.load(List.of(), write("tokens", "alice\n"), null, null))
                .hasMessageContaining("line 1 has 1 fields: write '<principal> <token>'");
        assertThatThrownBy(() -> SecurityPolicy.load(List.of(), write("tokens2", "alice t1\nbob t1\n"), null, null))
                .hasMessageContaining("line 2: the token of 'bob' is listed before").hasMessageNotContaining("t1");
    }

    @Test
    void aBrokenFileOnReloadKeepsTheRulesAndTokensInForceAndAGoodOneReplacesThem() throws Exception {
        Path rules = write("rules.yaml", "principals:\n  alice: { read: { allow: [\"a/**\"] } }\n");
        Path tokens = write("tokens", "alice alice-token\n");
        SecurityPolicy p = SecurityPolicy.load(List.of(), tokens, rules, null);
        Identity alice = p.authenticate("alice-token", null);
        assertThat(alice.principal).isEqualTo("alice");
        assertThat(p.accessFor(alice).mayRead(io.treecast.fastpath.TreePath.parse("a/x"))).isTrue();

        touch(Files.writeString(rules, "principals: [broken"), 1);
        touch(Files.writeString(tokens, "one-field-only\n"), 1);
        assertThat(p.poll()).isFalse();
        assertThat(p.accessFor(alice).mayRead(io.treecast.fastpath.TreePath.parse("a/x"))).isTrue();
        assertThat(p.authenticate("alice-token", null).principal).isEqualTo("alice");

        touch(Files.writeString(rules, "principals:\n  alice: { read: { allow: [\"b/**\"] } }\n"), 2);
        touch(Files.writeString(tokens, "alice new-token\n"), 2);
        assertThat(p.poll()).isTrue();
        assertThat(p.accessFor(alice).mayRead(io.treecast.fastpath.TreePath.parse("a/x"))).isFalse();
        assertThat(p.accessFor(alice).mayRead(io.treecast.fastpath.TreePath.parse("b/x"))).isTrue();
        assertThatThrownBy(() -> p.authenticate("alice-token", null))
                .isInstanceOfSatisfying(TreecastException.class, e -> assertThat(e.code()).isEqualTo(ErrorCode.UNAUTHORIZED));
        assertThat(p.poll()).isFalse();
    }

    @Test
    void aServerWithoutCredentialsIsOpenAndOneWithTokensRequiresThem() {
        SecurityPolicy open = SecurityPolicy.open();
        assertThat(open.authenticate("", null).principal).isEqualTo(Identity.ANONYMOUS);
        assertThat(open.accessFor(open.authenticate("", null))).isNull();
        SecurityPolicy closed = SecurityPolicy.load(List.of("s3cret"), null, null, null);
        assertThat(closed.authenticate("s3cret", null).principal).isEqualTo(Principals.DEFAULT_PRINCIPAL);
        assertThatThrownBy(() -> closed.authenticate("", null)).hasMessageContaining("requires a token");
        assertThat(closed.authenticate("", "carol").principal).isEqualTo("carol");
    }

    private Path write(String name, String text) throws Exception {
        return Files.writeString(dir.resolve(name), text);
    }

    private static void touch(Path p, int generation) throws Exception {
        Files.setLastModifiedTime(p, FileTime.fromMillis(System.currentTimeMillis() + 10_000L * generation));
    }
}
