package dev.weir.proxy.relay;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import io.netty.channel.ChannelFuture;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelOutboundBuffer;
import io.netty.channel.ChannelOutboundHandlerAdapter;
import io.netty.channel.ChannelPromise;
import io.netty.channel.embedded.EmbeddedChannel;
import io.netty.channel.socket.ChannelInputShutdownEvent;
import io.netty.channel.socket.DuplexChannel;
import io.netty.util.ReferenceCountUtil;
import io.netty.util.concurrent.Ticker;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.SocketAddress;
import java.nio.channels.ClosedChannelException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;

/**
 * An {@link EmbeddedChannel} standing for one TCP socket, as the relay sees it: inet addresses (Connection reads
 * them), half-close ({@link DuplexChannel}, which Relay and Connection cast to), a peer that can stop taking bytes,
 * and a connect that completes only when the test says so. What reached the peer is kept in order in {@link #wire}:
 * the bytes (adjacent writes joined), {@code FIN} for a shutdownOutput and {@code CLOSE}.
 *
 * <p>Netty's EmbeddedChannel is active as soon as it is registered; a backend socket made by BackendConnector is
 * registered on the client's embedded loop, so both share one loop and one virtual clock, as both share one event
 * loop in the proxy. Everything runs on the test's thread.
 */
final class EmbeddedSocket extends EmbeddedChannel implements DuplexChannel {

    private final InetSocketAddress local;
    private final InetSocketAddress remote;
    /** What the peer received, in order: bytes, "FIN", "CLOSE". */
    final List<String> wire = new ArrayList<>();
    private boolean inputShutdown;
    private boolean outputShutdown;
    /** Messages still queued for the peer when shutdownOutput was called (Netty would fail them); -1 before. */
    int queuedAtFin = -1;
    /** The peer takes nothing: written bytes stay queued (writability follows the watermarks). */
    private boolean stalled;
    /** read() calls that reached the socket: what autoRead and Frontend's pending reads ask for. */
    int readRequests;
    /** The connect Netty would be performing, held until {@link #acceptConnect} or {@link #refuseConnect}. */
    private ChannelPromise pendingConnect;

    EmbeddedSocket(InetSocketAddress local, InetSocketAddress remote) {
        this(local, remote, null);
    }

    /** @param clock the clock of this socket's own loop (null: Netty's); a socket registered on another loop has that one's */
    EmbeddedSocket(InetSocketAddress local, InetSocketAddress remote, Ticker clock) {
        super(EmbeddedChannel.builder().register(false).ticker(clock));
        this.local = local;
        this.remote = remote;
        pipeline().addLast("socket", new ChannelOutboundHandlerAdapter() {
            @Override
            public void read(ChannelHandlerContext ctx) {
                readRequests++;
                ctx.read();
            }

            @Override
            public void connect(ChannelHandlerContext ctx, SocketAddress to, SocketAddress from, ChannelPromise promise) {
                pendingConnect = promise;
            }

            @Override
            public void close(ChannelHandlerContext ctx, ChannelPromise promise) throws Exception {
                // As NIO does: closing a socket that is connecting fails its connect.
                if (pendingConnect != null) {
                    pendingConnect.tryFailure(new ClosedChannelException());
                    pendingConnect = null;
                }
                ctx.close(promise);
            }
        });
    }

    // ---- the peer's side: what arrives on this socket ----

    /** The peer sent {@code text}, read in one batch. Returns the buffer, to check it was released. */
    ByteBuf receive(String text) {
        ByteBuf buf = read(text);
        pipeline().fireChannelReadComplete();
        runPendingTasks();
        return buf;
    }

    /**
     * One read of {@code text}, without the end of the read batch (channelReadComplete). From the pooled allocator,
     * as a socket's reads are: Netty's leak detector tracks those (LeakCheck), not Unpooled.copiedBuffer's.
     */
    ByteBuf read(String text) {
        ByteBuf buf = ByteBufAllocator.DEFAULT.buffer(text.length());
        buf.writeCharSequence(text, StandardCharsets.US_ASCII);
        pipeline().fireChannelRead(buf);
        return buf;
    }

    /** The peer's FIN, as Netty reports it on a channel with ALLOW_HALF_CLOSURE. */
    void receiveFin() {
        inputShutdown = true;
        pipeline().fireUserEventTriggered(ChannelInputShutdownEvent.INSTANCE);
        runPendingTasks();
    }

    /** The peer's RST, as Netty reports a failed read: the exception, then the close. */
    void receiveReset() {
        pipeline().fireExceptionCaught(new IOException("Connection reset by peer"));
        close();
    }

    /** The peer stops taking bytes. */
    void stall() {
        stalled = true;
    }

    /** The peer takes bytes again: what was queued is written. */
    void resume() {
        stalled = false;
        flush();
        runPendingTasks();
    }

    boolean connectPending() {
        return pendingConnect != null;
    }

    void acceptConnect() {
        ChannelPromise p = pendingConnect;
        pendingConnect = null;
        p.setSuccess();
        runPendingTasks();
    }

    void refuseConnect() {
        ChannelPromise p = pendingConnect;
        pendingConnect = null;
        p.setFailure(new java.net.ConnectException("Connection refused"));
        runPendingTasks();
    }

    /** Everything the peer received as text, FIN and CLOSE left out. */
    String received() {
        StringBuilder sb = new StringBuilder();
        for (String s : wire) {
            if (!s.equals("FIN") && !s.equals("CLOSE")) {
                sb.append(s);
            }
        }
        return sb.toString();
    }

    // ---- the socket ----

    @Override
    protected void doWrite(ChannelOutboundBuffer in) throws Exception {
        if (!stalled) {
            super.doWrite(in);
        }
    }

    @Override
    protected void handleOutboundMessage(Object msg) {
        if (msg instanceof ByteBuf buf) {
            if (buf.isReadable()) {
                String text = buf.toString(StandardCharsets.US_ASCII);
                if (outputShutdown) {
                    wire.add("BYTES AFTER FIN: " + text);
                } else if (!wire.isEmpty() && !wire.get(wire.size() - 1).equals("FIN")
                        && !wire.get(wire.size() - 1).equals("CLOSE")) {
                    wire.set(wire.size() - 1, wire.get(wire.size() - 1) + text);
                } else {
                    wire.add(text);
                }
            }
            buf.release(); // the reference doWrite took; the outbound buffer releases its own
        } else {
            ReferenceCountUtil.release(msg);
            wire.add("UNEXPECTED " + msg.getClass().getSimpleName());
        }
    }

    @Override
    protected void doClose() throws Exception {
        wire.add("CLOSE");
        super.doClose();
    }

    @Override
    protected SocketAddress localAddress0() {
        return local;
    }

    @Override
    protected SocketAddress remoteAddress0() {
        return remote;
    }

    @Override
    public boolean isInputShutdown() {
        return inputShutdown;
    }

    @Override
    public ChannelFuture shutdownInput() {
        return shutdownInput(newPromise());
    }

    @Override
    public ChannelFuture shutdownInput(ChannelPromise promise) {
        inputShutdown = true;
        return promise.setSuccess();
    }

    @Override
    public boolean isOutputShutdown() {
        return outputShutdown;
    }

    @Override
    public ChannelFuture shutdownOutput() {
        return shutdownOutput(newPromise());
    }

    @Override
    public ChannelFuture shutdownOutput(ChannelPromise promise) {
        if (!isActive()) {
            return promise.setFailure(new ClosedChannelException());
        }
        // Netty fails what is still queued when the output is shut down: the relay must not leave any.
        ChannelOutboundBuffer out = unsafe().outboundBuffer();
        // size(): flushed entries not yet written. Not totalPendingWriteBytes(), which still counts the entry whose
        // write completion is running this call (Netty decrements it after notifying the promise).
        queuedAtFin = out == null ? 0 : out.size();
        outputShutdown = true;
        wire.add("FIN");
        return promise.setSuccess();
    }

    @Override
    public boolean isShutdown() {
        return inputShutdown && outputShutdown;
    }

    @Override
    public ChannelFuture shutdown() {
        return shutdown(newPromise());
    }

    @Override
    public ChannelFuture shutdown(ChannelPromise promise) {
        shutdownInput();
        return shutdownOutput(promise);
    }
}
