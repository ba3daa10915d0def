package io.jderper.key;

import io.jderper.BenchmarkDefaults;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;

import java.nio.charset.StandardCharsets;
import java.util.Optional;
import java.util.concurrent.TimeUnit;

/**
 * The handshake's cryptography: the box between two keys (X25519 + HSalsa20, once per connection) and sealing /
 * opening a ClientInfo-sized JSON document.
 */
@State(Scope.Thread)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
public class NaclBoxBenchmark extends BenchmarkDefaults {
    NodePrivateKey server;
    byte[] serverRaw;
    NodePublicKey client;
    NaclBox box;
    byte[] plaintext;
    byte[] sealed;

    @Setup
    public void setup() {
        server = NodePrivateKey.generate();
        serverRaw = java.util.HexFormat.of().parseHex(server.toText().substring(NodePrivateKey.TEXT_PREFIX.length()));
        NodePrivateKey c = NodePrivateKey.generate();
        client = c.publicKey();
        box = NaclBox.between(server, client);
        plaintext = "{\"version\":2,\"meshKey\":\"\",\"CanAckPings\":true,\"IsProber\":false}".getBytes(StandardCharsets.UTF_8);
        sealed = box.seal(plaintext);
    }

    /** The JDK's own X25519 (SunEC), key objects built per call as a handshake would, for comparison. */
    @Benchmark
    public byte[] x25519Jdk() throws Exception {
        java.security.KeyFactory kf = java.security.KeyFactory.getInstance("X25519");
        java.security.PrivateKey priv = kf.generatePrivate(new java.security.spec.XECPrivateKeySpec(
                java.security.spec.NamedParameterSpec.X25519, serverRaw));
        byte[] le = client.toBytes();
        byte[] be = new byte[32];
        for (int i = 0; i < 32; i++) {
            be[i] = le[31 - i];
        }
        be[0] &= 0x7f;
        java.security.PublicKey pub = kf.generatePublic(new java.security.spec.XECPublicKeySpec(
                java.security.spec.NamedParameterSpec.X25519, new java.math.BigInteger(1, be)));
        javax.crypto.KeyAgreement ka = javax.crypto.KeyAgreement.getInstance("X25519");
        ka.init(priv);
        ka.doPhase(pub, true);
        return ka.generateSecret();
    }

    @Benchmark
    public byte[] x25519Bc() {
        return server.sharedSecret(client);
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
