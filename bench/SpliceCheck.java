import io.netty.bootstrap.Bootstrap;
import io.netty.bootstrap.ServerBootstrap;
import io.netty.buffer.Unpooled;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.ChannelOption;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.epoll.EpollIoHandler;
import io.netty.channel.epoll.EpollServerSocketChannel;
import io.netty.channel.epoll.EpollSocketChannel;
import io.netty.channel.socket.ChannelInputShutdownEvent;
import io.netty.channel.socket.DuplexChannel;
import java.io.InputStream;
import java.io.OutputStream;
import java.lang.management.ManagementFactory;
import java.lang.management.ThreadInfo;
import java.lang.management.ThreadMXBean;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

/**
 * Is Netty's epoll splice (AbstractEpollStreamChannel.spliceTo) fit for Weir's relay? A one-loop epoll
 * relay moves MIB mebibytes from a client to a sink, then the client sends its FIN, which the relay
 * forwards after what it has queued (as Weir does). Prints the bytes the sink got, the throughput and the
 * relay loop's CPU per GB, for "splice" and for "copy" (read into a buffer, write it out: Weir's way).
 *
 *   java -cp proxy/target/weir.jar bench/SpliceCheck.java MIB splice|copy
 *
 * Results are in bench/RESULTS.md ("Splice").
 */
public class SpliceCheck {

    public static void main(String[] args) throws Exception {
        long total = Long.parseLong(args[0]) << 20;
        boolean splice = args[1].equals("splice");
        EventLoopGroup loop = new MultiThreadIoEventLoopGroup(1, EpollIoHandler.newFactory());
        try (ServerSocket sink = new ServerSocket(0, 50, InetAddress.getLoopbackAddress())) {
            CompletableFuture<Long> counted = CompletableFuture.supplyAsync(() -> {
                try (Socket s = sink.accept(); InputStream in = s.getInputStream()) {
                    long n = 0;
                    byte[] b = new byte[1 << 16];
                    for (int r; (r = in.read(b)) != -1; ) {
                        n += r;
                    }
                    return n;
                } catch (Exception e) {
                    throw new IllegalStateException(e);
                }
            });
            Channel server = new ServerBootstrap().group(loop).channel(EpollServerSocketChannel.class)
                    .childOption(ChannelOption.AUTO_READ, false)
                    .childOption(ChannelOption.ALLOW_HALF_CLOSURE, true)
                    .childHandler(new ChannelInitializer<Channel>() {
                        @Override
                        protected void initChannel(Channel client) {
                            relay(client, sink, splice);
                        }
                    })
                    .bind(InetAddress.getLoopbackAddress(), 0).sync().channel();
            try (Socket c = new Socket()) {
                c.connect(server.localAddress());
                long t0 = System.nanoTime();
                long cpu0 = loopCpuNanos();
                OutputStream out = c.getOutputStream();
                byte[] chunk = new byte[1 << 16];
                for (long w = 0; w < total; w += chunk.length) {
                    out.write(chunk);
                }
                c.shutdownOutput();
                long got = counted.get(120, TimeUnit.SECONDS);
                long ns = System.nanoTime() - t0;
                long cpu = loopCpuNanos() - cpu0;
                System.out.printf("%s: sent %d, sink got %d (short by %d); %.2f Gbit/s; relay loop CPU %.3f s per GB%n",
                        splice ? "splice" : "copy", total, got, total - got, got * 8.0 / ns, cpu / (double) got);
            }
        } finally {
            loop.shutdownGracefully();
        }
    }

    private static void relay(Channel client, ServerSocket sink, boolean splice) {
        new Bootstrap().group(client.eventLoop()).channel(EpollSocketChannel.class)
                .option(ChannelOption.AUTO_READ, false)
                .handler(new ChannelInboundHandlerAdapter())
                .connect(sink.getLocalSocketAddress()).addListener((ChannelFutureListener) f -> {
                    Channel to = f.channel();
                    client.pipeline().addLast(new ChannelInboundHandlerAdapter() {
                        @Override
                        public void channelRead(ChannelHandlerContext ctx, Object msg) {
                            to.write(msg, to.voidPromise());
                        }

                        @Override
                        public void channelReadComplete(ChannelHandlerContext ctx) {
                            to.flush();
                        }

                        @Override
                        public void userEventTriggered(ChannelHandlerContext ctx, Object evt) {
                            if (evt instanceof ChannelInputShutdownEvent) {
                                // After everything queued for the sink (a splice's pending output included).
                                to.writeAndFlush(Unpooled.EMPTY_BUFFER)
                                        .addListener(done -> ((DuplexChannel) to).shutdownOutput());
                            }
                        }
                    });
                    if (splice) {
                        ((EpollSocketChannel) client).spliceTo((EpollSocketChannel) to, Integer.MAX_VALUE);
                    }
                    client.config().setAutoRead(true);
                });
    }

    private static long loopCpuNanos() {
        ThreadMXBean mx = ManagementFactory.getThreadMXBean();
        long sum = 0;
        for (ThreadInfo t : mx.getThreadInfo(mx.getAllThreadIds())) {
            if (t != null && t.getThreadName().startsWith("multiThreadIoEventLoopGroup")) {
                sum += mx.getThreadCpuTime(t.getThreadId());
            }
        }
        return sum;
    }
}
