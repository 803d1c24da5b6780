package io.treecast.gateway.internal;

import io.netty.buffer.ByteBuf;
import io.netty.util.concurrent.FastThreadLocal;
import io.treecast.fastpath.TreePath;

import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.nio.ByteOrder;
import java.util.Arrays;

/**
 * Recently parsed paths of one event-loop thread, looked up by their UTF-8 bytes straight in the request buffer.
 * Publishers update the same leaves over and over; parsing a path again (a String, a split, an intern lookup per
 * segment) was the largest share of the server's allocation per publish. Four-way set-associative: a set holds the
 * last four paths that hashed to it, newest first, so the cache never grows and needs no eviction list, and a
 * publisher cycling through 100,000 leaves at random finds ~98% of them (direct-mapped, one path per slot, it found
 * ~83%: each miss parses the path again and allocates). Each entry keeps its path's hash and its path's UTF-8 array
 * beside it, so a lookup dereferences only the entry whose hash matches, and loads its bytes without going through the
 * path object first (each a likely cache miss under a big tree: one miss after the other was most of a lookup). A hit returns
 * an already validated, immutable path; a miss costs one hash over the bytes. Thread-confined (one per thread), so no
 * locks.
 */
final class PathCache {
    private static final int WAYS = 4;
    /** 65,536 sets of four: 262,144 entries, 3 MiB per event loop (two references and an int each). */
    private static final int SETS = 1 << 16;
    private static final VarHandle LONGS = MethodHandles.byteArrayViewVarHandle(long[].class, ByteOrder.LITTLE_ENDIAN);
    private static final long MIX = 0x9E3779B97F4A7C15L;
    private static final FastThreadLocal<PathCache> PER_THREAD = new FastThreadLocal<>() {
        @Override
        protected PathCache initialValue() {
            return new PathCache();
        }
    };

    private final TreePath[] paths = new TreePath[SETS * WAYS];
    private final int[] hashes = new int[SETS * WAYS];
    /** {@code paths[i].utf8()}. */
    private final byte[][] keys = new byte[SETS * WAYS][];
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
        int h = hash(scratch, len);
        int first = set(h);
        for (int i = first; i < first + WAYS; i++) {
            if (hashes[i] == h) {
                byte[] b = keys[i];
                if (b != null && Arrays.equals(b, 0, b.length, scratch, 0, len)) {
                    return paths[i];
                }
            }
        }
        return null;
    }

    /** Adds {@code p} as its set's newest entry; the oldest of a full set goes. */
    void put(TreePath p) {
        byte[] b = p.utf8();
        int h = hash(b, b.length);
        int first = set(h);
        System.arraycopy(paths, first, paths, first + 1, WAYS - 1);
        System.arraycopy(hashes, first, hashes, first + 1, WAYS - 1);
        System.arraycopy(keys, first, keys, first + 1, WAYS - 1);
        paths[first] = p;
        hashes[first] = h;
        keys[first] = b;
    }

    /** Eight bytes per step (a multiply and a shift each), not one: paths are tens of bytes. */
    static int hash(byte[] b, int len) {
        long h = len * MIX;
        int i = 0;
        for (; i + Long.BYTES <= len; i += Long.BYTES) {
            h = (h ^ (long) LONGS.get(b, i)) * MIX;
            h ^= h >>> 29;
        }
        long tail = 0;
        for (; i < len; i++) {
            tail = (tail << 8) | (b[i] & 0xFF);
        }
        h = (h ^ tail) * MIX;
        return (int) (h ^ (h >>> 32));
    }

    private static int set(int h) {
        return (h & (SETS - 1)) * WAYS;
    }
}
