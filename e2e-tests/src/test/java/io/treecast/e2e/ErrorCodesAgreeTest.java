package io.treecast.e2e;

import io.treecast.client.TreecastClientException;
import io.treecast.fastpath.ErrorCode;
import org.junit.jupiter.api.Test;

import java.util.Arrays;

import static org.assertj.core.api.Assertions.assertThat;

/** Every code the server can send is one the Java client knows, so no server error reaches an application as UNKNOWN. */
class ErrorCodesAgreeTest {

    @Test
    void everyServerErrorCodeIsAClientCode() {
        for (ErrorCode code : ErrorCode.values()) {
            assertThat(Arrays.stream(TreecastClientException.Code.values()).map(Enum::name))
                    .as("client code for server code %s", code).contains(code.name());
        }
    }
}
