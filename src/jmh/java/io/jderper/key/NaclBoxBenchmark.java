package io.jderper.key;

import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.Warmup;

import java.nio.charset.StandardCharsets;
import java.util.Optional;
import java.util.concurrent.TimeUnit;

/**
 * The handshake's cryptography: the box between two keys (X25519 + HSalsa20, once per connection) and sealing /
 * opening a ClientInfo-sized JSON document.
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(value = 1, jvmArgsAppend = "-Dio.netty.leakDetection.level=disabled")
public class NaclBoxBenchmark {
    NodePrivateKey server;
    NodePublicKey client;
    NaclBox box;
    byte[] plaintext;
    byte[] sealed;

    @Setup
    public void setup() {
        server = NodePrivateKey.generate();
        NodePrivateKey c = NodePrivateKey.generate();
        client = c.publicKey();
        box = NaclBox.between(server, client);
        plaintext = "{\"version\":2,\"meshKey\":\"\",\"CanAckPings\":true,\"IsProber\":false}".getBytes(StandardCharsets.UTF_8);
        sealed = box.seal(plaintext);
    }

    @Benchmark
    public NaclBox between() {
        return NaclBox.between(server, client);
    }

    @Benchmark
    public byte[] seal() {
        return box.seal(plaintext);
    }

    @Benchmark
    public Optional<byte[]> open() {
        return box.open(sealed);
    }
}
