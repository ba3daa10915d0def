package io.jderper.protocol;

/** DERP frame type bytes and protocol constants (derp-protocol.md §5, §6). */
public final class FrameType {
    public static final int SERVER_KEY = 0x01;
    public static final int CLIENT_INFO = 0x02;
    public static final int SERVER_INFO = 0x03;
    public static final int SEND_PACKET = 0x04;
    public static final int RECV_PACKET = 0x05;
    public static final int KEEP_ALIVE = 0x06;
    public static final int NOTE_PREFERRED = 0x07;
    public static final int PEER_GONE = 0x08;
    public static final int PEER_PRESENT = 0x09;
    public static final int FORWARD_PACKET = 0x0A;
    public static final int WATCH_CONNS = 0x10;
    public static final int CLOSE_PEER = 0x11;
    public static final int PING = 0x12;
    public static final int PONG = 0x13;
    public static final int HEALTH = 0x14;
    public static final int RESTARTING = 0x15;

    public static final int HEADER_LENGTH = 5;
    public static final int KEY_LENGTH = 32;
    public static final int MAX_PACKET_SIZE = 64 << 10;
    public static final int MIN_CLIENT_INFO = KEY_LENGTH + 24;
    public static final int MAX_CLIENT_INFO = 256 << 10;
    /** Go clients abort on any larger frame; the server never sends one. */
    public static final int MAX_CLIENT_FRAME = 1 << 20;
    public static final int MAX_PING = 1000;
    public static final int PING_DATA = 8;
    public static final int PROTOCOL_VERSION = 2;

    /** "DERP" followed by the UTF-8 key emoji U+1F511. */
    public static final byte[] MAGIC = {0x44, 0x45, 0x52, 0x50, (byte) 0xF0, (byte) 0x9F, (byte) 0x94, (byte) 0x91};

    private FrameType() {
    }

    /** True for the type bytes this protocol version defines, whether or not a given side acts on them. */
    public static boolean isDefined(int type) {
        return (type >= SERVER_KEY && type <= FORWARD_PACKET) || (type >= WATCH_CONNS && type <= RESTARTING);
    }

    public static String name(int type) {
        return switch (type) {
            case SERVER_KEY -> "ServerKey";
            case CLIENT_INFO -> "ClientInfo";
            case SERVER_INFO -> "ServerInfo";
            case SEND_PACKET -> "SendPacket";
            case RECV_PACKET -> "RecvPacket";
            case KEEP_ALIVE -> "KeepAlive";
            case NOTE_PREFERRED -> "NotePreferred";
            case PEER_GONE -> "PeerGone";
            case PEER_PRESENT -> "PeerPresent";
            case FORWARD_PACKET -> "ForwardPacket";
            case WATCH_CONNS -> "WatchConns";
            case CLOSE_PEER -> "ClosePeer";
            case PING -> "Ping";
            case PONG -> "Pong";
            case HEALTH -> "Health";
            case RESTARTING -> "Restarting";
            default -> String.format("0x%02x", type);
        };
    }
}
