package io.treecast.gateway;

import org.junit.jupiter.api.Test;

import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** The metrics.* and logging.level keys: defaults, environment names and validation like every other key. */
class MetricsConfigTest {

    @Test
    void defaultsServeMetricsOnLoopbackPort9464() {
        ServerConfig c = ServerConfig.defaults();
        assertThat(c.metricsEnabled()).isTrue();
        assertThat(c.metricsHost()).isEqualTo("127.0.0.1");
        assertThat(c.metricsPort()).isEqualTo(9464);
        assertThat(c.metricsReadyDegradedBudgetMillis()).isEqualTo(30_000);
        assertThat(c.loggingLevel()).isEqualTo("info");
    }

    @Test
    void environmentVariablesSetTheMetricsAndLoggingKeys() {
        ServerConfig c = ServerConfig.load(null, Map.of("TREECAST_METRICS_HOST", "0.0.0.0", "TREECAST_METRICS_PORT", "0",
                "TREECAST_METRICS_ENABLED", "false", "TREECAST_LOGGING_LEVEL", "DEBUG",
                "TREECAST_METRICS_READY_DEGRADED_BUDGET_MS", "1000"), Map.of());
        assertThat(c.metricsHost()).isEqualTo("0.0.0.0");
        assertThat(c.metricsPort()).isZero();
        assertThat(c.metricsEnabled()).isFalse();
        assertThat(c.loggingLevel()).isEqualTo("debug");
        assertThat(c.metricsReadyDegradedBudgetMillis()).isEqualTo(1000);
        assertThat(c.sourceOf("metrics.port")).isEqualTo("environment variable TREECAST_METRICS_PORT");
    }

    @Test
    void badValuesNameTheKeyAndWhatIsAllowed() {
        assertThatThrownBy(() -> ServerConfig.builder().set("metrics.port", "70000").build())
                .isInstanceOf(ConfigException.class)
                .hasMessage("metrics.port = \"70000\" from code: must be an integer 0..65535 (0 = any free port)");
        assertThatThrownBy(() -> ServerConfig.builder().set("logging.level", "loud").build())
                .isInstanceOf(ConfigException.class)
                .hasMessage("logging.level = \"loud\" from code: must be one of error, warn, info, debug, trace");
    }
}
