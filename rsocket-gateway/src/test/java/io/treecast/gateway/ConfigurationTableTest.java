package io.treecast.gateway;

import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static org.assertj.core.api.Assertions.assertThat;

/** README.md's configuration table lists every {@link ServerConfig} key, and no other, with its real default. */
class ConfigurationTableTest {
    /** {@code | `key` | `default` (note) | meaning |} or {@code | `key` | empty | meaning |}. */
    private static final Pattern ROW = Pattern.compile("^\\| `([a-z0-9.-]+)` \\| (?:`([^`]*)`[^|]*|empty) \\|");

    @Test
    void everyKeyIsDocumentedWithItsDefault() throws IOException {
        Map<String, String> documented = new LinkedHashMap<>();
        for (String line : Files.readAllLines(Path.of("README.md"))) {
            Matcher m = ROW.matcher(line);
            if (m.find()) {
                documented.put(m.group(1), m.group(2) == null ? "" : m.group(2));
            }
        }
        assertThat(documented.keySet()).as("keys in README.md's configuration table")
                .containsExactlyInAnyOrderElementsOf(ServerConfig.keys());
        ServerConfig defaults = ServerConfig.defaults();
        documented.forEach((key, text) -> assertThat(ServerConfig.builder().set(key, text).build().get(key))
                .as("README.md's default of %s (%s)", key, text).isEqualTo(defaults.get(key)));
    }
}
