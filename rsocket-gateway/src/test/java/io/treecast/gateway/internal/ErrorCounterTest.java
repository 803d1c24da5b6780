package io.treecast.gateway.internal;

import io.treecast.fastpath.ErrorCode;
import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;

class ErrorCounterTest {
    @Test
    void theCodeIsReadFromTheWireMessageAndTransportErrorsAreNotCounted() {
        assertThat(ErrorCounter.codeOf("SLOW_CONSUMER: subscription 3 to 'a/**' ended; last seq 9")).isEqualTo(ErrorCode.SLOW_CONSUMER);
        assertThat(ErrorCounter.codeOf("INVALID_PATH: empty segment")).isEqualTo(ErrorCode.INVALID_PATH);
        assertThat(ErrorCounter.codeOf("INTERNAL: the server failed on this request")).isEqualTo(ErrorCode.INTERNAL);
        assertThat(ErrorCounter.codeOf("Connection reset by peer")).isNull();
        assertThat(ErrorCounter.codeOf("NOT_A_CODE: x")).isNull();
        assertThat(ErrorCounter.codeOf(null)).isNull();
    }
}
