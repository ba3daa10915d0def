package io.jderper.stun;

import io.netty.buffer.ByteBuf;

import java.net.Inet4Address;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.UnknownHostException;
import java.security.SecureRandom;

/**
 * Classifies STUN datagrams and writes replies, reading the request in place.
 *
 * <p>Classification never allocates and never throws for any content: every read is bounds-checked
 * against the readable bytes first, so the handler can run it on hostile input directly.
 *
 * <p>The client side ({@link #bindingRequest}, {@link #parseBindingResponse}) serves the prober and {@code stunc}.
 */
public final class StunMessages {

    static final int HEADER_LENGTH = 20;
    static final int MAGIC_COOKIE = 0x2112A442;
    static final int BINDING_REQUEST = 0x0001;
    static final int BINDING_SUCCESS = 0x0101;
    static final int BINDING_ERROR = 0x0111;

    static final int ATTR_MAPPED_ADDRESS = 0x0001;
    static final int ATTR_CHANGE_REQUEST = 0x0003;
    static final int ATTR_ERROR_CODE = 0x0009;
    static final int ATTR_UNKNOWN_ATTRIBUTES = 0x000A;
    static final int ATTR_XOR_MAPPED_ADDRESS = 0x0020;
    static final int ATTR_RESPONSE_PORT = 0x0027;
    /** The pre-RFC 5389 code point some servers still use for XOR-MAPPED-ADDRESS. */
    static final int ATTR_XOR_MAPPED_ADDRESS_ALT = 0x8020;
    static final int ATTR_SOFTWARE = 0x8022;
    static final int ATTR_FINGERPRINT = 0x8028;

    static final int FINGERPRINT_XOR = 0x5354554E;

    /** "tailnode" as one big-endian long: the SOFTWARE value Tailscale clients send. */
    private static final long TAILNODE = 0x7461696C6E6F6465L;

    // Verdicts. Values >= VERDICT_UNSUPPORTED carry which RFC 5780 attributes we refused in the low bits.
    static final int NOT_STUN = 0;
    static final int BINDING = 1;
    static final int VERDICT_UNSUPPORTED = 0x10;
    static final int UNSUPPORTED_CHANGE_REQUEST = 0x01;
    static final int UNSUPPORTED_RESPONSE_PORT = 0x02;

    static final int IPV4_REPLY_LENGTH = HEADER_LENGTH + 12;
    static final int IPV6_REPLY_LENGTH = HEADER_LENGTH + 24;

    private static final String UNKNOWN_ATTRIBUTE_REASON = "Unknown Attribute";

    private static final int[] CRC_TABLE = new int[256];
    private static final SecureRandom TXID_RANDOM = new SecureRandom();
    public static final int TXID_LENGTH = 12;

    static {
        for (int n = 0; n < 256; n++) {
            int c = n;
            for (int k = 0; k < 8; k++) {
                c = (c & 1) != 0 ? 0xEDB88320 ^ (c >>> 1) : c >>> 1;
            }
            CRC_TABLE[n] = c;
        }
    }

    private StunMessages() {
    }

    /**
     * Decides what to do with one datagram.
     *
     * <p>Tailscale mode (always on) follows the original exactly: Binding request, SOFTWARE "tailnode",
     * last attribute a valid FINGERPRINT; the header length field is not checked. Generic mode adds
     * RFC 5389/8489 Binding requests from any software: the length field must match, FINGERPRINT is
     * optional but must be last and valid when present. CHANGE-REQUEST asking for a change, or
     * RESPONSE-PORT, cannot be honoured from a single socket, so those get a 420 instead of a mapping
     * that an RFC 5780 client would misread.
     *
     * @return {@link #NOT_STUN}, {@link #BINDING}, or {@link #VERDICT_UNSUPPORTED} | attribute bits
     */
    static int classify(ByteBuf buf, boolean genericClients) {
        int start = buf.readerIndex();
        int length = buf.readableBytes();
        if (length < HEADER_LENGTH
                || (buf.getByte(start) & 0xC0) != 0
                || buf.getInt(start + 4) != MAGIC_COOKIE
                || buf.getUnsignedShort(start) != BINDING_REQUEST) {
            return NOT_STUN;
        }
        int end = start + length;
        int pos = start + HEADER_LENGTH;
        boolean tailnode = false;
        int lastType = -1;
        int lastStart = -1;
        int lastLength = -1;
        int fingerprints = 0;
        int unsupported = 0;
        while (pos < end) {
            if (end - pos < 4) {
                return NOT_STUN;
            }
            int type = buf.getUnsignedShort(pos);
            int attrLength = buf.getUnsignedShort(pos + 2);
            int value = pos + 4;
            int padded = (attrLength + 3) & ~3;
            if (padded > end - value) {
                return NOT_STUN;
            }
            switch (type) {
                case ATTR_SOFTWARE -> {
                    if (attrLength == 8 && buf.getLong(value) == TAILNODE) {
                        tailnode = true;
                    }
                }
                case ATTR_FINGERPRINT -> fingerprints++;
                case ATTR_CHANGE_REQUEST -> {
                    // Flags 0 ask for nothing, which a single-address server satisfies trivially.
                    if (attrLength != 4 || (buf.getInt(value) & 0x06) != 0) {
                        unsupported |= UNSUPPORTED_CHANGE_REQUEST;
                    }
                }
                case ATTR_RESPONSE_PORT -> unsupported |= UNSUPPORTED_RESPONSE_PORT;
                default -> {
                }
            }
            lastType = type;
            lastStart = pos;
            lastLength = attrLength;
            pos = value + padded;
        }
        if (!tailnode && !genericClients) {
            return NOT_STUN;
        }
        boolean validFingerprintLast = lastType == ATTR_FINGERPRINT
                && lastLength == 4
                && buf.getInt(lastStart + 4) == (crc32(buf, start, lastStart - start) ^ FINGERPRINT_XOR);
        if (tailnode && validFingerprintLast) {
            return BINDING;
        }
        if (!genericClients) {
            return NOT_STUN;
        }
        int declared = buf.getUnsignedShort(start + 2);
        if (declared != length - HEADER_LENGTH) {
            return NOT_STUN;
        }
        if (fingerprints > 0 && !(fingerprints == 1 && validFingerprintLast)) {
            return NOT_STUN;
        }
        return unsupported == 0 ? BINDING : VERDICT_UNSUPPORTED | unsupported;
    }

    /** CRC-32 (IEEE 802.3), table-driven so it works on any ByteBuf without copying or allocating. */
    static int crc32(ByteBuf buf, int from, int count) {
        int crc = 0xFFFFFFFF;
        for (int i = from, end = from + count; i < end; i++) {
            crc = CRC_TABLE[(crc ^ buf.getByte(i)) & 0xFF] ^ (crc >>> 8);
        }
        return ~crc;
    }

    /**
     * The IPv4 form of a sender, or null for a genuine IPv6 sender. IPv4-mapped IPv6 senders (a dual-stack
     * socket) are un-mapped so IPv4 clients always see family 0x01.
     */
    static byte[] ipv4Of(InetAddress address, byte[] raw) {
        if (address instanceof Inet4Address) {
            return raw;
        }
        for (int i = 0; i < 10; i++) {
            if (raw[i] != 0) {
                return null;
            }
        }
        if ((raw[10] & raw[11] & 0xFF) != 0xFF) {
            return null;
        }
        return new byte[] {raw[12], raw[13], raw[14], raw[15]};
    }

    static int replyLength(int verdict, boolean ipv4) {
        if (verdict == BINDING) {
            return ipv4 ? IPV4_REPLY_LENGTH : IPV6_REPLY_LENGTH;
        }
        return HEADER_LENGTH + errorAttributesLength(verdict);
    }

    /**
     * Binding success with exactly one XOR-MAPPED-ADDRESS attribute, as the original sends.
     *
     * @param addr 4 or 16 address bytes
     */
    static void writeBindingSuccess(ByteBuf out, ByteBuf request, byte[] addr, int port) {
        int req = request.readerIndex();
        out.writeShort(BINDING_SUCCESS);
        out.writeShort(4 + 4 + addr.length);
        out.writeInt(MAGIC_COOKIE);
        out.writeBytes(request, req + 8, 12);
        out.writeShort(ATTR_XOR_MAPPED_ADDRESS);
        out.writeShort(4 + addr.length);
        out.writeByte(0);
        out.writeByte(addr.length == 4 ? 0x01 : 0x02);
        out.writeShort(port ^ (MAGIC_COOKIE >>> 16));
        for (int i = 0; i < addr.length; i++) {
            int key = i < 4 ? (MAGIC_COOKIE >>> (24 - 8 * i)) : request.getByte(req + 8 + i - 4);
            out.writeByte((addr[i] ^ key) & 0xFF);
        }
    }

    /** 420 Unknown Attribute naming the RFC 5780 attributes we cannot honour. */
    static void writeUnknownAttribute(ByteBuf out, ByteBuf request, int verdict) {
        int req = request.readerIndex();
        out.writeShort(BINDING_ERROR);
        out.writeShort(errorAttributesLength(verdict));
        out.writeInt(MAGIC_COOKIE);
        out.writeBytes(request, req + 8, 12);
        int reasonLength = UNKNOWN_ATTRIBUTE_REASON.length();
        out.writeShort(ATTR_ERROR_CODE);
        out.writeShort(4 + reasonLength);
        out.writeShort(0);
        out.writeByte(4);
        out.writeByte(20);
        for (int i = 0; i < reasonLength; i++) {
            out.writeByte(UNKNOWN_ATTRIBUTE_REASON.charAt(i));
        }
        out.writeZero(padding(reasonLength));
        int count = Integer.bitCount(verdict & 0x0F);
        out.writeShort(ATTR_UNKNOWN_ATTRIBUTES);
        out.writeShort(2 * count);
        if ((verdict & UNSUPPORTED_CHANGE_REQUEST) != 0) {
            out.writeShort(ATTR_CHANGE_REQUEST);
        }
        if ((verdict & UNSUPPORTED_RESPONSE_PORT) != 0) {
            out.writeShort(ATTR_RESPONSE_PORT);
        }
        out.writeZero(padding(2 * count));
    }

    private static int errorAttributesLength(int verdict) {
        int reasonLength = UNKNOWN_ATTRIBUTE_REASON.length();
        int count = Integer.bitCount(verdict & 0x0F);
        return 4 + 4 + reasonLength + padding(reasonLength) + 4 + 2 * count + padding(2 * count);
    }

    private static int padding(int length) {
        return (4 - (length & 3)) & 3;
    }

    // ------------------------------------------------------------------ client side (prober, stunc)

    /** A fresh random transaction ID. */
    public static byte[] newTransactionId() {
        byte[] txid = new byte[TXID_LENGTH];
        TXID_RANDOM.nextBytes(txid);
        return txid;
    }

    /**
     * The 40-byte Binding request every Tailscale client sends: SOFTWARE "tailnode" (8 bytes, so no padding) and a
     * trailing FINGERPRINT. jderper's own server, like the original, answers nothing else by default.
     */
    public static byte[] bindingRequest(byte[] txid) {
        if (txid.length != TXID_LENGTH) {
            throw new IllegalArgumentException("a STUN transaction ID has 12 bytes, got " + txid.length);
        }
        java.nio.ByteBuffer b = java.nio.ByteBuffer.allocate(HEADER_LENGTH + 12 + 8);
        b.putShort((short) BINDING_REQUEST);
        b.putShort((short) (12 + 8));
        b.putInt(MAGIC_COOKIE);
        b.put(txid);
        b.putShort((short) ATTR_SOFTWARE);
        b.putShort((short) 8);
        b.putLong(TAILNODE);
        int fingerprint = crc32(io.netty.buffer.Unpooled.wrappedBuffer(b.array()), 0, b.position()) ^ FINGERPRINT_XOR;
        b.putShort((short) ATTR_FINGERPRINT);
        b.putShort((short) 4);
        b.putInt(fingerprint);
        return b.array();
    }

    /** A parsed Binding success response: its transaction ID and the address the server saw us at. */
    public record BindingResponse(byte[] transactionId, InetSocketAddress mappedAddress) {
        public boolean answers(byte[] txid) {
            return java.util.Arrays.equals(transactionId, txid);
        }
    }

    /**
     * Reads a Binding success response the way Tailscale clients do: XOR-MAPPED-ADDRESS (either code point) wins,
     * MAPPED-ADDRESS is the fallback, bytes past the declared length are ignored.
     *
     * @throws IllegalArgumentException saying what is wrong with the datagram
     */
    public static BindingResponse parseBindingResponse(byte[] datagram, int length) {
        if (length < HEADER_LENGTH || (datagram[0] & 0xC0) != 0 || getInt(datagram, 4) != MAGIC_COOKIE) {
            throw new IllegalArgumentException("response is not a STUN packet");
        }
        byte[] txid = java.util.Arrays.copyOfRange(datagram, 8, 8 + TXID_LENGTH);
        if (getShort(datagram, 0) != BINDING_SUCCESS) {
            throw new IllegalArgumentException("STUN packet is not a success response (type 0x"
                    + Integer.toHexString(getShort(datagram, 0)) + ")");
        }
        int declared = getShort(datagram, 2);
        if (declared > length - HEADER_LENGTH) {
            throw new IllegalArgumentException("STUN response has malformed attributes");
        }
        int pos = HEADER_LENGTH;
        int end = HEADER_LENGTH + declared;
        InetSocketAddress xor = null;
        InetSocketAddress plain = null;
        while (pos < end) {
            if (end - pos < 4) {
                throw new IllegalArgumentException("STUN response has malformed attributes");
            }
            int type = getShort(datagram, pos);
            int attrLength = getShort(datagram, pos + 2);
            int value = pos + 4;
            if (((attrLength + 3) & ~3) > end - value) {
                throw new IllegalArgumentException("STUN response has malformed attributes");
            }
            if (type == ATTR_XOR_MAPPED_ADDRESS || type == ATTR_XOR_MAPPED_ADDRESS_ALT) {
                InetSocketAddress a = address(datagram, value, attrLength, txid, true);
                if (a != null) {
                    xor = a;
                }
            } else if (type == ATTR_MAPPED_ADDRESS) {
                InetSocketAddress a = address(datagram, value, attrLength, txid, false);
                if (a != null) {
                    plain = a;
                }
            }
            pos = value + ((attrLength + 3) & ~3);
        }
        InetSocketAddress mapped = xor != null ? xor : plain;
        if (mapped == null) {
            throw new IllegalArgumentException("STUN response carries no mapped address");
        }
        return new BindingResponse(txid, mapped);
    }

    private static InetSocketAddress address(byte[] d, int value, int attrLength, byte[] txid, boolean xored) {
        if (attrLength < 4) {
            throw new IllegalArgumentException("STUN response has malformed attributes");
        }
        int family = d[value + 1] & 0xFF;
        int addrLength = family == 0x01 ? 4 : family == 0x02 ? 16 : 0;
        if (addrLength == 0 || attrLength - 4 < addrLength) {
            throw new IllegalArgumentException("STUN response has malformed attributes");
        }
        int port = getShort(d, value + 2);
        byte[] addr = java.util.Arrays.copyOfRange(d, value + 4, value + 4 + addrLength);
        if (xored) {
            port ^= MAGIC_COOKIE >>> 16;
            for (int i = 0; i < addrLength; i++) {
                int key = i < 4 ? (MAGIC_COOKIE >>> (24 - 8 * i)) & 0xFF : txid[i - 4] & 0xFF;
                addr[i] ^= (byte) key;
            }
        }
        try {
            // The JDK already turns an IPv4-mapped IPv6 address into its IPv4 form, as Go's Unmap does.
            return new InetSocketAddress(InetAddress.getByAddress(addr), port);
        } catch (UnknownHostException e) {
            throw new IllegalStateException(e);
        }
    }

    private static int getShort(byte[] d, int i) {
        return ((d[i] & 0xFF) << 8) | (d[i + 1] & 0xFF);
    }

    private static int getInt(byte[] d, int i) {
        return (getShort(d, i) << 16) | getShort(d, i + 2);
    }
}
