package io.jderper.admission;

import io.jderper.key.NodePublicKey;
import io.jderper.server.ClientAdmission;
import reactor.core.publisher.Mono;

import java.net.InetSocketAddress;

/** One verification rule. The Mono always completes with a decision: failures are decisions too. */
interface AdmissionCheck {
    Mono<ClientAdmission.Decision> check(NodePublicKey key, InetSocketAddress remote);
}
