package dev.weir.proxy.transport;

import dev.weir.proxy.config.TransportKind;
import io.netty.channel.AdaptiveRecvByteBufAllocator;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFactory;
import io.netty.channel.RecvByteBufAllocator;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.IoHandlerFactory;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.ServerChannel;
import io.netty.channel.unix.Socket;
import io.netty.channel.unix.UnixChannel;
import dev.weir.proxy.config.KeepAliveConfig;
import io.netty.bootstrap.Bootstrap;
import io.netty.channel.epoll.Epoll;
import io.netty.channel.epoll.EpollChannelOption;
import io.netty.channel.socket.nio.NioChannelOption;
import io.netty.channel.uring.IoUringChannelOption;
import jdk.net.ExtendedSocketOptions;
import io.netty.channel.epoll.EpollDatagramChannel;
import io.netty.channel.socket.DatagramChannel;
import io.netty.channel.socket.nio.NioDatagramChannel;
import io.netty.channel.uring.IoUringDatagramChannel;
import io.netty.channel.epoll.EpollIoHandler;
import io.netty.channel.epoll.EpollServerSocketChannel;
import io.netty.channel.epoll.EpollSocketChannel;
import io.netty.channel.nio.NioIoHandler;
import io.netty.channel.socket.nio.NioServerSocketChannel;
import io.netty.channel.socket.nio.NioSocketChannel;
import io.netty.channel.uring.IoUring;
import io.netty.channel.uring.IoUringIoHandler;
import io.netty.channel.uring.IoUringServerSocketChannel;
import io.netty.channel.uring.IoUringSocketChannel;
import io.netty.channel.socket.SocketProtocolFamily;
import java.net.Inet6Address;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.channels.spi.SelectorProvider;
import java.util.function.Supplier;

/**
 * A Netty transport: the event-loop I/O handler and the matching channel types. Chosen once at
 * start; channels of one transport only register on loops of the same transport.
 *
 * @param socketChannels makes client sockets by a direct constructor call (Bootstrap's own factory
 *                       would reflect once per connection); throws when the OS gives no socket
 */
public record Transport(
        String name,
        Supplier<IoHandlerFactory> ioHandlerFactory,
        Class<? extends ServerChannel> serverChannel,
        ChannelFactory<? extends Channel> socketChannels,
        Class<? extends DatagramChannel> datagramChannel) {

    /** Thrown when a forced transport cannot run here. The message says why. */
    public static final class UnavailableException extends Exception {
        public UnavailableException(String message) {
            super(message);
        }
    }

    /**
     * The receive-buffer sizer for proxied channels, one per Weir instead of one per channel (Netty's
     * default); each channel still gets its own adaptive handle. Reads start at 2 KiB and grow while
     * they come back full, up to {@code maxRead} (Netty's default stops at 64 KiB).
     */
    public static RecvByteBufAllocator reads(int maxRead) {
        return new AdaptiveRecvByteBufAllocator(64, Math.min(2048, maxRead), maxRead);
    }

    public static final Transport IO_URING = new Transport("io_uring",
            IoUringIoHandler::newFactory, IoUringServerSocketChannel.class, IoUringSocketChannel::new,
            IoUringDatagramChannel.class);
    public static final Transport EPOLL = new Transport("epoll",
            EpollIoHandler::newFactory, EpollServerSocketChannel.class, EpollSocketChannel::new,
            EpollDatagramChannel.class);
    public static final Transport NIO = new Transport("nio",
            NioIoHandler::newFactory, NioServerSocketChannel.class, NioSocketChannel::new,
            NioDatagramChannel.class);

    /**
     * epoll if available, else io_uring, else NIO; a forced kind must be available. epoll first: in
     * bench/RESULTS.md (2026-11-26) it holds less memory per connection than io_uring (2.5 against 2.8 KiB of heap,
     * 5.8 against 6.5 KB allocated per new connection), starts faster (no io_uring probe) and costs the
     * same CPU; and container runtimes often block io_uring, so most deployments run epoll anyway.
     */
    public static Transport choose(TransportKind kind) throws UnavailableException {
        switch (kind) {
            case IO_URING:
                if (!IoUring.isAvailable()) {
                    throw new UnavailableException("transport: io_uring is not available here ("
                            + cause(IoUring.unavailabilityCause()) + ")");
                }
                return IO_URING;
            case EPOLL:
                if (!Epoll.isAvailable()) {
                    throw new UnavailableException("transport: epoll is not available here ("
                            + cause(Epoll.unavailabilityCause()) + ")");
                }
                return EPOLL;
            case NIO:
                return NIO;
            case AUTO:
            default:
                if (Epoll.isAvailable()) {
                    return EPOLL;
                }
                if (IoUring.isAvailable()) {
                    return IO_URING;
                }
                return NIO;
        }
    }

    /**
     * Why the native transports preferred over {@code chosen} were passed over, for the start-up log
     * line. Transports after the chosen one are not probed (probing io_uring loads its native library).
     */
    public static String unavailabilityReport(Transport chosen) {
        StringBuilder sb = new StringBuilder();
        if (chosen == EPOLL) {
            return "";
        }
        if (!Epoll.isAvailable()) {
            sb.append("epoll=\"").append(cause(Epoll.unavailabilityCause())).append('"');
        }
        if (chosen != IO_URING && !IoUring.isAvailable()) {
            sb.append(sb.length() > 0 ? " " : "").append("io_uring=\"").append(cause(IoUring.unavailabilityCause())).append('"');
        }
        return sb.toString();
    }

    private static String cause(Throwable t) {
        if (t == null) {
            return "unknown";
        }
        Throwable root = t;
        while (root.getCause() != null && root.getCause() != root) {
            root = root.getCause();
        }
        String msg = root.getMessage();
        return msg == null ? root.getClass().getSimpleName() : msg;
    }

    /** Every transport that works on this machine, in preference order (tests run relays on each). */
    public static java.util.List<Transport> available() {
        java.util.List<Transport> list = new java.util.ArrayList<>();
        if (Epoll.isAvailable()) {
            list.add(EPOLL);
        }
        if (IoUring.isAvailable()) {
            list.add(IO_URING);
        }
        list.add(NIO);
        return list;
    }

    public EventLoopGroup newGroup(int threads, String threadPrefix) {
        return newGroup(threads, threadPrefix, java.time.Duration.ZERO);
    }

    /**
     * The spin this transport's loops do for a configured {@code event-loop-spin}: epoll only, the other transports
     * have no such hook and block at once (zero).
     */
    public java.time.Duration spin(java.time.Duration configured) {
        return this == EPOLL ? configured : java.time.Duration.ZERO;
    }

    /**
     * Event loops that look for events for up to {@link #spin spin(configured)} before they block (0: block at
     * once; see {@link SpinThenBlock}).
     */
    public EventLoopGroup newGroup(int threads, String threadPrefix, java.time.Duration configured) {
        long spinNanos = spin(configured).toNanos();
        IoHandlerFactory handlers = spinNanos > 0
                ? EpollIoHandler.newFactory(0, () -> new SpinThenBlock(spinNanos, System::nanoTime))
                : ioHandlerFactory.get();
        return new MultiThreadIoEventLoopGroup(threads,
                new io.netty.util.concurrent.DefaultThreadFactory(threadPrefix, false), handlers);
    }

    /**
     * TCP keep-alive timings for an upstream socket on this transport: the native transports'
     * own options, NIO through the JDK's extended socket options. SO_KEEPALIVE itself is set by
     * the caller. The options apply to channels made by {@code b}.
     */
    public void keepAlive(Bootstrap b, KeepAliveConfig ka) {
        int idle = (int) ka.idle().toSeconds();
        int interval = (int) ka.interval().toSeconds();
        if (this == IO_URING) {
            b.option(IoUringChannelOption.TCP_KEEPIDLE, idle)
                    .option(IoUringChannelOption.TCP_KEEPINTVL, interval)
                    .option(IoUringChannelOption.TCP_KEEPCNT, ka.count());
        } else if (this == EPOLL) {
            b.option(EpollChannelOption.TCP_KEEPIDLE, idle)
                    .option(EpollChannelOption.TCP_KEEPINTVL, interval)
                    .option(EpollChannelOption.TCP_KEEPCNT, ka.count());
        } else {
            b.option(NioChannelOption.of(ExtendedSocketOptions.TCP_KEEPIDLE), idle)
                    .option(NioChannelOption.of(ExtendedSocketOptions.TCP_KEEPINTERVAL), interval)
                    .option(NioChannelOption.of(ExtendedSocketOptions.TCP_KEEPCOUNT), ka.count());
        }
    }

    private static final ChannelFactory<Channel> EPOLL_INET = () -> new EpollSocketChannel(SocketProtocolFamily.INET);
    private static final ChannelFactory<Channel> EPOLL_INET6 = () -> new EpollSocketChannel(SocketProtocolFamily.INET6);
    private static final ChannelFactory<Channel> NIO_INET =
            () -> new NioSocketChannel(SelectorProvider.provider(), SocketProtocolFamily.INET);
    private static final ChannelFactory<Channel> NIO_INET6 =
            () -> new NioSocketChannel(SelectorProvider.provider(), SocketProtocolFamily.INET6);

    /**
     * Client sockets for connecting to {@code target}: of its address family where the transport can make one (an
     * AF_INET socket for an IPv4 backend), which saves the {@code setsockopt(IPV6_V6ONLY, 0)} that making a
     * dual-stack AF_INET6 socket costs (Netty's {@code Socket.newSocketStream()} and the JDK alike). io_uring's channel
     * takes no family, so it keeps {@link #socketChannels()}; so does an unresolved address.
     */
    public ChannelFactory<? extends Channel> socketChannels(InetSocketAddress target) {
        InetAddress ip = target.getAddress();
        boolean v6 = ip instanceof Inet6Address;
        if (ip != null && this == EPOLL) {
            return v6 ? EPOLL_INET6 : EPOLL_INET;
        }
        if (ip != null && this == NIO) {
            return v6 ? NIO_INET6 : NIO_INET;
        }
        return socketChannels;
    }

    /**
     * Whether accepted sockets get SO_KEEPALIVE from their listening socket ({@link #keepAliveForAccepted}) rather
     * than each its own setsockopt: Linux copies the listener's socket options into every socket it accepts. NIO
     * cannot: the JDK's server socket refuses SO_KEEPALIVE.
     */
    public boolean acceptedInheritKeepAlive() {
        return this != NIO;
    }

    /**
     * Turns SO_KEEPALIVE on for a listening socket of a native transport before it binds, so that every socket it
     * accepts has it without a syscall of its own (see {@link #acceptedInheritKeepAlive}).
     */
    public void keepAliveForAccepted(Channel server) {
        if (acceptedInheritKeepAlive() && server instanceof UnixChannel unix && unix.fd() instanceof Socket socket) {
            try {
                socket.setKeepAlive(true);
            } catch (java.io.IOException e) {
                throw new io.netty.channel.ChannelException("SO_KEEPALIVE on the listening socket: " + e.getMessage(), e);
            }
        }
    }

    /** SO_REUSEPORT on a server bootstrap, so several sockets can accept on one address. */
    public void reusePort(io.netty.bootstrap.ServerBootstrap b) {
        if (this == IO_URING) {
            b.option(IoUringChannelOption.SO_REUSEPORT, true);
        } else if (this == EPOLL) {
            b.option(EpollChannelOption.SO_REUSEPORT, true);
        } else {
            b.option(NioChannelOption.of(java.net.StandardSocketOptions.SO_REUSEPORT), true);
        }
    }

    @Override
    public String toString() {
        return name;
    }
}
