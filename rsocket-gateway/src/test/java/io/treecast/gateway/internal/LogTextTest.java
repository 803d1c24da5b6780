package io.treecast.gateway.internal;

import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;

/** Client-supplied strings in log lines cannot forge lines, hide characters or grow without bound. */
class LogTextTest {

    @Test
    void newlinesAndOtherControlCharactersAreEscapedSoNoLineCanBeForged() {
        String forged = "bob\n12:00:00.000 ERROR [main] io.treecast - admin logged in\r\u0000\u001b[31m\u2028x";
        String escaped = LogText.escape(forged);
        assertThat(escaped).doesNotContain("\n", "\r", "\u0000", "\u001b", "\u2028")
                .isEqualTo("bob\\n12:00:00.000 ERROR [main] io.treecast - admin logged in\\r\\u0000\\u001b[31m\\u2028x");
    }

    @Test
    void backslashesAreDoubledSoAnEscapeCannotBeImitated() {
        assertThat(LogText.escape("a\\nb")).isEqualTo("a\\\\nb");
        assertThat(LogText.escape("a\nb")).isEqualTo("a\\nb");
    }

    @Test
    void longStringsAreCutAndSayHowLongTheyWere() {
        String escaped = LogText.escape("x".repeat(1 << 20));
        assertThat(escaped).startsWith("x".repeat(128)).endsWith("...(1048576 chars)").hasSize(128 + "...(1048576 chars)".length());
    }

    @Test
    void ordinaryTextIsUnchanged() {
        assertThat(LogText.escape("sensor-gateway-7 (Zürich) fx/EURUSD/bid")).isEqualTo("sensor-gateway-7 (Zürich) fx/EURUSD/bid");
        assertThat(LogText.escape(null)).isEqualTo("null");
    }
}
