package io.treecast.fastpath.internal;

import io.treecast.fastpath.Engine;
import io.treecast.fastpath.EngineConfig;

/** The engine's implementation (written with the engine issue). */
public final class DefaultEngine {
    private DefaultEngine() {
    }

    public static Engine start(EngineConfig config) {
        throw new UnsupportedOperationException("implemented with the engine");
    }
}
