package io.jderper.probe;

import java.util.concurrent.CompletionStage;

/** What a probe does once. */
@FunctionalInterface
public interface ProbeTask {
    /**
     * Starts one attempt. The stage completes normally on success and exceptionally with a readable message on
     * failure. It must not block the calling thread; the prober fails the attempt at {@link ProbeRun#remaining()}.
     */
    CompletionStage<?> start(ProbeRun run) throws Exception;
}
