package io.treecast.bench.load;

import com.sun.net.httpserver.HttpServer;
import org.junit.jupiter.api.Test;

import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.Map;
import java.util.concurrent.atomic.AtomicReference;

import static org.assertj.core.api.Assertions.assertThat;

class ServerRefusalsTest {

    @Test
    void addsTheConnectionsAndTheWritersRefusalsOutOfPrometheusText() {
        String text = "# HELP treecast_gateway_rejected_without_answer_total Fire-and-forget publishes refused\n"
                + "# TYPE treecast_gateway_rejected_without_answer_total counter\n"
                + "treecast_gateway_rejected_without_answer_total_other 9.0\n"
                + "treecast_gateway_rejected_without_answer_total 1234.0\n"
                + "# HELP treecast_engine_batches_rejected_total Batches refused on the writer\n"
                + "treecast_engine_batches_rejected_total 66.0\n";
        assertThat(ServerRefusals.parse(text)).isEqualTo(1300);
        assertThat(ServerRefusals.parse("treecast_engine_batches_rejected_total 5.0\n")).as("one of them").isEqualTo(5);
        assertThat(ServerRefusals.parse("treecast_gateway_errors_total{code=\"OVERLOADED\"} 3.0\n")).isEqualTo(-1);
    }

    @Test
    void countsFromALiveMetricsEndpointAndIsUnknownWithoutOne() throws Exception {
        AtomicReference<String> body = new AtomicReference<>("treecast_gateway_rejected_without_answer_total 7.0\n");
        HttpServer http = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0);
        http.createContext("/metrics", x -> {
            byte[] b = body.get().getBytes(StandardCharsets.UTF_8);
            x.sendResponseHeaders(200, b.length);
            x.getResponseBody().write(b);
            x.close();
        });
        http.start();
        String url = "http://127.0.0.1:" + http.getAddress().getPort();
        try {
            assertThat(ServerRefusals.at(url).count()).isEqualTo(7);
            body.set("treecast_gateway_rejected_without_answer_total 19.0\n");
            assertThat(ServerRefusals.at(url + "/metrics").count()).as("the URL may name /metrics itself").isEqualTo(19);
            body.set("#".repeat(ServerRefusals.MAX_BODY_BYTES) + "\ntreecast_gateway_rejected_without_answer_total 23.0\n");
            assertThat(ServerRefusals.at(url).count()).as("a page past the bound is not read whole: unknown").isEqualTo(-1);
        } finally {
            http.stop(0);
        }
        assertThat(ServerRefusals.at(url).count()).as("nothing listens there any more").isEqualTo(-1);
        assertThat(ServerRefusals.at(null).count()).isEqualTo(-1);
        assertThat(ServerRefusals.at("").count()).isEqualTo(-1);
    }

    @Test
    void aRunReportsTheRefusalsInTextAndJsonAndNullWhenNotKnown() {
        RunResult r = new RunResult("tcp", 1000, 1, 1000, 1000, 600, 400, 0, 0, 0, 10, 20, 30, 40, 50, 600,
                Map.of(), Map.of(), 0);
        assertThat(r.refusedByServer()).isEqualTo(-1);
        assertThat(r.toJson()).endsWith(",\"refusedByServer\":null}");
        assertThat(r.toText()).doesNotContain("refused by the server");
        RunResult known = r.withRefusedByServer(400);
        assertThat(known.toJson()).endsWith(",\"refusedByServer\":400}");
        assertThat(known.toText()).contains(" | refused by the server: 400 publishes");
    }
}
