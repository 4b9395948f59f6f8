/*
 * The least an epoll relay can be in Netty, to tell the event loop's costs from Weir's (bench/RESULTS.md,
 * 2026-11-27): one event loop, the backend connected on the client's loop, a flush per read batch, nothing else.
 * It is no proxy: no limits, no timeouts, no half-close. Built against the Netty inside weir.jar:
 *
 *   javac -cp proxy/target/weir.jar -d /tmp/mini bench/MiniRelay.java
 *   taskset -c 1 java [FLAGS] -cp proxy/target/weir.jar:/tmp/mini MiniRelay LISTEN_PORT BACKEND_PORT
 *
 * FLAGS, each an experiment of 2026-11-27: -Dmini.spin=NANOS (look for events this long before blocking),
 * -Dmini.gap=NANOS (pause between two looks), -Dmini.lt=true (level-triggered epoll), -Dmini.maxev=N (events per
 * epoll_wait), -Dmini.defer=true (flush every written peer once, at the end of the loop turn).
 */
import io.netty.bootstrap.*;
import io.netty.buffer.*;
import io.netty.channel.*;
import io.netty.channel.epoll.*;
import java.net.InetSocketAddress;

/** minimal epoll relay: same loop for both sides, one flush per read batch */
public class MiniRelay {
    public static void main(String[] a) throws Exception {
        int port = Integer.parseInt(a[0]); int backend = Integer.parseInt(a[1]);
        EventLoopGroup g = new MultiThreadIoEventLoopGroup(1, EpollIoHandler.newFactory(Integer.getInteger("mini.maxev", 0), () -> SPINNER));
        new ServerBootstrap().group(g).channel(EpollServerSocketChannel.class)
            .childOption(ChannelOption.TCP_NODELAY, true).childOption(EpollChannelOption.EPOLL_MODE, LT ? EpollMode.LEVEL_TRIGGERED : EpollMode.EDGE_TRIGGERED).childOption(ChannelOption.AUTO_READ, false)
            .childHandler(new ChannelInitializer<Channel>() {
                protected void initChannel(Channel c) {
                    c.pipeline().addLast(new Front(backend));
                }
            }).bind(new InetSocketAddress("127.0.0.1", port)).sync();
        System.out.println("MiniRelay ready");
    }
    static final boolean LT = Boolean.getBoolean("mini.lt");
    static final long SPIN = Long.getLong("mini.spin", 0);
    static final long GAP = Long.getLong("mini.gap", 0);
    static final SelectStrategy SPINNER = (sel, hasTasks) -> {
        if (hasTasks) return sel.get();
        if (SPIN <= 0) return SelectStrategy.SELECT;
        long end = System.nanoTime() + SPIN;
        do {
            int n = sel.get(); if (n > 0) return n;
            if (GAP > 0) { long g = System.nanoTime() + GAP; while (System.nanoTime() - g < 0) Thread.onSpinWait(); }
        } while (System.nanoTime() - end < 0);
        return SelectStrategy.SELECT;
    };
    static final boolean DEFER = Boolean.getBoolean("mini.defer");
    static final ThreadLocal<java.util.ArrayList<Channel>> PENDING = ThreadLocal.withInitial(java.util.ArrayList::new);
    static final Runnable FLUSH_ALL = () -> { java.util.ArrayList<Channel> l = PENDING.get(); for (int i = 0; i < l.size(); i++) l.get(i).flush(); l.clear(); };
    static final class Relay extends ChannelInboundHandlerAdapter {
        final Channel peer; Relay(Channel p) { peer = p; }
        public void channelRead(ChannelHandlerContext ctx, Object m) { peer.write(m, peer.voidPromise()); }
        public void channelReadComplete(ChannelHandlerContext ctx) {
            if (!DEFER) { peer.flush(); return; }
            java.util.ArrayList<Channel> l = PENDING.get();
            if (l.isEmpty()) ((SingleThreadEventLoop) ctx.channel().eventLoop()).executeAfterEventLoopIteration(FLUSH_ALL);
            l.add(peer);
        }
        public void channelInactive(ChannelHandlerContext ctx) { peer.close(); }
    }
    static final class Front extends ChannelInboundHandlerAdapter {
        final int backend; Front(int b) { backend = b; }
        public void channelActive(ChannelHandlerContext ctx) {
            Channel f = ctx.channel();
            new Bootstrap().group(f.eventLoop()).channel(EpollSocketChannel.class)
                .option(ChannelOption.TCP_NODELAY, true).option(EpollChannelOption.EPOLL_MODE, LT ? EpollMode.LEVEL_TRIGGERED : EpollMode.EDGE_TRIGGERED)
                .handler(new Relay(f)).connect(new InetSocketAddress("127.0.0.1", backend))
                .addListener((ChannelFutureListener) cf -> {
                    if (!cf.isSuccess()) { f.close(); return; }
                    f.pipeline().replace(this, "relay", new Relay(cf.channel()));
                    f.config().setAutoRead(true);
                });
        }
    }
}
