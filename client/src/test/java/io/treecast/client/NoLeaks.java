package io.treecast.client;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.PooledByteBufAllocator;
import io.netty.util.ResourceLeakDetector;
import io.netty.util.ResourceLeakDetectorFactory;
import org.junit.jupiter.api.extension.AfterAllCallback;
import org.junit.jupiter.api.extension.BeforeAllCallback;
import org.junit.jupiter.api.extension.ExtensionContext;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Makes a Netty ByteBuf leak fail the test class: installs (before any buffer class is loaded) a leak detector
 * that records what Netty reports at -Dio.netty.leakDetection.level=paranoid, and after the class forces
 * collection and detection and asserts nothing was recorded.
 */
public final class NoLeaks implements BeforeAllCallback, AfterAllCallback {
    static final List<String> LEAKS = new CopyOnWriteArrayList<>();
    private static boolean installed;

    public static synchronized void install() {
        if (installed) {
            return;
        }
        installed = true;
        ResourceLeakDetectorFactory.setResourceLeakDetectorFactory(new ResourceLeakDetectorFactory() {
            @Override
            @SuppressWarnings("deprecation")
            public <T> ResourceLeakDetector<T> newResourceLeakDetector(Class<T> resource, int samplingInterval, long maxActive) {
                return new ResourceLeakDetector<T>(resource, samplingInterval, maxActive) {
                    @Override
                    protected void reportTracedLeak(String resourceType, String records) {
                        LEAKS.add(resourceType + " leaked:" + records);
                        super.reportTracedLeak(resourceType, records);
                    }

                    @Override
                    protected void reportUntracedLeak(String resourceType) {
                        LEAKS.add(resourceType + " leaked (untraced)");
                        super.reportUntracedLeak(resourceType);
                    }
                };
            }
        });
    }

    /** Collects garbage and allocates, so that Netty reports any leaked buffer now; returns what was recorded. */
    public static List<String> collect() {
        for (int i = 0; i < 5; i++) {
            System.gc();
            System.runFinalization();
            List<ByteBuf> bufs = new ArrayList<>();
            for (int j = 0; j < 64; j++) {
                bufs.add(PooledByteBufAllocator.DEFAULT.buffer(16));
                bufs.add(io.netty.buffer.UnpooledByteBufAllocator.DEFAULT.buffer(16));
            }
            bufs.forEach(ByteBuf::release);
        }
        List<String> out = new ArrayList<>(LEAKS);
        LEAKS.clear();
        return out;
    }

    @Override
    public void beforeAll(ExtensionContext context) {
        install();
        assertThat(ResourceLeakDetector.getLevel()).as("tests must run with -Dio.netty.leakDetection.level=paranoid")
                .isEqualTo(ResourceLeakDetector.Level.PARANOID);
    }

    @Override
    public void afterAll(ExtensionContext context) {
        assertThat(collect()).as("Netty ByteBuf leaks").isEmpty();
    }
}
