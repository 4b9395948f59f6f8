package dev.weir.proxy;

import io.netty.bootstrap.ServerBootstrap;
import io.netty.buffer.Unpooled;
import io.netty.channel.Channel;
import io.netty.channel.ChannelException;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.ChannelOption;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.group.ChannelGroup;
import io.netty.channel.group.DefaultChannelGroup;
import io.netty.channel.nio.NioIoHandler;
import io.netty.channel.socket.ChannelInputShutdownEvent;
import io.netty.channel.socket.SocketChannel;
import io.netty.channel.socket.nio.NioServerSocketChannel;
import io.netty.util.concurrent.GlobalEventExecutor;
import java.util.concurrent.TimeUnit;

/**
 * An in-process echo backend that fails as real ones do: {@link #kill()} resets every connection and frees the
 * port (a crashed process), {@link #restart()} listens on the same port again, {@link #pause()} stops reading and
 * accepting (a stopped process: connects still complete in the kernel's backlog, nothing is answered) until
 * {@link #resume()}. It echoes every byte in order and closes once the echo of a half-closed peer is out.
 *
 * <p>Thread rule: the control methods are called from test threads and serialised by this object's monitor; the
 * channels run on the backend's own NIO loop.
 */
final class ChaosBackend implements AutoCloseable {

    private final EventLoopGroup group = new MultiThreadIoEventLoopGroup(1, NioIoHandler.newFactory());
    private final ChannelGroup connections = new DefaultChannelGroup(GlobalEventExecutor.INSTANCE);
    private volatile boolean paused;
    private Channel server;
    private int port;

    static ChaosBackend start() throws InterruptedException {
        ChaosBackend b = new ChaosBackend();
        b.listen(0);
        return b;
    }

    int port() {
        return port;
    }

    String address() {
        return "127.0.0.1:" + port;
    }

    /** Open connections (0 once every peer has gone). */
    int activeConnections() {
        return connections.size();
    }

    private void listen(int onPort) throws InterruptedException {
        server = new ServerBootstrap().group(group).channel(NioServerSocketChannel.class)
                .option(ChannelOption.SO_REUSEADDR, true)
                .childOption(ChannelOption.ALLOW_HALF_CLOSURE, true)
                .childHandler(new ChannelInitializer<SocketChannel>() {
                    @Override
                    protected void initChannel(SocketChannel ch) {
                        connections.add(ch);
                        ch.config().setAutoRead(!paused);
                        ch.pipeline().addLast(new Echo());
                    }
                })
                .bind("127.0.0.1", onPort).sync().channel();
        server.config().setAutoRead(!paused);
        port = ((java.net.InetSocketAddress) server.localAddress()).getPort();
    }

    /** Every connection reset (RST), the listening socket closed: what the peers of a killed process see. */
    synchronized void kill() throws InterruptedException {
        if (server != null) {
            server.close().sync();
            server = null;
        }
        for (Channel ch : connections) {
            try {
                ch.config().setOption(ChannelOption.SO_LINGER, 0);
            } catch (ChannelException e) {
                // closed meanwhile by its peer: nothing left to reset
            }
        }
        connections.close().await(10, TimeUnit.SECONDS);
    }

    /** Listens on the same port again (after {@link #kill()}). */
    synchronized void restart() throws InterruptedException {
        if (server == null) {
            listen(port);
        }
    }

    /** Stops reading every connection and accepting new ones. */
    synchronized void pause() {
        paused = true;
        setReading(false);
    }

    synchronized void resume() {
        paused = false;
        setReading(true);
    }

    private void setReading(boolean on) {
        if (server != null) {
            server.config().setAutoRead(on);
        }
        for (Channel ch : connections) {
            ch.config().setAutoRead(on && ch.isWritable());
        }
    }

    @Override
    public synchronized void close() throws InterruptedException {
        kill();
        group.shutdownGracefully(0, 5, TimeUnit.SECONDS).await(10, TimeUnit.SECONDS);
    }

    /** Echoes with back-pressure: no reading while the echo cannot be written. */
    private final class Echo extends ChannelInboundHandlerAdapter {
        private boolean finSeen;

        @Override
        public void channelRead(ChannelHandlerContext ctx, Object msg) {
            ctx.write(msg, ctx.voidPromise());
        }

        @Override
        public void channelReadComplete(ChannelHandlerContext ctx) {
            ctx.flush();
            if (!ctx.channel().isWritable()) {
                ctx.channel().config().setAutoRead(false);
            }
        }

        @Override
        public void channelWritabilityChanged(ChannelHandlerContext ctx) {
            ctx.channel().config().setAutoRead(ctx.channel().isWritable() && !paused && !finSeen);
        }

        @Override
        public void userEventTriggered(ChannelHandlerContext ctx, Object evt) {
            if (evt instanceof ChannelInputShutdownEvent) {
                finSeen = true;
                // The peer sends no more: once the echo is out, close (a FIN, as the peer's was).
                ctx.writeAndFlush(Unpooled.EMPTY_BUFFER).addListener(ChannelFutureListener.CLOSE);
            }
        }

        @Override
        public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
            ctx.close(); // a reset peer: nothing to report
        }
    }
}
