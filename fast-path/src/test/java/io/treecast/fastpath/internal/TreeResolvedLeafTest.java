package io.treecast.fastpath.internal;

import io.treecast.fastpath.Change;
import io.treecast.fastpath.TreePath;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

/** Tree.set's table of recently resolved leaves gives an overwrite the same result as the walk down the tree. */
class TreeResolvedLeafTest {

    @Test
    void pathsBeyondASetsFourEntriesAndLeavesThatWentAreStillSetWhereTheyBelong() {
        // six paths of one set of the table (the spread hash's low 16 bits pick it): more than it holds
        List<TreePath> same = new ArrayList<>();
        int set = -1;
        for (int i = 0; same.size() < 6; i++) {
            TreePath p = TreePath.parse("p/i" + i);
            int h = Tree.spread(p.hashCode()) & 0xFFFF;
            if (set < 0) {
                set = h;
            }
            if (h == set) {
                same.add(p);
            }
        }
        Tree tree = new Tree();
        List<Change> implied = new ArrayList<>();
        long seq = 0;
        for (int round = 0; round < 3; round++) {
            for (TreePath p : same) {
                Tree.Node n = tree.set(p, new byte[] {(byte) round}, ++seq, implied);
                assertThat(Tree.pathOf(n)).isEqualTo(p);
            }
        }
        assertThat(tree.leafCount()).isEqualTo(6);
        for (TreePath p : same) {
            assertThat(tree.find(p).value()).containsExactly(2);
        }
        // an equal path parsed again (another object, other bytes array) finds the same leaf
        TreePath again5 = TreePath.parse(same.get(5).toString()); // the newest of the set: still in the table
        assertThat(tree.set(again5, new byte[] {5, 5}, ++seq, implied)).isSameAs(tree.find(same.get(5)));
        assertThat(tree.leafCount()).isEqualTo(6);
        assertThat(tree.valueBytes()).isEqualTo(5 + 2);
        // a leaf that became an inner node, then a leaf again: resolved afresh, its child deleted
        TreePath first = same.get(5);
        tree.set(TreePath.parse(first + "/x"), new byte[] {9}, ++seq, implied);
        assertThat(implied).extracting(Change::path).containsExactly(first);
        assertThat(implied).allMatch(Change::isDelete);
        implied.clear();
        Tree.Node again = tree.set(first, new byte[] {7}, ++seq, implied);
        assertThat(implied).extracting(Change::path).containsExactly(TreePath.parse(first + "/x"));
        assertThat(implied).allMatch(Change::isDelete);
        assertThat(again.value()).containsExactly(7);
        assertThat(tree.leafCount()).isEqualTo(6);
    }
}
