package io.jderper.server;

import io.jderper.key.NodePrivateKey;
import io.jderper.key.NodePublicKey;

/** The server's key pair: its identity towards clients, in the meta-certificate, and on its own mesh links. */
public record ServerIdentity(NodePrivateKey privateKey) {
    public NodePublicKey publicKey() {
        return privateKey.publicKey();
    }
}
