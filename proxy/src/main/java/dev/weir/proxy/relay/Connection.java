package dev.weir.proxy.relay;

import dev.weir.proxy.backend.Backend;
import dev.weir.proxy.backend.BackendPool;
import dev.weir.proxy.backend.LiveConnection;
import dev.weir.proxy.metrics.AccessLog;
import dev.weir.proxy.metrics.CloseReason;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFuture;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelOutboundBuffer;
import io.netty.channel.EventLoop;
import dev.weir.proxy.transport.QuietEnds;
import java.net.InetSocketAddress;

/**
 * One proxied client connection: the client channel, the backend channel once connected, and what
 * the access log and metrics need. Both channels live on the same event loop, so fields are plain:
 * only that thread touches them (the few read from elsewhere are read racily, for status only).
 */
final class Connection implements LiveConnection, ChannelFutureListener {

    private final ListenerContext listener;
    private final Channel client;
    /** The listener's pool, or the one SNI chose. */
    private BackendPool pool;
    /** The real client: the peer, or the source a trusted PROXY header named. */
    private InetSocketAddress clientAddress;
    /** What the client connected to: the listener's address, or the destination a PROXY header named. */
    private InetSocketAddress destination;
    private boolean limited;
    /** The terminated TLS session, once its handshake succeeded (access log); null otherwise. */
    private AccessLog.Tls tls;
    private String tlsError;
    /** The last failed connect try's cause, for the access log of a connection that never got a backend. */
    private String connectError;
    private boolean clientTlsEnded;
    private final long startNanos = System.nanoTime();

    private Channel backendChannel;
    private Backend backend;
    private long connectedNanos;
    private final RelayedBytes bytes;

    private final Ends ends = new Ends(this);
    private CloseReason reason;
    private boolean finished;

    /** idle-timeout, kept by the loop's {@link IdleSweeper}: no read for this long closes both sides. */
    private final long idleNanos;
    /** System.nanoTime() at the end of the last read batch on either socket. */
    private long lastReadNanos;
    /** The links of the loop's {@link IdleSweeper} list, which alone reads and writes them (no node object per connection). */
    Connection idlePrev;
    Connection idleNext;

    Connection(ListenerContext listener, BackendPool pool, Channel client, long idleNanos) {
        this.listener = listener;
        this.pool = pool;
        this.client = client;
        this.clientAddress = (InetSocketAddress) client.remoteAddress();
        this.destination = (InetSocketAddress) client.localAddress();
        this.idleNanos = idleNanos;
        this.lastReadNanos = startNanos;
        this.bytes = new RelayedBytes(listener.telemetry().meters().bytesReceived(),
                listener.telemetry().meters().bytesSent());
    }

    Channel client() {
        return client;
    }

    /** The backend channel; null until connected. */
    Channel backendChannel() {
        return backendChannel;
    }

    /** The backend; null until connected. */
    Backend backend() {
        return backend;
    }

    /** The pool the connection goes to: the listener's, or the one SNI chose. */
    BackendPool pool() {
        return pool;
    }

    /** SNI chose {@code pool} for this client (before any backend was picked). */
    void route(BackendPool pool) {
        this.pool = pool;
    }

    /** The real client: the peer, or the source a trusted PROXY header named. */
    InetSocketAddress clientAddress() {
        return clientAddress;
    }

    /** What the client connected to: the listener's address, or the destination a PROXY header named. */
    InetSocketAddress destination() {
        return destination;
    }

    long startNanos() {
        return startNanos;
    }

    /** System.nanoTime() when the backend connected (meaningful once {@link #backend} is set). */
    long connectedNanos() {
        return connectedNanos;
    }

    /** What the connection relayed each way, and what of it the listener's counters have heard. */
    RelayedBytes bytes() {
        return bytes;
    }

    /** The client's TLS handshake succeeded: what the access log says of the session. */
    void tlsEstablished(AccessLog.Tls session) {
        this.tls = session;
    }

    AccessLog.Tls tls() {
        return tls;
    }

    String tlsError() {
        return tlsError;
    }

    /** The client's close_notify closed its TLS both ways (see {@link CloseNotifyGuard}): nothing more reaches it. */
    void clientTlsEnded(boolean ended) {
        this.clientTlsEnded = ended;
    }

    boolean clientTlsEnded() {
        return clientTlsEnded;
    }

    /** A connect try failed: its cause in words ({@code connection refused}). */
    void connectError(String cause) {
        this.connectError = cause;
    }

    /** The last failed connect try's cause; null when none failed. */
    String connectError() {
        return connectError;
    }

    /** The client's TLS handshake failed: its cause as counted ({@code no_certificate}, {@code timeout}...). */
    void tlsFailed(String kind) {
        this.tlsError = kind;
    }

    ListenerTelemetry telemetry() {
        return listener.telemetry();
    }

    /** The loop both channels live on. */
    EventLoop eventLoop() {
        return client.eventLoop();
    }

    boolean clientOpen() {
        return client.isOpen();
    }

    /** Closes with {@code reason} from another thread (shutdown): hops to the connection's loop. */
    void closeFromElsewhere(CloseReason r) {
        client.eventLoop().execute(() -> close(r));
    }

    /** Waits until the client channel has closed. */
    void awaitClosed() throws InterruptedException {
        client.closeFuture().await();
    }

    /** Waits up to {@code millis} for the client channel to close; true when it has. */
    boolean awaitClosed(long millis) throws InterruptedException {
        return client.closeFuture().await(millis);
    }

    /** The idle-timeout in nanoseconds. */
    long idleNanos() {
        return idleNanos;
    }

    /** True when neither socket read anything for the idle-timeout before {@code nowNanos}. */
    boolean idleAt(long nowNanos) {
        return nowNanos - lastReadNanos >= idleNanos;
    }

    /** A read batch ended on the client or the backend socket: the connection is not idle. */
    void readActivity() {
        lastReadNanos = System.nanoTime();
    }

    /** The client channel closed: this connection is its one close listener (no lambda per connection). */
    @Override
    public void operationComplete(ChannelFuture f) {
        listener.closed(this);
    }

    /** A trusted PROXY header named the real client. */
    void identified(InetSocketAddress client, InetSocketAddress destination) {
        this.clientAddress = client;
        this.destination = destination;
    }

    /** Counted by the per-client limiter: released when the connection ends. */
    void countedPerClient() {
        this.limited = true;
    }

    CloseReason reason() {
        return reason;
    }

    /** Records why the connection is ending; the first reason wins. */
    void reason(CloseReason r) {
        if (reason == null) {
            reason = r;
        }
    }

    /** The backend is connected: from now on the pool can close this connection (drain, down). */
    void attach(Channel backendChannel, Backend backend) {
        this.connectedNanos = System.nanoTime();
        this.backendChannel = backendChannel;
        this.backend = backend;
        backend.register(this);
    }

    @Override
    public void closeDrainTimeout() {
        client.eventLoop().execute(() -> close(CloseReason.DRAIN_TIMEOUT));
    }

    @Override
    public void closeBackendDown() {
        client.eventLoop().execute(() -> close(CloseReason.BACKEND_DOWN));
    }

    /** Closes both sides now with this reason (unless an earlier one was recorded). */
    void close(CloseReason r) {
        reason(r);
        QuietEnds.close(client);
        if (backendChannel != null) {
            QuietEnds.close(backendChannel);
        }
    }

    /** {@code from} sent its FIN: see {@link Ends#forwardFin}. */
    void forwardFin(Channel from) {
        ends.forwardFin(from);
    }

    /** {@code gone} closed or failed: see {@link Ends#peerGone}. */
    void peerGone(Channel gone) {
        ends.peerGone(gone);
    }

    /** Bytes this connection holds in Weir's user-space output queues, both directions. */
    long bufferedBytes() {
        return pending(client) + (backendChannel == null ? 0 : pending(backendChannel));
    }

    private static long pending(Channel ch) {
        ChannelOutboundBuffer out = ch.unsafe().outboundBuffer();
        return out == null ? 0 : out.totalPendingWriteBytes();
    }

    /** Called once, when the client channel has closed: the backend is closed too, then counted and logged. */
    void finish() {
        if (finished) {
            return;
        }
        finished = true;
        if (reason == null) {
            reason = CloseReason.CLIENT_CLOSED;
        }
        if (backendChannel != null) {
            QuietEnds.close(backendChannel);
        }
        if (backend != null) {
            backend.unregister(this);
            backend.connectionEnded();
        }
        if (limited) {
            listener.release(clientAddress.getAddress());
        }
        listener.telemetry().recordClose(this);
    }
}
