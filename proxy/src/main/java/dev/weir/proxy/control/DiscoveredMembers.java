package dev.weir.proxy.control;

import dev.weir.proxy.backend.Backend;
import dev.weir.proxy.backend.BackendPool;
import dev.weir.proxy.config.DiscoveryConfig;
import dev.weir.proxy.config.HostPort;
import dev.weir.proxy.discovery.DnsDiscovery;
import dev.weir.proxy.transport.Transport;
import io.netty.channel.EventLoop;
import java.net.InetSocketAddress;
import java.util.HashSet;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The membership source of a pool with {@code discovery}: DNS answers, on the resolver's event loop, are handed
 * to the control thread (coalesced: the newest set wins) and make the pool's members the discovered set.
 *
 * <p>Thread rule: {@link #start} and {@link #close} on the control thread, where results are applied; the
 * resolver's callback only stores the newest set and hands over.
 */
final class DiscoveredMembers implements AutoCloseable {

    private static final Logger log = LoggerFactory.getLogger(PoolSupervisor.class);

    private final String poolName;
    private final DiscoveryConfig config;
    private final BackendPool pool;
    private final Members members;
    private final Control control;
    private final DnsDiscovery dns;
    /** The newest discovered address set not applied yet. */
    private final AtomicReference<Set<InetSocketAddress>> newest = new AtomicReference<>();
    private volatile boolean closed;

    DiscoveredMembers(String poolName, DiscoveryConfig config, BackendPool pool, Members members, Control control,
                      EventLoop loop, Transport transport) {
        this.poolName = poolName;
        this.config = config;
        this.pool = pool;
        this.members = members;
        this.control = control;
        this.dns = new DnsDiscovery(poolName, config, loop, transport, (added, removed, all) -> {
            newest.set(all);
            control.execute(this::apply);
        });
    }

    /**
     * Starts looking up; with {@code waitForFirst} (a start) waits a little for the first answer and serves from it,
     * else starts empty and fills in when answers come.
     */
    void start(boolean waitForFirst) {
        dns.start();
        if (waitForFirst) {
            if (!dns.firstResult().awaitUninterruptibly(Math.min(config.refresh().toMillis(), 5_000), TimeUnit.MILLISECONDS)) {
                log.warn("discovery slow pool={} dns={} starting_with=0 backends", poolName, config.dns());
            }
            apply(); // now, not after the start that waits here on the control thread
        }
    }

    /** On the control thread: the newest set, unless a later call applied it already. */
    private void apply() {
        Set<InetSocketAddress> all = newest.getAndSet(null);
        if (all == null || closed) {
            return;
        }
        Set<String> keys = new HashSet<>();
        for (InetSocketAddress a : all) {
            keys.add(key(a));
        }
        for (Backend b : pool.members()) {
            if (!b.removed() && !keys.contains(b.key())) {
                members.leave(b);
            }
        }
        for (InetSocketAddress a : all) {
            String key = key(a);
            if (pool.byKey(key) == null) {
                members.join(new Backend(key, key, a, config.weight()));
            }
        }
    }

    private static String key(InetSocketAddress a) {
        return new HostPort(a.getAddress().getHostAddress(), a.getPort()).toString();
    }

    /** Stops looking up; a result still on its way is dropped. */
    @Override
    public void close() {
        closed = true;
        dns.close();
    }
}
