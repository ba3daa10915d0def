package io.jderper.key;

import org.junit.jupiter.api.Test;

import java.nio.charset.StandardCharsets;
import java.util.HexFormat;

import static org.assertj.core.api.Assertions.assertThat;

/** NaCl box against published vectors: the NaCl distribution's box test and the DERP spec's worked example (§14). */
class NaclBoxTest {
    private static final HexFormat HEX = HexFormat.of();

    @Test
    void naclDistributionBoxVector() {
        // tests/box.c of NaCl (also in libsodium's test/default/box.c): Alice's secret key, Bob's public key.
        byte[] aliceSk = HEX.parseHex("77076d0a7318a57d3c16c17251b26645df4c2f87ebc0992ab177fba51db92c2a");
        byte[] bobPk = HEX.parseHex("de9edb7d7b7dc1b4d35b61c2ece435373f8343c85b78674dadfc7e146f882b4f");
        NaclBox box = NaclBox.between(NodePrivateKey.fromBytes(aliceSk), NodePublicKey.fromBytes(bobPk));
        assertThat(HEX.formatHex(box.sharedKey()))
                .isEqualTo("1b27556473e985d462cd51197a9a46c76009549eac6474f206c4ee0844f68389");
        byte[] nonce = HEX.parseHex("69696ee955b62b73cd62bda875fc73d68219e0036b7a0b37");
        byte[] m = HEX.parseHex("be075fc53c81f2d5cf141316ebeb0c7b5228c52a4c62cbd44b66849b64244ffc"
                + "e5ecbaaf33bd751a1ac728d45e6c61296cdc3c01233561f41db66cce314adb31"
                + "0e3be8250c46f06dceea3a7fa1348057e2f6556ad6b1318a024a838f21af1fde"
                + "048977eb48f59ffd4924ca1c60902e52f0a089bc76897040e082f93776384864"
                + "5e0705");
        byte[] sealed = box.seal(nonce, m);
        // The published ciphertext, prefixed by its 16-byte authenticator.
        assertThat(HEX.formatHex(sealed, NaclBox.NONCE_LENGTH, sealed.length)).isEqualTo(
                "f3ffc7703f9400e52a7dfb4b3d3305d9"
                        + "8e993b9f48681273c29650ba32fc76ce48332ea7164d96a4476fb8c531a1186a"
                        + "c0dfc17c98dce87b4da7f011ec48c97271d2c20f9b928fe2270d6fb863d51738"
                        + "b48eeee314a7cc8ab932164548e526ae90224368517acfeabd6bb3732bc0e9da"
                        + "99832b61ca01b6de56244a9e88d5f9b37973f622a43d14a6599b1f654cb45a74"
                        + "e355a5");
        assertThat(box.open(sealed)).hasValueSatisfying(p -> assertThat(p).isEqualTo(m));
    }

    @Test
    void derpSpecWorkedExample() {
        NodePrivateKey server = NodePrivateKey.parse("privkey:0002030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f60");
        NodePrivateKey client = NodePrivateKey.parse("privkey:4042434445464748494a4b4c4d4e4f505152535455565758595a5b5c5d5e5f60");
        assertThat(server.publicKey().toHex()).isEqualTo("07a37cbc142093c8b755dc1b10e86cb426374ad16aa853ed0bdfc0b2b86d1c7c");
        assertThat(client.publicKey().toHex()).isEqualTo("64b101b1d0be5a8704bd078f9895001fc03e8e9f9522f188dd128d9846d48466");
        assertThat(HEX.formatHex(client.sharedSecret(server.publicKey())))
                .isEqualTo("26c2c17fdb82161cb21ad16e721315355b64d1763119b10bfc962530dc7cc163");
        NaclBox fromClient = NaclBox.between(client, server.publicKey());
        NaclBox fromServer = NaclBox.between(server, client.publicKey());
        assertThat(HEX.formatHex(fromClient.sharedKey()))
                .isEqualTo("f8d48c0771b2fab0580110626883f7671e7d0001a6823f3ad9e93d8ef177e8fc")
                .isEqualTo(HEX.formatHex(fromServer.sharedKey()));

        byte[] clientInfo = fromClient.seal(HEX.parseHex("a0a1a2a3a4a5a6a7a8a9aaabacadaeafb0b1b2b3b4b5b6b7"),
                "{\"version\":2,\"CanAckPings\":true}".getBytes(StandardCharsets.UTF_8));
        assertThat(HEX.formatHex(clientInfo)).isEqualTo("a0a1a2a3a4a5a6a7a8a9aaabacadaeafb0b1b2b3b4b5b6b7"
                + "6cffec82736cd2129b825def91dab6667dfbbfe74feceee2842379acdf7acb5bb387740e0e27b6d3d9ab25945f3ffc3f");
        byte[] serverInfo = fromServer.seal(HEX.parseHex("c0c1c2c3c4c5c6c7c8c9cacbcccdcecfd0d1d2d3d4d5d6d7"),
                "{\"version\":2}".getBytes(StandardCharsets.UTF_8));
        assertThat(HEX.formatHex(serverInfo)).isEqualTo("c0c1c2c3c4c5c6c7c8c9cacbcccdcecfd0d1d2d3d4d5d6d7"
                + "19e6b9c203327451f267124ec8d07d84d62c7c1b97f1bb18cbbfe8b602");
    }

    @Test
    void tamperedOrMisaddressedBoxesDoNotOpen() {
        NodePrivateKey a = NodePrivateKey.generate();
        NodePrivateKey b = NodePrivateKey.generate();
        byte[] sealed = NaclBox.between(a, b.publicKey()).seal("hello".getBytes(StandardCharsets.UTF_8));
        byte[] flipped = sealed.clone();
        flipped[flipped.length - 1] ^= 1;
        assertThat(NaclBox.between(b, a.publicKey()).open(flipped)).isEmpty();
        assertThat(NaclBox.between(NodePrivateKey.generate(), a.publicKey()).open(sealed)).isEmpty();
        assertThat(NaclBox.between(b, a.publicKey()).open(new byte[39])).isEmpty();
        assertThat(NaclBox.between(b, a.publicKey()).open(sealed)).isPresent();
    }

    @Test
    void generatedKeysAreClampedAndTextRoundTrips() {
        NodePrivateKey k = NodePrivateKey.generate();
        byte[] raw = HEX.parseHex(k.toText().substring("privkey:".length()));
        assertThat(raw[0] & 7).isZero();
        assertThat(raw[31] & 0x80).isZero();
        assertThat(raw[31] & 0x40).isEqualTo(0x40);
        assertThat(NodePrivateKey.parse(k.toText().toUpperCase().replace("PRIVKEY:", "privkey:"))).isEqualTo(k);
        assertThat(NodePublicKey.parse(k.publicKey().toString())).isEqualTo(k.publicKey());
        assertThat(k.publicKey().shortString()).hasSize(7).startsWith("[").endsWith("]");
    }

    @Test
    void aPrivateKeyRemembersTheBoxOfItsLastPeerOnly() {
        NodePrivateKey client = NodePrivateKey.generate();
        NodePrivateKey server = NodePrivateKey.generate();
        NodePrivateKey other = NodePrivateKey.generate();

        NaclBox first = client.boxWith(server.publicKey());
        assertThat(client.boxWith(server.publicKey())).isSameAs(first);
        // The remembered box is the real one: the server opens what it seals.
        byte[] sealed = first.seal("hello".getBytes(StandardCharsets.UTF_8));
        assertThat(NaclBox.between(server, client.publicKey()).open(sealed))
                .hasValueSatisfying(p -> assertThat(new String(p, StandardCharsets.UTF_8)).isEqualTo("hello"));

        NaclBox toOther = client.boxWith(other.publicKey());
        assertThat(toOther.sharedKey()).isNotEqualTo(first.sharedKey())
                .isEqualTo(NaclBox.between(client, other.publicKey()).sharedKey());
        assertThat(client.boxWith(server.publicKey())).isNotSameAs(first)
                .satisfies(b -> assertThat(b.sharedKey()).isEqualTo(first.sharedKey()));
    }
}
