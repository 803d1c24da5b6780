package io.treecast.client.internal;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.rsocket.Payload;
import io.rsocket.util.ByteBufPayload;
import io.treecast.client.TreeEvent;
import io.treecast.proto.Event;
import org.junit.jupiter.api.Test;
import reactor.core.publisher.BaseSubscriber;
import reactor.core.publisher.Flux;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import java.util.concurrent.atomic.AtomicLong;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The read-ahead against a stand-in for the server that sends exactly as many frames as it was asked for (Reactor's
 * own request accounting), so a frame credit lost or counted twice shows as a stall or an overflow.
 */
class EventReadAheadTest {
    /** Frames of 1..maxEvents events with consecutive seqs from 1; every request is recorded in {@code asked}. */
    private static Flux<Payload> frames(int count, int maxEvents, List<Long> asked) {
        SplittableRandom random = new SplittableRandom(7);
        long[] seq = {0};
        return Flux.range(0, count).map(i -> frame(seq, 1 + random.nextInt(maxEvents))).doOnRequest(asked::add);
    }

    private static Payload frame(long[] seq, int events) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        try {
            for (int e = 0; e < events; e++) {
                Event.newBuilder().setSeq(++seq[0]).build().writeDelimitedTo(out);
            }
        } catch (IOException ex) {
            throw new UncheckedIOException(ex);
        }
        ByteBuf data = Unpooled.wrappedBuffer(out.toByteArray());
        return ByteBufPayload.create(data);
    }

    @Test
    void anUnboundedSubscriberGetsEveryEventInOrderAskingInQuarterWindowSteps() {
        List<Long> asked = new ArrayList<>();
        List<TreeEvent> got = new EventReadAhead(frames(3_000, 16, asked), 512, 4 << 20, 0, (e, s) -> e)
                .collectList().block();
        assertThat(got).hasSizeGreaterThan(3_000);
        assertThat(got).extracting(TreeEvent::seq).isEqualTo(java.util.stream.LongStream.rangeClosed(1, got.size()).boxed().toList());
        assertThat(asked.get(0)).isEqualTo(512);
        assertThat(asked.subList(1, asked.size())).allSatisfy(n -> assertThat(n).isBetween(128L, 512L));
    }

    @Test
    void aStalledSubscriberMakesTheClientStopAskingAtTheByteBoundAndTakingResumesIt() {
        List<Long> asked = new ArrayList<>();
        AtomicLong received = new AtomicLong();
        BaseSubscriber<TreeEvent> app = new BaseSubscriber<>() {
            @Override
            protected void hookOnSubscribe(org.reactivestreams.Subscription s) {
                // nothing asked: the application is stalled
            }

            @Override
            protected void hookOnNext(TreeEvent e) {
                received.incrementAndGet();
            }
        };
        // frames of 1 event are ~3-4 bytes: a bound of 400 bytes holds about a hundred, a window of 100,000 none
        new EventReadAhead(frames(50_000, 1, asked), 100_000, 400, 0, (e, s) -> e).subscribe(app);
        long firstAsked = asked.stream().mapToLong(Long::longValue).sum();
        assertThat(firstAsked).isBetween(1L, 400L); // the window is cut by the bound at the first frame size guess
        app.request(Long.MAX_VALUE);
        assertThat(received.get()).isEqualTo(50_000);
    }
}
