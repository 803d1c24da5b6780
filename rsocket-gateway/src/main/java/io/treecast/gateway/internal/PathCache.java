package io.treecast.gateway.internal;

import io.netty.buffer.ByteBuf;
import io.netty.util.concurrent.FastThreadLocal;
import io.treecast.fastpath.TreePath;

import java.util.Arrays;

/**
 * Recently parsed paths of one event-loop thread, looked up by their UTF-8 bytes straight in the request buffer.
 * Publishers update the same leaves over and over; parsing a path again (a String, a split, an intern lookup per
 * segment) was the largest share of the server's allocation per publish. Direct-mapped: a slot holds the last path
 * that hashed to it, so the cache never grows and needs no eviction. A hit returns an already validated, immutable
 * path; a miss costs one hash over the bytes. Thread-confined (one per thread), so no locks.
 */
final class PathCache {
    /** 262,144 references (1 MiB with compressed oops) per event loop: a publisher cycling through 100,000 leaves mostly hits. */
    private static final int SLOTS = 1 << 18;
    private static final FastThreadLocal<PathCache> PER_THREAD = new FastThreadLocal<>() {
        @Override
        protected PathCache initialValue() {
            return new PathCache();
        }
    };

    private final TreePath[] slots = new TreePath[SLOTS];
    /** The looked-up bytes, copied once: array loops beat a bounds-checked ByteBuf.getByte per byte. */
    private byte[] scratch = new byte[256];

    /** The calling thread's cache. */
    static PathCache current() {
        return PER_THREAD.get();
    }

    /** The cached path whose UTF-8 bytes are {@code in[at, at + len)}, or null. */
    TreePath get(ByteBuf in, int at, int len) {
        if (len > scratch.length) {
            scratch = new byte[Math.max(len, scratch.length * 2)];
        }
        in.getBytes(at, scratch, 0, len);
        TreePath p = slots[slot(hash(scratch, len))];
        if (p == null) {
            return null;
        }
        byte[] b = p.utf8();
        return Arrays.equals(b, 0, b.length, scratch, 0, len) ? p : null;
    }

    void put(TreePath p) {
        byte[] b = p.utf8();
        slots[slot(hash(b, b.length))] = p;
    }

    private static int hash(byte[] b, int len) {
        int h = 1;
        for (int i = 0; i < len; i++) {
            h = 31 * h + b[i];
        }
        return h;
    }

    private static int slot(int h) {
        return (h ^ (h >>> 16)) & (SLOTS - 1);
    }
}
