package io.treecast.client;

import io.treecast.fastpath.ErrorCode;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The wire's enums are written once in {@code treecast.proto}; the engine ({@code fast-path}) and this client keep
 * their own Java enums so that a client application does not pull the engine in (and the engine not protobuf). This
 * test keeps the copies equal to the proto, constant for constant and in wire-number order, and the error codes of
 * the engine, of this client and of proto/README.md's error table the same set.
 */
class WireEnumsAgreeTest {
    /** The client's own codes, for failures that never came from a server. */
    private static final Set<String> CLIENT_ONLY = Set.of("CONNECTION", "CLOSED", "UNKNOWN");

    @Test
    void ackModesAreTheProtosInWireOrder() {
        List<String> proto = protoNames(io.treecast.proto.AckMode.values(), "ACK_");
        assertThat(names(AckMode.values())).as("client AckMode vs treecast.proto").isEqualTo(proto);
        assertThat(names(io.treecast.fastpath.AckMode.values())).as("fast-path AckMode vs treecast.proto").isEqualTo(proto);
    }

    @Test
    void policiesAreTheProtosInWireOrder() {
        List<String> proto = protoNames(io.treecast.proto.Policy.values(), "");
        assertThat(names(Policy.values())).as("client Policy vs treecast.proto").isEqualTo(proto);
        assertThat(names(io.treecast.fastpath.Policy.values())).as("fast-path Policy vs treecast.proto").isEqualTo(proto);
    }

    @Test
    void theClientKnowsExactlyTheServersErrorCodes() {
        Set<String> client = new LinkedHashSet<>(names(TreecastClientException.Code.values()));
        client.removeAll(CLIENT_ONLY);
        assertThat(client).as("client codes (without its own %s) vs fast-path ErrorCode", CLIENT_ONLY)
                .containsExactlyInAnyOrderElementsOf(names(ErrorCode.values()));
    }

    @Test
    void protoReadmeErrorTableListsExactlyTheServersErrorCodes() throws IOException {
        String readme = Files.readString(Path.of("..", "proto", "README.md"));
        String table = readme.substring(readme.indexOf("\n## Errors"));
        table = table.substring(table.indexOf("\n| code |"), table.indexOf("\n\n", table.indexOf("\n| code |")));
        Set<String> documented = new LinkedHashSet<>();
        for (String row : table.split("\n")) {
            if (row.startsWith("| `")) {
                Matcher m = Pattern.compile("`([A-Z_]+)`").matcher(row.substring(0, row.indexOf(" |", 2)));
                while (m.find()) {
                    documented.add(m.group(1));
                }
            }
        }
        assertThat(documented).as("codes in proto/README.md's error table vs fast-path ErrorCode")
                .containsExactlyInAnyOrderElementsOf(names(ErrorCode.values()));
    }

    private static List<String> names(Enum<?>[] values) {
        return Arrays.stream(values).map(Enum::name).toList();
    }

    /** The proto enum's constants without protobuf's UNRECOGNIZED and without {@code prefix}. */
    private static List<String> protoNames(Enum<?>[] values, String prefix) {
        return Stream.of(values).map(Enum::name).filter(n -> !n.equals("UNRECOGNIZED"))
                .map(n -> n.substring(prefix.length())).toList();
    }
}
