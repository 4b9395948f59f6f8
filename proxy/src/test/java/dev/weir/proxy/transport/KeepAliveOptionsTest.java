package dev.weir.proxy.transport;

import static org.assertj.core.api.Assertions.assertThat;

import dev.weir.proxy.config.KeepAliveConfig;
import io.netty.bootstrap.Bootstrap;
import io.netty.channel.Channel;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.ChannelOption;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.epoll.EpollChannelOption;
import io.netty.channel.socket.nio.NioChannelOption;
import io.netty.channel.uring.IoUringChannelOption;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import jdk.net.ExtendedSocketOptions;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/** keep-alive timings reach the upstream socket on every transport (read back from the kernel). */
@Timeout(value = 30, unit = TimeUnit.SECONDS)
class KeepAliveOptionsTest {

    static java.util.stream.Stream<Transport> transports() {
        return Transport.available().stream();
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("transports")
    void keepAliveTimingsAreSetOnTheSocket(Transport transport) throws Exception {
        EventLoopGroup group = transport.newGroup(1, "ka-test");
        try (ServerSocket server = new ServerSocket(0, 5, InetAddress.getLoopbackAddress())) {
            Bootstrap b = new Bootstrap().group(group).channelFactory(transport.socketChannels())
                    .option(ChannelOption.SO_KEEPALIVE, true)
                    .handler(new ChannelInboundHandlerAdapter());
            transport.keepAlive(b, new KeepAliveConfig(Duration.ofSeconds(37), Duration.ofSeconds(11), 4));
            Channel ch = b.connect(server.getLocalSocketAddress()).sync().channel();
            try {
                assertThat(ch.config().getOption(ChannelOption.SO_KEEPALIVE)).isTrue();
                if (transport == Transport.IO_URING) {
                    assertThat(ch.config().getOption(IoUringChannelOption.TCP_KEEPIDLE)).isEqualTo(37);
                    assertThat(ch.config().getOption(IoUringChannelOption.TCP_KEEPINTVL)).isEqualTo(11);
                    assertThat(ch.config().getOption(IoUringChannelOption.TCP_KEEPCNT)).isEqualTo(4);
                } else if (transport == Transport.EPOLL) {
                    assertThat(ch.config().getOption(EpollChannelOption.TCP_KEEPIDLE)).isEqualTo(37);
                    assertThat(ch.config().getOption(EpollChannelOption.TCP_KEEPINTVL)).isEqualTo(11);
                    assertThat(ch.config().getOption(EpollChannelOption.TCP_KEEPCNT)).isEqualTo(4);
                } else {
                    assertThat(ch.config().getOption(NioChannelOption.of(ExtendedSocketOptions.TCP_KEEPIDLE))).isEqualTo(37);
                    assertThat(ch.config().getOption(NioChannelOption.of(ExtendedSocketOptions.TCP_KEEPINTERVAL))).isEqualTo(11);
                    assertThat(ch.config().getOption(NioChannelOption.of(ExtendedSocketOptions.TCP_KEEPCOUNT))).isEqualTo(4);
                }
            } finally {
                ch.close().sync();
            }
        } finally {
            group.shutdownGracefully(0, 1, TimeUnit.SECONDS).sync();
        }
    }
}
