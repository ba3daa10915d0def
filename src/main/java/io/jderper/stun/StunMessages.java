package io.jderper.stun;

import io.netty.buffer.ByteBuf;

import java.net.Inet4Address;
import java.net.InetAddress;

/**
 * Classifies STUN datagrams and writes replies, reading the request in place.
 *
 * <p>Classification never allocates and never throws for any content: every read is bounds-checked
 * against the readable bytes first, so the handler can run it on hostile input directly.
 */
final class StunMessages {

    static final int HEADER_LENGTH = 20;
    static final int MAGIC_COOKIE = 0x2112A442;
    static final int BINDING_REQUEST = 0x0001;
    static final int BINDING_SUCCESS = 0x0101;
    static final int BINDING_ERROR = 0x0111;

    static final int ATTR_CHANGE_REQUEST = 0x0003;
    static final int ATTR_ERROR_CODE = 0x0009;
    static final int ATTR_UNKNOWN_ATTRIBUTES = 0x000A;
    static final int ATTR_XOR_MAPPED_ADDRESS = 0x0020;
    static final int ATTR_RESPONSE_PORT = 0x0027;
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
}
