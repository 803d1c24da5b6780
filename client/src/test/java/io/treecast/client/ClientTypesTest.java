package io.treecast.client;

import io.treecast.proto.Batch;
import io.treecast.proto.Subscribe;
import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class ClientTypesTest {
    @Test
    void everyValueKindRoundTripsThroughProtobuf() {
        for (TreeValue v : new TreeValue[] {TreeValue.of("s"), TreeValue.of(-1L), TreeValue.of(2.5), TreeValue.of(false), TreeValue.of(new byte[] {9})}) {
            assertThat(TreeValue.fromProto(v.toProto())).isEqualTo(v);
        }
        assertThat(TreeValue.of(3L).asDouble()).isEqualTo(3.0);
        assertThatThrownBy(() -> TreeValue.of("x").asLong()).isInstanceOf(IllegalStateException.class)
                .hasMessage("value is STRING, not INT: x");
    }

    @Test
    void batchDslKeepsTheOrderOfChangesAndTheAckMode() {
        Batch b = ChangeBatch.of(x -> x.set("a/x", 1).set("a/y", "s").delete("a/z")).toProto(AckMode.DURABLE);
        assertThat(b.getChangesList()).extracting(io.treecast.proto.Change::getPath).containsExactly("a/x", "a/y", "a/z");
        assertThat(b.getChanges(0).getSet().getIntValue()).isEqualTo(1);
        assertThat(b.getChanges(2).hasDelete()).isTrue();
        assertThat(b.getAck()).isEqualTo(io.treecast.proto.AckMode.ACK_DURABLE);
    }

    @Test
    void subscribeSpecSetsResumeAfterOnlyWhenAsked() {
        Subscribe live = SubscribeSpec.pattern("a/**").toProto();
        assertThat(live.hasResumeAfter()).isFalse();
        Subscribe resumed = SubscribeSpec.pattern("a/**").snapshot().resumeAfter(0).policy(Policy.STRICT).outboxCapacity(64).toProto();
        assertThat(resumed.hasResumeAfter()).isTrue();
        assertThat(resumed.getResumeAfter()).isZero();
        assertThat(resumed.getSnapshot()).isTrue();
        assertThat(resumed.getPolicy()).isEqualTo(io.treecast.proto.Policy.STRICT);
        assertThat(resumed.getOutboxCapacity()).isEqualTo(64);
    }

    @Test
    void slowConsumerErrorsExposeTheLastSeqToResumeAfter() {
        TreecastClientException e = new TreecastClientException(TreecastClientException.Code.SLOW_CONSUMER,
                "outbox full; last seq 4711", null);
        assertThat(e.lastSeq()).isEqualTo(4711);
        assertThat(e.getMessage()).isEqualTo("SLOW_CONSUMER: outbox full; last seq 4711");
    }

    @Test
    void readAheadOptionsRefuseValuesOutOfRangeNamingTheRangeAndKeepTheirDefaults() {
        ClientOptions d = ClientOptions.defaults();
        assertThat(d.readAheadFrames()).isEqualTo(512);
        assertThat(d.readAheadBytes()).isEqualTo(4 << 20);
        assertThat(d.readAheadFrames(32).readAheadBytes(1).token("t").readAheadFrames()).isEqualTo(32);
        assertThat(d.readAheadBytes(1).clientName("n").readAheadBytes()).isEqualTo(1);
        assertThatThrownBy(() -> d.readAheadFrames(0)).isInstanceOf(IllegalArgumentException.class)
                .hasMessage("read-ahead frames must be 1..1048576, was 0: it is how many frames of a subscription the client "
                        + "asks for ahead (default 512)");
        assertThatThrownBy(() -> d.readAheadFrames((1 << 20) + 1)).isInstanceOf(IllegalArgumentException.class)
                .hasMessageStartingWith("read-ahead frames must be 1..1048576, was 1048577");
        assertThatThrownBy(() -> d.readAheadBytes(-5)).isInstanceOf(IllegalArgumentException.class)
                .hasMessage("read-ahead bytes must be 1..1073741824 (1 GiB), was -5: it bounds what the client holds of a "
                        + "subscription not yet taken by the application (default 4194304)");
        assertThatThrownBy(() -> d.readAheadBytes(0)).isInstanceOf(IllegalArgumentException.class)
                .hasMessageStartingWith("read-ahead bytes must be 1..1073741824 (1 GiB), was 0");
    }

    @Test
    void valuesHeldUnboxedCompareAndHashAsTheBoxedValuesDid() {
        assertThat(TreeValue.of(Double.NaN)).isEqualTo(TreeValue.of(Double.NaN));
        assertThat(TreeValue.of(0.0)).isNotEqualTo(TreeValue.of(-0.0));
        assertThat(TreeValue.of(7L)).isNotEqualTo(TreeValue.of(7.0));
        assertThat(TreeValue.of(-3L).hashCode()).isEqualTo(Long.valueOf(-3L).hashCode());
        assertThat(TreeValue.of(2.5).hashCode()).isEqualTo(Double.valueOf(2.5).hashCode());
        assertThat(TreeValue.of(true).hashCode()).isEqualTo(Boolean.TRUE.hashCode());
        assertThat(TreeValue.of(2.5).asString()).isEqualTo("2.5");
        assertThat(TreeValue.of(false).asString()).isEqualTo("false");
        assertThat(TreeValue.of(-9L).asDouble()).isEqualTo(-9.0);
        assertThatThrownBy(() -> TreeValue.of(1.5).asBoolean()).hasMessage("value is DOUBLE, not BOOL: 1.5");
    }
}
