package io.jderper.ops;

import io.jderper.testsupport.DerpServerTestBase;
import io.jderper.testsupport.TestClient;
import jdk.jfr.consumer.RecordedEvent;
import jdk.jfr.consumer.RecordingFile;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashSet;
import java.util.Set;
import java.util.concurrent.CompletableFuture;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * /debug/profile: the JVM's counterpart of the original's /debug/pprof/profile, a Flight Recorder file covering the
 * requested seconds, one at a time, behind the same access rules as every /debug/ page.
 */
class DebugProfileTest extends DerpServerTestBase {
    private final HttpClient http = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();

    private CompletableFuture<HttpResponse<byte[]>> profile(String query) {
        return http.sendAsync(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port() + "/debug/profile" + query))
                .timeout(Duration.ofSeconds(60)).build(), HttpResponse.BodyHandlers.ofByteArray());
    }

    /** Flight Recorder's first start in a JVM can take a while on a busy machine: wait for it, never guess. */
    private static void awaitRecording() {
        org.awaitility.Awaitility.await().atMost(Duration.ofSeconds(30)).until(() -> jdk.jfr.FlightRecorder.getFlightRecorder()
                .getRecordings().stream().anyMatch(r -> r.getName().equals("jderper debug profile")
                        && r.getState() == jdk.jfr.RecordingState.RUNNING));
    }

    @Test
    void aRecordingOfTheRequestedSecondsCoversTheRelayAtWork(@TempDir Path dir) throws Exception {
        CompletableFuture<HttpResponse<byte[]>> pending = profile("?seconds=4");
        awaitRecording();
        // Relay traffic while it records, so the method samples have something to show.
        try (TestClient a = TestClient.connect(derpUrl()); TestClient b = TestClient.connect(derpUrl())) {
            long until = System.nanoTime() + Duration.ofMillis(1500).toNanos();
            while (System.nanoTime() < until) {
                a.client.send(b.publicKey(), new byte[1000]);
                b.nextPacket();
            }
        }
        HttpResponse<byte[]> r = pending.get();
        assertThat(r.statusCode()).isEqualTo(200);
        assertThat(r.headers().firstValue("Content-Type")).hasValue("application/octet-stream");
        assertThat(r.headers().firstValue("Content-Disposition")).get().asString()
                .startsWith("attachment; filename=\"jderper-").endsWith(".jfr\"");

        Path file = Files.write(dir.resolve("profile.jfr"), r.body());
        Set<String> types = new HashSet<>();
        boolean relayInSamples = false;
        try (RecordingFile recording = new RecordingFile(file)) {
            while (recording.hasMoreEvents()) {
                RecordedEvent e = recording.readEvent();
                types.add(e.getEventType().getName());
                if (e.getEventType().getName().equals("jdk.ExecutionSample") && e.getStackTrace() != null) {
                    relayInSamples |= e.getStackTrace().getFrames().stream()
                            .anyMatch(f -> f.getMethod().getType().getName().startsWith("io.jderper."));
                }
            }
        }
        assertThat(types).contains("jdk.JVMInformation", "jdk.ExecutionSample");
        assertThat(relayInSamples).as("method samples inside jderper's own code").isTrue();
    }

    @Test
    void oneProfileAtATimeAndTheDurationIsChecked() throws Exception {
        CompletableFuture<HttpResponse<byte[]>> first = profile("?seconds=5");
        awaitRecording();
        HttpResponse<byte[]> second = profile("?seconds=1").get();
        assertThat(second.statusCode()).isEqualTo(409);
        assertThat(new String(second.body())).isEqualTo("a profile is already being recorded; try again when it ends\n");
        assertThat(first.get().statusCode()).isEqualTo(200);

        for (String bad : new String[] {"?seconds=0", "?seconds=301", "?seconds=abc"}) {
            HttpResponse<byte[]> r = profile(bad).get();
            assertThat(r.statusCode()).as(bad).isEqualTo(400);
            assertThat(new String(r.body())).as(bad).startsWith("seconds must be a whole number from 1 to 300, got \"");
        }
    }

    @Test
    void aCallerThatHangsUpEndsTheRecording() throws Exception {
        try (io.jderper.testsupport.RawHttp conn = new io.jderper.testsupport.RawHttp(port())) {
            conn.write("GET /debug/profile?seconds=120 HTTP/1.1\r\nHost: derp.test\r\n\r\n");
            awaitRecording();
        }
        org.awaitility.Awaitility.await().atMost(Duration.ofSeconds(10)).until(() -> jdk.jfr.FlightRecorder.getFlightRecorder()
                .getRecordings().stream().noneMatch(r -> r.getName().equals("jderper debug profile")));
        assertThat(profile("?seconds=1").get().statusCode()).as("the next profile can start").isEqualTo(200);
    }

    @Test
    void deniedToCallersOutsideTheDebugAllowList() throws Exception {
        HttpResponse<byte[]> r = http.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port() + "/debug/profile?seconds=1"))
                .header("X-Forwarded-For", "203.0.113.7").build(), HttpResponse.BodyHandlers.ofByteArray());
        assertThat(r.statusCode()).isEqualTo(403);
    }
}
