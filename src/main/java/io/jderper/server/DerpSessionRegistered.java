package io.jderper.server;

/**
 * Fired through the whole pipeline, from its head, once a DERP connection has registered (ServerInfo sent): handlers
 * that guard the set-up phase (deadlines, per-IP slots) see it and stand down.
 */
public enum DerpSessionRegistered {
    INSTANCE
}
