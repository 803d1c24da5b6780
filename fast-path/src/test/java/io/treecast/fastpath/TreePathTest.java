package io.treecast.fastpath;

import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.api.Test;

import static java.nio.charset.StandardCharsets.UTF_8;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class TreePathTest {

    @Test
    void parsesSegmentsAndCachesTextAndUtf8() {
        TreePath p = TreePath.parse("markets/eu/fx/EURUSD/bid");
        assertThat(p.depth()).isEqualTo(5);
        assertThat(p.segment(3)).isEqualTo("EURUSD");
        assertThat(p.toString()).isEqualTo("markets/eu/fx/EURUSD/bid");
        assertThat(p.utf8()).isEqualTo("markets/eu/fx/EURUSD/bid".getBytes(UTF_8));
        assertThat(p.utf8()).isSameAs(p.utf8());
    }

    @Test
    void equalPathsAreEqualAndShareInternedSegments() {
        TreePath a = TreePath.parse("a/bb/ccc");
        TreePath b = TreePath.of("a", "bb", "ccc");
        assertThat(a).isEqualTo(b).hasSameHashCodeAs(b);
        assertThat(a.segment(1)).isSameAs(b.segment(1));
        assertThat(a).isNotEqualTo(TreePath.parse("a/bb"));
        assertThat(a.prefix(2)).isEqualTo(TreePath.parse("a/bb"));
        assertThat(TreePath.parse("a/bb").isPrefixOf(a)).isTrue();
    }

    @Test
    void childValidatesTheNewSegmentLikeParse() {
        TreePath a = TreePath.parse("a/b");
        assertThat(a.child("c")).isEqualTo(TreePath.parse("a/b/c"));
        assertThat(a.child("c").utf8()).isEqualTo("a/b/c".getBytes(UTF_8));
        assertThat(a.child("c").segment(2)).isSameAs(TreePath.parse("x/c").segment(1));
        assertThatThrownBy(() -> a.child("c*"))
                .isInstanceOfSatisfying(TreecastException.class, e -> {
                    assertThat(e.code()).isEqualTo(ErrorCode.INVALID_PATH);
                    assertThat(e.getMessage()).contains("segment 3");
                });
        assertThatThrownBy(() -> a.child(""))
                .isInstanceOfSatisfying(TreecastException.class, e -> assertThat(e.getMessage()).contains("ends with '/'"));
        assertThatThrownBy(() -> a.child("x".repeat(256)))
                .isInstanceOfSatisfying(TreecastException.class, e -> assertThat(e.getMessage()).contains("limit is 255"));
    }

    @Test
    void acceptsTheLimitsExactly() {
        String seg255 = "x".repeat(255);
        assertThat(TreePath.parse(seg255).depth()).isEqualTo(1);
        String thirtyTwo = String.join("/", java.util.Collections.nCopies(32, "s"));
        assertThat(TreePath.parse(thirtyTwo).depth()).isEqualTo(32);
        String bytes1024 = String.join("/", java.util.Collections.nCopies(3, "y".repeat(255))) + "/" + "z".repeat(254) + "/a";
        assertThat(bytes1024.getBytes(UTF_8)).hasSize(1024);
        assertThat(TreePath.parse(bytes1024).depth()).isEqualTo(5);
        assertThat(TreePath.parse("prix/€/ünïcode").segment(1)).isEqualTo("€");
    }

    @ParameterizedTest(name = "[{index}] {1}")
    @CsvSource(delimiter = '|', value = {
            "''                 | is empty",
            "/a/b               | starts with '/'",
            "a/b/               | ends with '/'",
            "a//b               | empty segment 2",
            "a/b*/c             | segment 2 ('b*') contains '*'",
            "a/{b}              | segment 2 ('{b}') contains '{'",
            "a/b}               | contains '}'",
            "a/b,c              | contains ','",
            "*                  | contains '*'",
    })
    void rejectsMalformedPathsWithCodeAndFix(String text, String expected) {
        assertThatThrownBy(() -> TreePath.parse(text))
                .isInstanceOfSatisfying(TreecastException.class, e -> {
                    assertThat(e.code()).isEqualTo(ErrorCode.INVALID_PATH);
                    assertThat(e.getMessage()).contains(expected);
                });
    }

    @Test
    void rejectsControlCharactersNamingTheSegment() {
        assertThatThrownBy(() -> TreePath.parse("a/b\u0001c"))
                .isInstanceOfSatisfying(TreecastException.class, e -> {
                    assertThat(e.code()).isEqualTo(ErrorCode.INVALID_PATH);
                    assertThat(e.getMessage()).contains("segment 2").contains("U+0001").contains("remove it");
                });
        assertThatThrownBy(() -> TreePath.parse("a\u007f"))
                .isInstanceOfSatisfying(TreecastException.class, e -> assertThat(e.getMessage()).contains("U+007F"));
    }

    @ParameterizedTest(name = "U+{0}")
    @CsvSource({
            "0085, control character U+0085 (NEXT LINE (NEL))",
            "009B, control character U+009B",
            "202E, invisible format character U+202E (RIGHT-TO-LEFT OVERRIDE)",
            "202A, invisible format character U+202A",
            "2066, invisible format character U+2066",
            "200B, invisible format character U+200B (ZERO WIDTH SPACE)",
            "200D, invisible format character U+200D",
            "FEFF, invisible format character U+FEFF",
            "2028, line or paragraph separator U+2028",
            "2029, line or paragraph separator U+2029"})
    void rejectsInvisibleControlBidiAndFormatCharactersNamingTheCodePoint(String hex, String expected) {
        String bad = "fx/EUR" + (char) Integer.parseInt(hex, 16) + "USD/bid";
        assertThatThrownBy(() -> TreePath.parse(bad))
                .isInstanceOfSatisfying(TreecastException.class, e -> assertThat(e.code()).isEqualTo(ErrorCode.INVALID_PATH))
                .hasMessageContaining("segment 2 contains the " + expected)
                .hasMessageContaining("\\u" + hex)          // the path is quoted with the character escaped
                .hasMessageContaining("remove it");
        assertThatThrownBy(() -> TreePath.parse("fx").child("EUR" + (char) Integer.parseInt(hex, 16)))
                .hasMessageContaining("U+" + hex);
        assertThatThrownBy(() -> PathPattern.parse("fx/*/x" + (char) Integer.parseInt(hex, 16)))
                .isInstanceOfSatisfying(TreecastException.class, e -> assertThat(e.code()).isEqualTo(ErrorCode.INVALID_PATTERN))
                .hasMessageContaining("segment 3 contains the " + expected);
        assertThatThrownBy(() -> PathPattern.parse("fx/{eu,u" + (char) Integer.parseInt(hex, 16) + "s}"))
                .hasMessageContaining("U+" + hex);
    }

    @Test
    void acceptsVisibleNonAsciiTextAndRejectsLoneSurrogates() {
        assertThat(TreePath.parse("märkte/東京/€/🚀/ñ").depth()).isEqualTo(5);
        assertThat(TreePath.parse("a").child("🚀").segment(1)).isEqualTo("🚀");
        assertThatThrownBy(() -> TreePath.parse("a/x\uD800y"))
                .hasMessageContaining("segment 2 contains a lone surrogate U+D800");
        assertThatThrownBy(() -> TreePath.parse("a/x\uDC00"))
                .hasMessageContaining("lone surrogate U+DC00");
    }

    @Test
    void rejectsOversizedSegmentsPathsAndDepth() {
        assertThatThrownBy(() -> TreePath.parse("a/" + "x".repeat(256)))
                .isInstanceOfSatisfying(TreecastException.class, e -> {
                    assertThat(e.code()).isEqualTo(ErrorCode.INVALID_PATH);
                    assertThat(e.getMessage()).contains("segment 2").contains("256 bytes").contains("limit is 255");
                });
        assertThatThrownBy(() -> TreePath.parse("é".repeat(128)))
                .isInstanceOfSatisfying(TreecastException.class, e -> assertThat(e.getMessage()).contains("256 bytes"));
        assertThatThrownBy(() -> TreePath.parse(String.join("/", java.util.Collections.nCopies(33, "s"))))
                .isInstanceOfSatisfying(TreecastException.class, e -> {
                    assertThat(e.code()).isEqualTo(ErrorCode.INVALID_PATH);
                    assertThat(e.getMessage()).contains("33 segments").contains("limit is 32");
                });
        assertThatThrownBy(() -> TreePath.parse(String.join("/", java.util.Collections.nCopies(5, "y".repeat(250)))))
                .isInstanceOfSatisfying(TreecastException.class, e -> assertThat(e.getMessage()).contains("1254 bytes").contains("1024"));
        assertThatThrownBy(() -> TreePath.parse(null))
                .isInstanceOfSatisfying(TreecastException.class, e -> assertThat(e.code()).isEqualTo(ErrorCode.INVALID_PATH));
    }

    /**
     * HashMaps keyed by paths (conflation, a snapshot's merges) stay flat for generated families: with the old
     * base-31 hash these 20,000 paths had 3,980 distinct hashes and buckets of up to 16 paths.
     */
    @Test
    void generatedPathFamiliesSpreadOverHashMapBuckets() {
        int[] hashes = new int[20_000];
        int[] buckets = new int[1 << 15]; // the table of a HashMap holding 20,000 keys
        TreePath bulk = TreePath.parse("bulk");
        int n = 0;
        for (int b = 0; b < 20; b++) {
            TreePath parent = bulk.child("b" + b);
            for (int l = 0; l < 1000; l++) {
                int h = parent.child("l" + l).hashCode();
                hashes[n++] = h;
                buckets[(h ^ (h >>> 16)) & (buckets.length - 1)]++;
            }
        }
        assertThat(TreePath.parse("bulk/b7/l123")).hasSameHashCodeAs(bulk.child("b7").child("l123"));
        assertThat(java.util.Arrays.stream(hashes).distinct().count()).as("distinct hashes of 20,000 paths").isGreaterThan(19_990);
        assertThat(java.util.Arrays.stream(buckets).max().getAsInt()).as("the fullest bucket (HashMap treeifies at 8)").isLessThan(8);
    }
}
