package io.jderper.stun;

import java.io.ByteArrayOutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.UnknownHostException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.HexFormat;
import java.util.zip.CRC32;

/** Builds STUN datagrams for tests with the JDK's CRC32, independent of the server's own code. */
final class StunTestMessages {

    static final HexFormat HEX = HexFormat.of();
    static final byte[] EXAMPLE_TXID = HEX.parseHex("0102030405060708090a0b0c");
    /** derper-behaviour.md §13.3. */
    static final String EXAMPLE_REQUEST = "000100142112a4420102030405060708090a0b0c802200087461696c6e6f646580280004b32c370f";
    static final String EXAMPLE_RESPONSE_V4 = "0101000c2112a4420102030405060708090a0b0c00200008000183bbe112a643";
    static final String EXAMPLE_RESPONSE_MAPPED_V6 =
            "010100182112a4420102030405060708090a0b0c00200014000283bb2112a442010203040506f8f7c90a090d";

    private final ByteArrayOutputStream attrs = new ByteArrayOutputStream();
    private int type = 0x0001;
    private int cookie = StunMessages.MAGIC_COOKIE;
    private byte[] txid = EXAMPLE_TXID;
    private Integer lengthOverride;

    static StunTestMessages binding() {
        return new StunTestMessages();
    }

    /** What a Tailscale client sends: SOFTWARE "tailnode" then FINGERPRINT. */
    static byte[] tailscaleRequest(byte[] txid) {
        return binding().txid(txid).software("tailnode").fingerprint().build();
    }

    StunTestMessages type(int t) {
        type = t;
        return this;
    }

    StunTestMessages cookie(int c) {
        cookie = c;
        return this;
    }

    StunTestMessages txid(byte[] t) {
        txid = t;
        return this;
    }

    StunTestMessages length(int declared) {
        lengthOverride = declared;
        return this;
    }

    StunTestMessages attr(int attrType, byte[] value) {
        attrs.write(attrType >> 8);
        attrs.write(attrType);
        attrs.write(value.length >> 8);
        attrs.write(value.length);
        attrs.writeBytes(value);
        for (int i = value.length; (i & 3) != 0; i++) {
            attrs.write(0);
        }
        return this;
    }

    StunTestMessages software(String name) {
        return attr(StunMessages.ATTR_SOFTWARE, name.getBytes(StandardCharsets.UTF_8));
    }

    StunTestMessages changeRequest(int flags) {
        return attr(StunMessages.ATTR_CHANGE_REQUEST, ByteBuffer.allocate(4).putInt(flags).array());
    }

    /** Appends FINGERPRINT computed over everything so far, with the header length covering it. */
    StunTestMessages fingerprint() {
        return fingerprint(0);
    }

    StunTestMessages fingerprint(int xorError) {
        byte[] soFar = build(attrs.size() + 8);
        CRC32 crc = new CRC32();
        crc.update(soFar, 0, soFar.length);
        int fp = (int) crc.getValue() ^ StunMessages.FINGERPRINT_XOR ^ xorError;
        return attr(StunMessages.ATTR_FINGERPRINT, ByteBuffer.allocate(4).putInt(fp).array());
    }

    byte[] build() {
        return build(attrs.size());
    }

    private byte[] build(int declaredLength) {
        ByteBuffer b = ByteBuffer.allocate(20 + attrs.size());
        b.putShort((short) type);
        b.putShort((short) (lengthOverride != null ? lengthOverride : declaredLength));
        b.putInt(cookie);
        b.put(txid);
        b.put(attrs.toByteArray());
        return b.array();
    }

    /** Decodes a Binding success reply holding exactly one XOR-MAPPED-ADDRESS. */
    static InetSocketAddress decodeXorMapped(byte[] reply) throws UnknownHostException {
        ByteBuffer b = ByteBuffer.wrap(reply);
        int family = reply[25] & 0xFF;
        int port = (b.getShort(26) & 0xFFFF) ^ 0x2112;
        byte[] key = new byte[16];
        System.arraycopy(reply, 4, key, 0, 16); // cookie ‖ txid
        byte[] addr = new byte[family == 1 ? 4 : 16];
        for (int i = 0; i < addr.length; i++) {
            addr[i] = (byte) (reply[28 + i] ^ key[i]);
        }
        return new InetSocketAddress(InetAddress.getByAddress(addr), port);
    }

    static byte[] randomTxid() {
        byte[] t = new byte[12];
        new java.security.SecureRandom().nextBytes(t);
        return t;
    }
}
