package dev.weir.proxy.transport;

import io.netty.channel.Channel;
import io.netty.channel.ChannelFuture;
import io.netty.channel.ChannelOutboundBuffer;
import io.netty.channel.ChannelPromise;
import io.netty.channel.epoll.EpollSocketChannel;
import io.netty.channel.socket.DuplexChannel;
import io.netty.channel.socket.nio.NioSocketChannel;
import io.netty.channel.unix.Socket;
import io.netty.handler.ssl.SslHandler;
import java.io.IOException;
import java.lang.invoke.MethodHandle;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.MethodType;
import java.nio.channels.ClosedChannelException;
import java.nio.channels.SocketChannel;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Half-closes and closes a relayed socket without the Throwables Netty 4.2.18 builds for each, used or not.
 *
 * <ul>
 * <li>{@code AbstractUnsafe.shutdownOutput} builds a {@code ChannelOutputShutdownException}, stack trace and all, for
 * the writes it would fail, even when none is queued. {@link #shutdownOutput} calls the socket's own
 * {@code shutdown(SHUT_WR)} instead (epoll: Netty's {@link Socket}; NIO: the JDK's channel), once nothing
 * is queued. Netty's output buffer stays open: a write after it fails at the socket (EPIPE), as a write after a
 * FIN must.</li>
 * <li>{@code AbstractUnsafe.close(ChannelPromise)} builds a {@code StacklessClosedChannelException} on every call,
 * even on a closed channel, to fail the writes still queued. {@link #close} closes an open channel with nothing
 * queued through {@code close(promise, cause, closeCause)}, the method it delegates to, with one exception built
 * once, which Netty reads only to fail queued writes, so never here; a channel with writes queued is closed the
 * usual way, and those writes get their own exception.</li>
 * </ul>
 * io_uring keeps Netty's calls (see {@link #quiet}); so does any channel where this Netty lacks the hooks (logged once).
 *
 * <p>Thread rule: call on the channel's event loop (other threads fall back to Netty's calls, which hop there).
 */
public final class QuietEnds {

    private static final Logger log = LoggerFactory.getLogger(QuietEnds.class);
    /** Netty's {@code AbstractChannel.AbstractUnsafe} (protected), or null. */
    private static final Class<?> UNSAFE = abstractUnsafe();
    private static final MethodHandle CLOSE = UNSAFE == null ? null : handle(UNSAFE, "close",
            MethodType.methodType(void.class, ChannelPromise.class, Throwable.class, ClosedChannelException.class));
    private static final MethodHandle NIO_CHANNEL = handle(NioSocketChannel.class, "javaChannel",
            MethodType.methodType(SocketChannel.class));
    /** Never handed to a promise: {@link #close} takes this path only when nothing is queued. */
    private static final ClosedChannelException UNUSED = new ClosedChannelException();

    private QuietEnds() {
    }

    private static Class<?> abstractUnsafe() {
        try {
            return Class.forName("io.netty.channel.AbstractChannel$AbstractUnsafe");
        } catch (ClassNotFoundException | LinkageError e) {
            log.info("Netty has no AbstractChannel.AbstractUnsafe here ({}): each close builds an exception", e.toString());
            return null;
        }
    }

    private static MethodHandle handle(Class<?> owner, String name, MethodType type) {
        try {
            MethodHandle h = MethodHandles.privateLookupIn(owner, MethodHandles.lookup()).findVirtual(owner, name, type);
            return h.asType(h.type().changeParameterType(0, Object.class));
        } catch (ReflectiveOperationException | RuntimeException | LinkageError e) {
            log.info("Netty's {} has no {}{} here ({}): its own calls are used, which build an exception each",
                    owner.getSimpleName(), name, type, e.toString());
            return null;
        }
    }

    /**
     * Whether {@code ch} is ended quietly here: epoll and NIO. io_uring's channel keeps work of its own in both calls
     * (a close delayed while operations are in flight, buffers retained for in-flight writes), so it keeps Netty's.
     */
    public static boolean quiet(Channel ch) {
        return ch instanceof EpollSocketChannel || ch instanceof NioSocketChannel;
    }

    /**
     * Sends {@code ch}'s FIN: shuts down its output, which must have nothing queued (wait for the last write first).
     * False when the socket refused (the caller closes the connection).
     */
    public static boolean shutdownOutput(Channel ch) {
        if (ch.eventLoop().inEventLoop()) {
            try {
                if (ch instanceof EpollSocketChannel epoll && epoll.fd() instanceof Socket socket) {
                    socket.shutdown(false, true);
                    return true;
                }
                if (ch instanceof NioSocketChannel && NIO_CHANNEL != null) {
                    ((SocketChannel) NIO_CHANNEL.invoke((Object) ch)).shutdownOutput();
                    return true;
                }
            } catch (IOException | RuntimeException e) {
                return false; // reset or closed meanwhile (ENOTCONN is a NotYetConnectedException)
            } catch (Throwable e) {
                throw new IllegalStateException("shutdownOutput on " + ch, e);
            }
        }
        ChannelFuture shut = ((DuplexChannel) ch).shutdownOutput();
        return !shut.isDone() || shut.isSuccess();
    }

    /**
     * Closes {@code ch}, if open (nothing waits on the call: its close future tells). The quiet path
     * skips the pipeline's outbound handlers, so a channel with TLS (which sends close_notify on close) is closed
     * through its pipeline.
     */
    public static void close(Channel ch) {
        if (!ch.isOpen()) {
            return; // Netty would build its exception only to find the channel closed
        }
        ChannelOutboundBuffer out = ch.unsafe().outboundBuffer();
        if (CLOSE != null && quiet(ch) && ch.eventLoop().inEventLoop() && (out == null || out.totalPendingWriteBytes() == 0)
                && ch.pipeline().get(SslHandler.class) == null && UNSAFE.isInstance(ch.unsafe())) {
            try {
                CLOSE.invoke((Object) ch.unsafe(), ch.voidPromise(), (Throwable) UNUSED, UNUSED);
                return;
            } catch (Throwable e) {
                throw new IllegalStateException("close on " + ch, e);
            }
        }
        ch.close();
    }
}
