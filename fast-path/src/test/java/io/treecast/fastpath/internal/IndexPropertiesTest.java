package io.treecast.fastpath.internal;

import io.treecast.fastpath.EventHandler;
import io.treecast.fastpath.PathPattern;
import io.treecast.fastpath.Policy;
import io.treecast.fastpath.TreePath;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;

import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;

import static org.assertj.core.api.Assertions.assertThat;

class IndexPropertiesTest {
    private static final EventHandler NONE = null;

    @Provide
    Arbitrary<String> patterns() {
        Arbitrary<String> seg = Arbitraries.of("a", "b", "c", "*", "**", "{a,b}", "{b,c}");
        return seg.list().ofMinSize(1).ofMaxSize(5).map(l -> String.join("/", l))
                .filter(s -> !s.contains("**/**") && s.split("\\*\\*", -1).length - 1 <= PathPattern.MAX_GLOBSTARS);
    }

    @Provide
    Arbitrary<String> paths() {
        return Arbitraries.of("a", "b", "c", "d").list().ofMinSize(1).ofMaxSize(6).map(l -> String.join("/", l));
    }

    /** An independent, obviously-correct matcher: plain recursion over segments. */
    static boolean bruteForce(String[] pat, int i, String[] path, int j) {
        if (i == pat.length) {
            return j == path.length;
        }
        String s = pat[i];
        if (s.equals("**")) {
            for (int k = j; k <= path.length; k++) {
                if (bruteForce(pat, i + 1, path, k)) {
                    return true;
                }
            }
            return false;
        }
        if (j == path.length) {
            return false;
        }
        boolean one = s.equals("*") || s.equals(path[j])
                || (s.startsWith("{") && List.of(s.substring(1, s.length() - 1).split(",")).contains(path[j]));
        return one && bruteForce(pat, i + 1, path, j + 1);
    }

    @Property(tries = 200)
    void indexAndPatternAgreeWithABruteForceMatcher(@ForAll("patternLists") List<String> pats,
                                                    @ForAll("pathLists") List<String> paths) {
        SubscriptionIndex index = new SubscriptionIndex();
        List<Sub> subs = new ArrayList<>();
        for (int i = 0; i < pats.size(); i++) {
            Sub s = new Sub(i, PathPattern.parse(pats.get(i)), NONE, Policy.CONFLATE, false, -1, 4, 75, false, null);
            subs.add(s);
            index.add(s);
        }
        // remove every third one again: removal must leave the others intact
        Set<Sub> removed = new HashSet<>();
        for (int i = 0; i < subs.size(); i += 3) {
            index.remove(subs.get(i));
            removed.add(subs.get(i));
        }
        for (String p : paths) {
            TreePath path = TreePath.parse(p);
            Set<Sub> got = new HashSet<>();
            index.match(path, got::add);
            Set<Sub> expected = new HashSet<>();
            for (Sub s : subs) {
                boolean bf = bruteForce(s.pattern().toString().split("/"), 0, p.split("/"), 0);
                assertThat(s.pattern().matches(path)).as("%s ~ %s", s.pattern(), p).isEqualTo(bf);
                if (bf && !removed.contains(s)) {
                    expected.add(s);
                }
            }
            assertThat(got).as("index match of %s", p).isEqualTo(expected);
        }
    }

    @Provide
    Arbitrary<List<String>> patternLists() {
        return patterns().list().ofMinSize(1).ofMaxSize(30);
    }

    @Provide
    Arbitrary<List<String>> pathLists() {
        return paths().list().ofMinSize(1).ofMaxSize(20);
    }
}
