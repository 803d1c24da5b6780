package io.treecast.gateway.internal.security;

import io.treecast.fastpath.PathPattern;
import io.treecast.fastpath.TreePath;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.List;
import java.util.Random;

import static org.assertj.core.api.Assertions.assertThat;

class PatternRelationsTest {
    private static final String[] SEGMENTS = {"a", "b", "*", "**", "{a,b}", "{b,c}"};
    private static final String[] NAMES = {"a", "b", "c"};

    @Test
    void overlapIsExactAndCoverIsSoundAgainstEveryPathUpToSixSegments() {
        List<TreePath> universe = new ArrayList<>();
        paths("", 0, universe);
        Random random = new Random(13);
        for (int round = 0; round < 1500; round++) {
            PathPattern x = random(random);
            PathPattern y = random(random);
            boolean both = false;
            boolean yOutsideX = false;
            for (TreePath p : universe) {
                boolean mx = x.matches(p);
                boolean my = y.matches(p);
                both |= mx && my;
                yOutsideX |= my && !mx;
            }
            assertThat(PatternRelations.overlap(x, y)).as("overlap(%s, %s)", x, y).isEqualTo(both);
            if (PatternRelations.covers(x, y)) {
                assertThat(yOutsideX).as("covers(%s, %s) but a path of the second is outside the first", x, y).isFalse();
            }
        }
    }

    @Test
    void coverAnswersTheCasesRulesMeet() {
        assertThat(PatternRelations.covers(PathPattern.parse("markets/**"), PathPattern.parse("markets/{eu,us}/*"))).isTrue();
        assertThat(PatternRelations.covers(PathPattern.parse("**"), PathPattern.parse("**/x/**"))).isTrue();
        assertThat(PatternRelations.covers(PathPattern.parse("markets/*"), PathPattern.parse("markets/**"))).isFalse();
        assertThat(PatternRelations.covers(PathPattern.parse("markets/{eu,us}"), PathPattern.parse("markets/{eu,asia}"))).isFalse();
        assertThat(PatternRelations.overlap(PathPattern.parse("markets/secret/**"), PathPattern.parse("**/plan"))).isTrue();
        assertThat(PatternRelations.overlap(PathPattern.parse("markets/secret/**"), PathPattern.parse("users/**"))).isFalse();
    }

    private static void paths(String prefix, int depth, List<TreePath> out) {
        if (depth > 0) {
            out.add(TreePath.parse(prefix));
        }
        if (depth == 6) {
            return;
        }
        for (String n : NAMES) {
            paths(prefix.isEmpty() ? n : prefix + "/" + n, depth + 1, out);
        }
    }

    private static PathPattern random(Random r) {
        int depth = 1 + r.nextInt(3);
        StringBuilder b = new StringBuilder();
        String prev = "";
        for (int i = 0; i < depth; i++) {
            String s = SEGMENTS[r.nextInt(SEGMENTS.length)];
            if (s.equals("**") && prev.equals("**")) {
                s = "a";
            }
            b.append(i == 0 ? "" : "/").append(s);
            prev = s;
        }
        return PathPattern.parse(b.toString());
    }
}
