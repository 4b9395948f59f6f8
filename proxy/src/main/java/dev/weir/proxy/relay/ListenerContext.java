package dev.weir.proxy.relay;

import dev.weir.proxy.backend.BackendPool;
import dev.weir.proxy.backend.connect.BackendConnector;
import dev.weir.proxy.metrics.CloseReason;
import io.netty.channel.Channel;
import java.net.InetAddress;

/**
 * What a client connection's handlers ({@link Frontend}, {@link Connection}, {@link Relay}) may ask of the listener
 * that accepted it, and nothing more. Called on the connection's event loop, from every loop at once.
 */
interface ListenerContext {

    /** A client was accepted: its connection, now live. */
    Connection opened(Channel client);

    /** The access lists and per-client limits; null when the client is admitted. */
    CloseReason admit(Connection conn);

    /** Starts connecting {@code client} to a backend of {@code target} (see BackendConnector). */
    BackendConnector.Attempt connect(Channel client, InetAddress clientIp, BackendPool target, Frontend frontend);

    /** A pool by name (SNI routes name pools); null for an unknown name. */
    BackendPool poolNamed(String name);

    ListenerTelemetry telemetry();

    /** The client channel of {@code conn} closed. */
    void closed(Connection conn);

    /** A client counted by the per-client limits has gone. */
    void release(InetAddress clientIp);
}
