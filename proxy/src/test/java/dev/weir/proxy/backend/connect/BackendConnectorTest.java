package dev.weir.proxy.backend.connect;

import static org.assertj.core.api.Assertions.assertThat;

import dev.weir.proxy.backend.Backend;
import dev.weir.proxy.backend.BackendPool;
import dev.weir.proxy.backend.connect.BackendConnector;
import dev.weir.proxy.balance.Balancers;
import dev.weir.proxy.config.ConfigLoader;
import dev.weir.proxy.config.PoolConfig;
import dev.weir.proxy.metrics.ProxyMetrics;
import dev.weir.proxy.metrics.CloseReason;
import dev.weir.proxy.transport.Transport;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.netty.buffer.ByteBuf;
import io.netty.channel.Channel;
import io.netty.channel.ChannelException;
import io.netty.channel.embedded.EmbeddedChannel;
import io.netty.channel.nio.NioIoHandler;
import io.netty.channel.socket.nio.NioDatagramChannel;
import io.netty.channel.socket.nio.NioServerSocketChannel;
import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** What a connect does when the OS has no socket to give (file descriptors exhausted). */
@Timeout(value = 30, unit = TimeUnit.SECONDS)
class BackendConnectorTest {

    @Test
    void noSocketIsAFailedConnectTriedOnEachBackendAndLeavesNoCountBehind() throws Exception {
        Transport noSockets = new Transport("nio", NioIoHandler::newFactory, NioServerSocketChannel.class, () -> {
            throw new ChannelException("Failed to open a socket.", new IOException("Too many open files"));
        }, NioDatagramChannel.class);
        PoolConfig cfg = ConfigLoader.parse("""
                listeners:
                  l: {bind: 127.0.0.1:0, pool: p}
                pools:
                  p:
                    connect-attempts: 2
                    backends: [127.0.0.1:9001, 127.0.0.1:9002]
                """, Map.of()).pools().get("p");
        List<Backend> backends = List.of(
                new Backend("b1", "127.0.0.1:9001", new InetSocketAddress("127.0.0.1", 9001), 1),
                new Backend("b2", "127.0.0.1:9002", new InetSocketAddress("127.0.0.1", 9002), 1));
        EmbeddedChannel client = new EmbeddedChannel();
        BackendPool pool = new BackendPool(cfg, backends, client.eventLoop(), Balancers::create);
        SimpleMeterRegistry registry = new SimpleMeterRegistry();
        BackendConnector connector = new BackendConnector(noSockets, Transport.reads(64 * 1024),
                new ProxyMetrics(registry));
        List<CloseReason> failures = new ArrayList<>();
        List<Channel> connected = new ArrayList<>();

        connector.connect(client, InetAddress.getLoopbackAddress(), pool, null, new BackendConnector.Callback() {
            @Override
            public void connected(Channel backendChannel, Backend backend, List<ByteBuf> banner) {
                connected.add(backendChannel);
            }

            @Override
            public void failed(CloseReason reason) {
                failures.add(reason);
            }
        });

        assertThat(connected).isEmpty();
        assertThat(failures).containsExactly(CloseReason.CONNECT_FAILED);
        assertThat(backends).allSatisfy(b -> assertThat(b.activeConnections()).as(b.id()).isZero());
        assertThat(registry.find("weir.connect.failures").counters())
                .as("one failed connect per backend tried").hasSize(2)
                .allSatisfy(c -> assertThat(c.count()).isEqualTo(1.0));
        client.finishAndReleaseAll();
    }
}
