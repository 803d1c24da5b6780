package io.treecast.durability.internal;

import io.treecast.proto.LeafRecord;
import io.treecast.proto.Value;
import io.treecast.proto.Watermark;
import org.junit.jupiter.api.Test;

import java.nio.charset.StandardCharsets;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class RecordCodecTest {
    private static final byte[] TREE = "prices".getBytes(StandardCharsets.UTF_8);

    @Test
    void leafRecordIsReadableWithTheGeneratedSchemaAndCarriesTheValueUnchanged() throws Exception {
        Value v = Value.newBuilder().setDoubleValue(1.0842).build();
        byte[] rec = RecordCodec.leafRecord(v.toByteArray(), 123_456_789_012L, 1_700_000_000_000_000L, TREE);

        LeafRecord parsed = LeafRecord.parseFrom(rec);
        assertThat(parsed.getValue()).isEqualTo(v);
        assertThat(parsed.getSeq()).isEqualTo(123_456_789_012L);
        assertThat(parsed.getTimeMicros()).isEqualTo(1_700_000_000_000_000L);
        assertThat(parsed.getTree()).isEqualTo("prices");
    }

    @Test
    void decodeReturnsTheRawValueBytesAndSeqOfARecordWrittenByTheGeneratedCode() {
        Value v = Value.newBuilder().setStringValue("héllo").build();
        byte[] rec = LeafRecord.newBuilder().setValue(v).setSeq(42).setTimeMicros(7).setTree("t").build().toByteArray();

        RecordCodec.DecodedLeaf d = RecordCodec.decodeLeaf(rec, new RecordCodec.DecodedLeaf());
        assertThat(d.value).isEqualTo(v.toByteArray());
        assertThat(d.seq).isEqualTo(42);
    }

    @Test
    void emptyValueRoundTrips() {
        byte[] rec = RecordCodec.leafRecord(new byte[0], 1, 0, TREE);
        RecordCodec.DecodedLeaf d = RecordCodec.decodeLeaf(rec, new RecordCodec.DecodedLeaf());
        assertThat(d.value).isEmpty();
        assertThat(d.seq).isEqualTo(1);
    }

    @Test
    void garbageIsReportedAsNotALeafRecord() {
        assertThatThrownBy(() -> RecordCodec.decodeLeaf(new byte[]{0x0A, 0x7F}, new RecordCodec.DecodedLeaf()))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("not a treecast.v1.LeafRecord");
    }

    @Test
    void seqHeaderIsEightBytesBigEndian() {
        byte[] h = RecordCodec.seqHeader(0x0102030405060708L);
        assertThat(h).containsExactly(1, 2, 3, 4, 5, 6, 7, 8);
        assertThat(RecordCodec.readSeqHeader(h)).isEqualTo(0x0102030405060708L);
        assertThat(RecordCodec.readSeqHeader(new byte[3])).isEqualTo(-1);
        assertThat(RecordCodec.readSeqHeader(null)).isEqualTo(-1);
    }

    @Test
    void watermarkKeyStartsWithNulSoItNeverCollidesWithAPath() throws Exception {
        byte[] key = RecordCodec.watermarkKey("prices", 3);
        assertThat(new String(key, StandardCharsets.UTF_8)).isEqualTo("\u0000treecast.hwm/prices/3");
        assertThat(Watermark.parseFrom(RecordCodec.watermark(99, "prices")).getSeq()).isEqualTo(99);
    }
}
