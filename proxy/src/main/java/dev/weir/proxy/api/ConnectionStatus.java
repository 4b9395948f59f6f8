package dev.weir.proxy.api;

import dev.weir.proxy.metrics.AccessLog;
import java.net.InetSocketAddress;

/**
 * One live client connection as an operator sees it (the admin API serializes this), read on the connection's own
 * event loop at one instant.
 *
 * @param client           the real client: the peer, or the source a trusted PROXY header named
 * @param destination      what the client connected to: the listener's address, or the PROXY header's destination
 * @param pool             the listener's pool, or the one SNI chose
 * @param backend          the backend's id; null until connected
 * @param startedAtMillis  when it was accepted (epoch millis)
 * @param bytesFromClient  read from the client and passed on so far
 * @param bytesFromBackend read from the backend and passed to the client so far
 * @param tls              the session, when the listener terminated TLS and the handshake succeeded; null otherwise
 */
public record ConnectionStatus(
        InetSocketAddress client,
        InetSocketAddress destination,
        State state,
        String pool,
        String backend,
        long startedAtMillis,
        long ageMillis,
        long bytesFromClient,
        long bytesFromBackend,
        AccessLog.Tls tls) {

    /** Where a connection is in its life, in order. */
    public enum State {
        /** Waiting for a PROXY header or the ClientHello an SNI route needs. */
        OPENING,
        /** The client's TLS handshake (a terminating listener). */
        HANDSHAKING,
        /** Connecting to a backend (admitted; nothing relayed yet). */
        CONNECTING,
        /** Relaying both ways. */
        RELAYING,
        /** One side sent its FIN; the other way still flows. */
        HALF_CLOSED,
        /** Relaying to a backend that drains: it ends by itself or at the pool's drain-timeout. */
        DRAINING
    }
}
