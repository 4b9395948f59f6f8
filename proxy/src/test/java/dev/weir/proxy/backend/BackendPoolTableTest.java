package dev.weir.proxy.backend;

import static org.assertj.core.api.Assertions.assertThat;

import dev.weir.proxy.balance.Balancers;
import dev.weir.proxy.config.ConfigLoader;
import dev.weir.proxy.config.PoolConfig;
import io.netty.channel.DefaultEventLoopGroup;
import io.netty.util.concurrent.EventExecutor;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** An ip-hash pool builds its Maglev table once per member set and weights, not once per state change. */
@Timeout(value = 30, unit = TimeUnit.SECONDS)
class BackendPoolTableTest {

    private static final DefaultEventLoopGroup TIMERS = new DefaultEventLoopGroup(1);
    private static final EventExecutor CONTROL = TIMERS.next();

    @AfterAll
    static void stop() {
        TIMERS.shutdownGracefully(0, 1, TimeUnit.SECONDS).syncUninterruptibly();
    }

    /** Pool changes run on the pool's control executor (asserted there), as Weir's control thread runs them. */
    private static void onControl(Runnable change) {
        CONTROL.submit(change).syncUninterruptibly();
    }

    private static BackendPool pool(List<Backend> backends) throws Exception {
        PoolConfig cfg = ConfigLoader.parse("""
                listeners:
                  l: {bind: 127.0.0.1:0, pool: p}
                pools:
                  p:
                    balance: ip-hash
                    backends: [127.0.0.1:9001, 127.0.0.1:9002, 127.0.0.1:9003]
                """, Map.of()).pools().get("p");
        return new BackendPool(cfg, backends, CONTROL, Balancers::create);
    }

    private static List<Backend> backends() {
        List<Backend> list = new ArrayList<>();
        for (int port = 9001; port <= 9003; port++) {
            list.add(new Backend("127.0.0.1:" + port, "127.0.0.1:" + port, new InetSocketAddress("127.0.0.1", port), 1));
        }
        return list;
    }

    @Test
    void stateChangesKeepTheTableAndMoveOnlyTheChangedBackendsClients() throws Exception {
        List<Backend> backends = backends();
        BackendPool pool = pool(backends);
        Balancer table = pool.snapshot().balancer();
        List<InetAddress> clients = new ArrayList<>();
        for (int i = 1; i <= 200; i++) {
            clients.add(InetAddress.getByName("10.1." + (i / 100) + "." + (i % 100 + 1)));
        }
        List<Backend> before = clients.stream().map(c -> table.pick(c, Set.of())).toList();
        Backend drained = backends.get(1);

        onControl(() -> pool.drain(drained));
        assertThat(pool.snapshot().balancer()).as("the same table after a drain").isSameAs(table);
        for (int i = 0; i < clients.size(); i++) {
            Backend now = pool.snapshot().balancer().pick(clients.get(i), Set.of());
            assertThat(now).isNotSameAs(drained);
            if (before.get(i) != drained) {
                assertThat(now).as("client %s keeps its backend", clients.get(i)).isSameAs(before.get(i));
            }
        }
        onControl(() -> pool.enable(drained));
        onControl(() -> pool.disable(backends.get(0)));
        onControl(() -> pool.enable(backends.get(0)));
        assertThat(pool.snapshot().balancer()).as("the same table after enable and disable").isSameAs(table);
        assertThat(clients.stream().map(c -> pool.snapshot().balancer().pick(c, Set.of())).toList()).isEqualTo(before);
    }

    @Test
    void aWeightOrMemberChangeBuildsANewTable() throws Exception {
        List<Backend> backends = backends();
        BackendPool pool = pool(backends);
        Balancer first = pool.snapshot().balancer();
        onControl(() -> pool.setWeight(backends.get(0), 5));
        Balancer reweighted = pool.snapshot().balancer();
        assertThat(reweighted).isNotSameAs(first);
        onControl(() -> pool.add(new Backend("127.0.0.1:9004", "127.0.0.1:9004", new InetSocketAddress("127.0.0.1", 9004), 1), true));
        assertThat(pool.snapshot().balancer()).isNotSameAs(reweighted);
    }

    @Test
    void theTableOutlivesAMomentWithNoBackendUp() throws Exception {
        List<Backend> backends = backends();
        BackendPool pool = pool(backends);
        Balancer table = pool.snapshot().balancer();
        onControl(() -> backends.forEach(pool::disable));
        assertThat(pool.snapshot().balancer().pick(InetAddress.getByName("10.0.0.1"), Set.of())).isNull();
        onControl(() -> backends.forEach(pool::enable));
        assertThat(pool.snapshot().balancer()).isSameAs(table);
    }
}
