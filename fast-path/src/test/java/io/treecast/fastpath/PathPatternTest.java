package io.treecast.fastpath;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class PathPatternTest {

    @ParameterizedTest(name = "{0} ~ {1} = {2}")
    @CsvSource(delimiter = '|', value = {
            "markets/eu/bid | markets/eu/bid | true",
            "markets/eu/bid | markets/eu/ask | false",
            "markets/*/bid | markets/eu/bid | true",
            "markets/*/bid | markets/eu/fx/bid | false",
            "markets/** | markets/eu/fx/bid | true",
            "markets/** | markets | true",
            "markets/**/bid | markets/bid | true",
            "markets/**/bid | markets/eu/fx/EURUSD/bid | true",
            "markets/**/bid | markets/eu/fx/ask | false",
            "**/EURUSD/* | markets/eu/fx/EURUSD/bid | true",
            "**/EURUSD/* | EURUSD/bid | true",
            "**/EURUSD/* | markets/EURUSD | false",
            "markets/{eu,us}/**/bid | markets/us/fx/bid | true",
            "markets/{eu,us}/**/bid | markets/asia/fx/bid | false",
            "**/a/**/b/** | x/a/y/b | true",
            "**/a/**/b/** | x/b/y/a | false",
            "** | anything/at/all | true",
            "*/* | a | false",
    })
    void matchesLikeTheDataModelSays(String pattern, String path, boolean expected) {
        assertThat(PathPattern.parse(pattern).matches(TreePath.parse(path))).isEqualTo(expected);
    }

    @ParameterizedTest(name = "[{index}] {1}")
    @CsvSource(delimiter = '|', value = {
            "''            | is empty",
            "/a            | starts with '/'",
            "a/            | ends with '/'",
            "a//b          | empty segment 2",
            "a*            | segment 1 ('a*') mixes '*'",
            "a/**b         | segment 2 ('**b') mixes '*'",
            "a/***         | mixes '*'",
            "a/{}          | empty alternation",
            "a/{eu,}       | empty alternative",
            "a/{,eu}       | empty alternative",
            "a/{eu,{us}}   | nests braces",
            "a/{eu         | unbalanced",
            "a/eu}         | unbalanced",
            "a/x{eu}       | unbalanced or partial braces",
            "a/{eu,*}      | mixes '*'",
            "a/eu,us       | ',' outside braces",
            "a/**/**       | '**/**' means the same as '**'",
            "**/a/**/b/**/c/**/d/** | more than 4 '**'",
    })
    void rejectsMalformedPatternsWithCodeAndFix(String text, String expected) {
        assertThatThrownBy(() -> PathPattern.parse(text))
                .isInstanceOfSatisfying(TreecastException.class, e -> {
                    assertThat(e.code()).isEqualTo(ErrorCode.INVALID_PATTERN);
                    assertThat(e.getMessage()).contains(expected);
                });
    }

    @Test
    void rejectsPatternLimitsLikePaths() {
        assertThatThrownBy(() -> PathPattern.parse(String.join("/", java.util.Collections.nCopies(33, "*"))))
                .isInstanceOfSatisfying(TreecastException.class, e -> {
                    assertThat(e.code()).isEqualTo(ErrorCode.INVALID_PATTERN);
                    assertThat(e.getMessage()).contains("limit is 32");
                });
        assertThatThrownBy(() -> PathPattern.parse("a/\tb"))
                .isInstanceOfSatisfying(TreecastException.class, e -> assertThat(e.getMessage()).contains("segment 2").contains("U+0009"));
        String huge = "{a,b,c,d}/{a,b,c,d}/{a,b,c,d}/{a,b,c,d}/{a,b}";
        assertThatThrownBy(() -> PathPattern.parse(huge))
                .isInstanceOfSatisfying(TreecastException.class, e -> assertThat(e.getMessage()).contains("more than 256 combinations"));
    }

    @Test
    void duplicateAlternativesAreAllowedAndCollapsed() {
        PathPattern p = PathPattern.parse("a/{x,x,y}");
        assertThat(p.literals(1)).containsExactly("x", "y");
        assertThat(p.matches(TreePath.parse("a/y"))).isTrue();
        assertThat(p).isEqualTo(PathPattern.parse("a/{x,x,y}"));
        assertThat(p.toString()).isEqualTo("a/{x,x,y}");
    }
}
