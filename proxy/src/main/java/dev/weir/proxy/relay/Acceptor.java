package dev.weir.proxy.relay;

import dev.weir.proxy.transport.SocketErrors;
import dev.weir.proxy.transport.Transport;
import io.netty.bootstrap.ServerBootstrap;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFuture;
import io.netty.channel.ChannelHandler;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.ChannelOption;
import io.netty.channel.EventLoop;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.RecvByteBufAllocator;
import io.netty.util.concurrent.EventExecutor;
import java.net.InetSocketAddress;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Supplier;

/**
 * A listener's listening sockets: one per event loop with SO_REUSEPORT, bound with accepting off (a reload's
 * prepare step), then put into use, moved, or closed.
 *
 * <p>Thread rule: the control thread binds, uses and stops; {@link #localAddress} from any thread.
 */
final class Acceptor {

    private final String name;
    private final EventLoopGroup group;
    private final Transport transport;
    private final RecvByteBufAllocator reads;
    private final Supplier<ChannelHandler> limiter;
    private final ChannelHandler child;
    private volatile List<Channel> serverChannels = List.of();

    /**
     * @param limiter a new accept limiter for each server channel (its accept pause is per socket)
     * @param child   sets up each accepted client channel's pipeline
     */
    Acceptor(String name, EventLoopGroup group, Transport transport, RecvByteBufAllocator reads,
             Supplier<ChannelHandler> limiter, ChannelHandler child) {
        this.name = name;
        this.group = group;
        this.transport = transport;
        this.reads = reads;
        this.limiter = limiter;
        this.child = child;
    }

    /**
     * Binds {@code address} without accepting there yet: the sockets listen, clients that come meanwhile wait in the
     * kernel's backlog, and the caller either {@link #use}s them or closes them. Throws with the OS's reason,
     * having closed what it bound.
     */
    List<Channel> bindNew(InetSocketAddress address) throws InterruptedException {
        ServerBootstrap b = new ServerBootstrap()
                .channel(transport.serverChannel())
                .option(ChannelOption.SO_BACKLOG, 4096)
                .option(ChannelOption.SO_REUSEADDR, true)
                .option(ChannelOption.AUTO_READ, false) // accepting starts in use()
                .handler(new ChannelInitializer<>() {
                    @Override
                    protected void initChannel(Channel ch) {
                        transport.keepAliveForAccepted(ch); // before bind: the first accepted socket inherits it
                        ch.pipeline().addLast("limit", limiter.get());
                    }
                })
                // AUTO_READ off is set by ConnectionLimiter, before it asks for read interest in the child's epoll
                // registration: a child option is applied after it, and turning autoRead off clears that interest.
                .childOption(ChannelOption.ALLOW_HALF_CLOSURE, true)
                .childOption(ChannelOption.RCVBUF_ALLOCATOR, reads)
                .childHandler(child);
        if (!transport.acceptedInheritKeepAlive()) {
            b.childOption(ChannelOption.SO_KEEPALIVE, true);
        }
        // SO_REUSEPORT: one accepting socket per event loop, so accepting is spread over the loops
        // instead of funnelled through one thread (the kernel balances new connections between them).
        List<EventLoop> loops = new ArrayList<>();
        for (EventExecutor loop : group) {
            loops.add((EventLoop) loop);
        }
        if (loops.size() > 1) {
            transport.reusePort(b);
        }
        List<Channel> bound = new ArrayList<>();
        InetSocketAddress at = address;
        for (EventLoop loop : loops) {
            // A connection stays on the loop whose socket accepted it (as nginx's and HAProxy's do with
            // reuseport): ServerBootstrap would hand it to the group's next loop, a cross-thread task and wake-up
            // for most connections; the kernel's spread over the sockets is the spread over the loops.
            ChannelFuture f = b.clone().group(loop, loop).bind(at).await();
            if (!f.isSuccess()) {
                bound.forEach(Channel::close); // all of them, even if this thread is interrupted meanwhile
                for (Channel c : bound) {
                    c.closeFuture().awaitUninterruptibly();
                }
                throw new IllegalStateException("listeners." + name + ".bind: cannot bind " + address.getAddress().getHostAddress()
                        + ":" + address.getPort() + ": " + SocketErrors.describe(f.cause()), f.cause());
            }
            bound.add(f.channel());
            // Port 0: the others join the port the first one got.
            at = new InetSocketAddress(address.getAddress(), ((InetSocketAddress) f.channel().localAddress()).getPort());
        }
        return bound;
    }

    /** Accepts on {@code bound} from now on; returns the sockets it accepted on before, for the caller to {@link #close}. */
    List<Channel> use(List<Channel> bound) {
        List<Channel> previous = serverChannels;
        serverChannels = List.copyOf(bound);
        for (Channel c : bound) {
            c.config().setAutoRead(true);
        }
        return previous;
    }

    static void close(List<Channel> sockets) {
        sockets.forEach(Channel::close);
        for (Channel c : sockets) {
            c.closeFuture().awaitUninterruptibly();
        }
    }

    InetSocketAddress localAddress() {
        List<Channel> chs = serverChannels;
        return chs.isEmpty() ? null : (InetSocketAddress) chs.get(0).localAddress();
    }

    /** Stops accepting; live connections go on. */
    void stopAccepting() throws InterruptedException {
        for (Channel ch : serverChannels) {
            ch.close().await();
        }
    }
}
