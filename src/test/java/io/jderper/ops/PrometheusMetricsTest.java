package io.jderper.ops;

import io.jderper.client.DerpClientOptions;
import io.jderper.key.NodePrivateKey;
import io.jderper.testsupport.DerpServerTestBase;
import io.jderper.testsupport.TestClient;
import org.junit.jupiter.api.Test;

import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/** /actuator/prometheus on the management port: the derp_* series exist, move with relay traffic, and are documented. */
class PrometheusMetricsTest extends DerpServerTestBase {
    private static final Pattern SAMPLE = Pattern.compile("(?m)^([a-zA-Z_:][a-zA-Z0-9_:]*(?:\\{[^}]*})?) (\\S+)$");
    private static final Pattern TYPE = Pattern.compile("(?m)^# TYPE (\\S+) (\\S+)$");

    private String scrape() throws Exception {
        HttpResponse<String> r = Http.get(managementPort(), "/actuator/prometheus");
        assertThat(r.statusCode()).isEqualTo(200);
        assertThat(r.headers().firstValue("Content-Type").orElse("")).startsWith("text/plain");
        return r.body();
    }

    /** Series (name with labels as printed) to value. */
    private static Map<String, Double> samples(String text) {
        Map<String, Double> out = new HashMap<>();
        Matcher m = SAMPLE.matcher(text);
        while (m.find()) {
            out.put(m.group(1), Double.parseDouble(m.group(2)));
        }
        return out;
    }

    private static double value(Map<String, Double> samples, String series) {
        Double v = samples.get(series);
        assertThat(v).as("series %s", series).isNotNull();
        return v;
    }

    @Test
    void derpSeriesMoveWithRelayTraffic() throws Exception {
        Map<String, Double> before = samples(scrape());
        int packets = 40;
        try (TestClient a = TestClient.connect(derpUrl()); TestClient b = TestClient.connect(derpUrl())) {
            assertThat(value(samples(scrape()), "derp_current_connections"))
                    .isGreaterThanOrEqualTo(value(before, "derp_current_connections") + 2);
            // In small bursts, each awaited, so no burst outgrows a send queue and every packet is delivered.
            for (int i = 0; i < packets; i += 4) {
                for (int j = 0; j < 4; j++) {
                    a.client.send(b.publicKey(), new byte[64]);
                }
                for (int j = 0; j < 4; j++) {
                    b.nextPacket();
                }
            }
            // One to a key nobody holds: an unknown_dest drop.
            a.client.send(NodePrivateKey.generate().publicKey(), new byte[10]);
            await().untilAsserted(() -> {
                Map<String, Double> after = samples(scrape());
                assertThat(value(after, "derp_accepts_total") - value(before, "derp_accepts_total")).isGreaterThanOrEqualTo(2);
                assertThat(value(after, "derp_packets_received_total") - value(before, "derp_packets_received_total"))
                        .isGreaterThanOrEqualTo(packets + 1);
                assertThat(value(after, "derp_packets_sent_total") - value(before, "derp_packets_sent_total"))
                        .isGreaterThanOrEqualTo(packets);
                assertThat(value(after, "derp_bytes_sent_total") - value(before, "derp_bytes_sent_total"))
                        .isGreaterThanOrEqualTo(packets * 64);
                assertThat(value(after, "derp_packets_received_kind_total{kind=\"other\"}")
                        - value(before, "derp_packets_received_kind_total{kind=\"other\"}")).isGreaterThanOrEqualTo(packets + 1);
                assertThat(value(after, "derp_packets_dropped_total{kind=\"other\",reason=\"unknown_dest\"}")
                        - value(before, "derp_packets_dropped_total{kind=\"other\",reason=\"unknown_dest\"}")).isGreaterThanOrEqualTo(1);
                assertThat(value(after, "derp_handshake_duration_seconds_count")
                        - value(before, "derp_handshake_duration_seconds_count")).isGreaterThanOrEqualTo(2);
                // Recorded once per drain: at least one drain, never more drains than packets written.
                double drains = value(after, "derp_send_queue_depth_count") - value(before, "derp_send_queue_depth_count");
                double flushes = value(after, "derp_buffered_write_frames_count") - value(before, "derp_buffered_write_frames_count");
                assertThat(drains).isGreaterThanOrEqualTo(1);
                assertThat(flushes).isBetween(1.0, drains);
                assertThat(value(after, "derp_buffered_write_frames_sum") - value(before, "derp_buffered_write_frames_sum"))
                        .isGreaterThanOrEqualTo(packets);
                assertThat(value(after, "derp_send_queue_depth_bucket{le=\"+Inf\"}"))
                        .isEqualTo(value(after, "derp_send_queue_depth_count"));
            });
        }
        await().untilAsserted(() -> assertThat(value(samples(scrape()), "derp_current_connections"))
                .isEqualTo(value(before, "derp_current_connections")));
    }

    @Test
    void aReconnectingKeyCostsNoSecondKeyExchange() throws Exception {
        NodePrivateKey key = NodePrivateKey.generate();
        Map<String, Double> before = samples(scrape());
        for (int i = 0; i < 3; i++) {
            try (TestClient c = TestClient.connect(derpUrl(), key, DerpClientOptions.defaults())) {
                assertThat(c.client.serverKey()).isNotNull();
            }
        }
        Map<String, Double> after = samples(scrape());
        assertThat(value(after, "derp_accepts_total") - value(before, "derp_accepts_total")).isGreaterThanOrEqualTo(3);
        // The first connection opens its box with a key exchange; the two after it find the box kept.
        assertThat(value(after, "derp_handshake_key_exchanges_total") - value(before, "derp_handshake_key_exchanges_total"))
                .isEqualTo(1.0);
    }

    @Test
    void processGaugesAndJvmSeriesArePresent() throws Exception {
        Map<String, Double> s = samples(scrape());
        assertThat(value(s, "derp_current_file_descriptors")).isPositive();
        assertThat(value(s, "derp_memstats_sys0")).isPositive();
        assertThat(value(s, "derp_clients")).isGreaterThanOrEqualTo(0);
        assertThat(s.keySet()).anyMatch(k -> k.startsWith("jvm_memory_used_bytes"))
                .anyMatch(k -> k.startsWith("process_cpu_usage"))
                .anyMatch(k -> k.startsWith("system_cpu_count"))
                .anyMatch(k -> k.startsWith("disk_free_bytes"))
                .anyMatch(k -> k.startsWith("stun_requests_total{disposition=\"success\"}"));
    }

    @Test
    void everyDerpFamilyIsDocumentedAndEveryDocumentedOneExists() throws Exception {
        String text = scrape();
        Set<String> exported = new TreeSet<>();
        Matcher t = TYPE.matcher(text);
        while (t.find()) {
            String name = t.group(1);
            if (name.startsWith("derp_") && !(name.endsWith("_max") && text.contains("# TYPE "
                    + name.substring(0, name.length() - 4) + " histogram"))) {
                exported.add(name);
            }
        }
        List<String[]> rows = metricsTable();
        Set<String> documented = new TreeSet<>();
        for (String[] row : rows) {
            String name = row[0].replaceAll("\\{.*", "");
            documented.add(name);
            if (!row[3].contains("Appears on first")) {
                assertThat(exported).as("documented series %s on /actuator/prometheus", name).contains(name);
            }
        }
        assertThat(documented).as("derp_* families on /actuator/prometheus missing from the metrics table")
                .containsAll(exported);

        String varz = Http.get(port(), "/debug/varz").body();
        for (String[] row : rows) {
            // Series that appear on first use are checked by their own tests, once something has counted.
            if (!row[1].equals("—") && !row[3].contains("Appears on first")) {
                String name = row[1].replaceAll("\\{.*", "");
                assertThat(varz).as("documented varz series %s", name).containsPattern("(?m)^" + name + "[{ _]");
            }
        }
    }

    /** Rows (prometheus name, varz name, type, meaning) of the table marked "metrics-table" in docs/. */
    static List<String[]> metricsTable() throws Exception {
        Path table;
        try (Stream<Path> docs = Files.list(Path.of("docs"))) {
            table = docs.filter(p -> p.toString().endsWith(".md")).filter(p -> {
                try {
                    return Files.readString(p).contains("<!-- metrics-table");
                } catch (java.io.IOException e) {
                    return false;
                }
            }).findFirst().orElseThrow(() -> new AssertionError("no docs/*.md holds the metrics-table marker"));
        }
        List<String[]> rows = new ArrayList<>();
        List<String> lines = Files.readAllLines(table);
        int start = 0;
        while (!lines.get(start).contains("<!-- metrics-table")) {
            start++;
        }
        // The table that follows the marker, up to the first line that is no longer a table row.
        int i0 = start + 1;
        while (i0 < lines.size() && !lines.get(i0).startsWith("|")) {
            i0++;
        }
        int end = i0;
        while (end < lines.size() && lines.get(end).startsWith("|")) {
            end++;
        }
        for (String line : lines.subList(i0, end)) {
            if (line.startsWith("| `derp_")) {
                String[] cells = line.substring(1, line.length() - 1).split("\\|");
                String[] row = new String[4];
                for (int i = 0; i < 4; i++) {
                    row[i] = cells[i].strip().replace("`", "");
                }
                rows.add(row);
            }
        }
        assertThat(rows).hasSizeGreaterThan(30);
        return rows;
    }
}
