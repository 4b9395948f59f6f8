package dev.weir.proxy.backend.connect;

import dev.weir.proxy.backend.Backend;
import dev.weir.proxy.backend.BackendPool;
import dev.weir.proxy.backend.BackendState;
import dev.weir.proxy.config.KeepAliveConfig;
import dev.weir.proxy.config.WarmPoolConfig;
import dev.weir.proxy.tls.ClientTls;
import dev.weir.proxy.transport.Transport;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.Meter;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Tags;
import io.netty.buffer.ByteBuf;
import io.netty.channel.Channel;
import io.netty.channel.EventLoop;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.RecvByteBufAllocator;
import io.netty.util.concurrent.EventExecutor;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A floor of idle, pre-connected sockets per backend, so a client skips the connect round trip.
 * At L4 a socket serves one client and is never returned (the proxy cannot see where a session
 * ends), so this is a warm pool, not a reuse pool. Sockets live per (backend, event loop): a client
 * takes one registered on its own loop, and each per-loop pool is touched by that loop only.
 * {@code min-idle} is spread over the loops (loop i keeps min-idle/n, the first min-idle%n one more).
 * In a pool with {@code tls} a socket is idle, and can be taken, only once its handshake succeeded.
 */
public final class WarmConnections implements AutoCloseable {

    private static final Logger log = LoggerFactory.getLogger(WarmConnections.class);

    /** A socket handed to a client, with what the backend sent while it was idle (a banner). */
    public record Taken(Channel channel, List<ByteBuf> banner) {
    }

    private final BackendPool pool;
    private final Transport transport;
    private final List<EventLoop> loops = new ArrayList<>();
    private final MeterRegistry registry;
    private final RecvByteBufAllocator reads;
    private final Map<Backend, PerBackend> backends = new ConcurrentHashMap<>();
    private volatile WarmPoolConfig config;
    private volatile KeepAliveConfig keepAlive;
    private volatile ClientTls tls;
    private volatile boolean closed;

    public WarmConnections(BackendPool pool, WarmPoolConfig config, KeepAliveConfig keepAlive, EventLoopGroup group,
                    Transport transport, RecvByteBufAllocator reads, MeterRegistry registry) {
        this.pool = pool;
        this.reads = reads;
        this.config = config;
        this.keepAlive = keepAlive;
        this.transport = transport;
        this.registry = registry;
        for (EventExecutor e : group) {
            loops.add((EventLoop) e);
        }
    }

    /** Starts filling for every member that is UP. */
    public void start() {
        pool.members().forEach(this::backendChanged);
    }

    WarmPoolConfig config() {
        return config;
    }

    KeepAliveConfig keepAlive() {
        return keepAlive;
    }

    /** The pool's TLS to its backends: a warm socket finishes its handshake before it counts as idle. */
    ClientTls tls() {
        return tls;
    }

    /**
     * The pool's TLS, at start and after each reload. {@code recycle}: its settings changed, so the idle sockets,
     * whose handshakes followed the old ones, are closed and made again.
     */
    public void tls(ClientTls next, boolean recycle) {
        this.tls = next;
        if (recycle) {
            for (PerBackend pb : backends.values()) {
                for (PerLoop pl : pb.loops) {
                    pl.loop.execute(() -> {
                        pl.closeIdle();
                        pl.refill();
                    });
                }
            }
        }
    }

    BackendPool pool() {
        return pool;
    }

    Transport transport() {
        return transport;
    }

    RecvByteBufAllocator reads() {
        return reads;
    }

    /** Follows a backend's state: UP and present fills its pools; anything else empties them now. */
    public void backendChanged(Backend b) {
        if (closed) {
            return;
        }
        boolean wanted = b.state() == BackendState.UP && !b.removed() && pool.members().contains(b);
        PerBackend pb = wanted ? backends.computeIfAbsent(b, this::newPerBackend) : backends.get(b);
        if (pb == null) {
            return;
        }
        if (!wanted && !pool.members().contains(b)) {
            backends.remove(b);
            pb.meters.forEach(registry::remove);
        }
        for (PerLoop pl : pb.loops) {
            pl.loop.execute(wanted ? pl::refill : pl::closeIdle);
        }
    }

    /**
     * Takes an idle socket of {@code b} registered on {@code loop}; call on that loop. Null (a miss)
     * when none is ready; a socket the backend closed is never handed out.
     */
    public Taken take(Backend b, EventLoop loop) {
        PerBackend pb = backends.get(b);
        if (pb == null) {
            return null;
        }
        for (PerLoop pl : pb.loops) {
            if (pl.loop == loop) {
                return pl.take();
            }
        }
        return null;
    }

    /** Idle sockets of {@code b} over all loops (read racily; metrics and status). */
    public int idle(Backend b) {
        PerBackend pb = backends.get(b);
        return pb == null ? 0 : pb.idle.get();
    }

    /** New settings from a reload; the per-loop targets follow, existing sockets stay until retired. */
    public void update(WarmPoolConfig config, KeepAliveConfig keepAlive) {
        this.config = config;
        this.keepAlive = keepAlive;
        for (PerBackend pb : backends.values()) {
            for (PerLoop pl : pb.loops) {
                pl.loop.execute(pl::refill);
            }
        }
    }

    /** Closes every idle socket and stops refilling. */
    @Override
    public void close() {
        closed = true;
        for (PerBackend pb : backends.values()) {
            for (PerLoop pl : pb.loops) {
                if (!pl.loop.isShuttingDown()) {
                    pl.loop.execute(pl::closeIdle);
                }
            }
            pb.meters.forEach(registry::remove);
        }
        backends.clear();
    }

    boolean isClosed() {
        return closed;
    }

    /** The share of min-idle that loop {@code index} keeps. */
    int target(int index) {
        int minIdle = config.minIdle();
        return minIdle / loops.size() + (index < minIdle % loops.size() ? 1 : 0);
    }

    private PerBackend newPerBackend(Backend b) {
        Tags tags = Tags.of("pool", pool.name(), "backend", b.id());
        PerBackend pb = new PerBackend(b, tags);
        for (int i = 0; i < loops.size(); i++) {
            pb.loops.add(new PerLoop(this, pb, loops.get(i), i));
        }
        pb.meters.add(Gauge.builder("weir.warmpool.idle", pb.idle, AtomicInteger::get).tags(tags)
                .description("Idle pre-connected sockets").register(registry));
        log.debug("warm pool started backend={}/{} min_idle={}", pool.name(), b.id(), config.minIdle());
        return pb;
    }

    /** One backend's per-loop pools and meters. */
    final class PerBackend {
        final Backend backend;
        final List<PerLoop> loops = new ArrayList<>();
        final AtomicInteger idle = new AtomicInteger();
        final List<Meter> meters = new ArrayList<>();
        final Counter hits;
        final Counter misses;
        final Counter stale;
        final Counter refills;

        PerBackend(Backend backend, Tags tags) {
            this.backend = backend;
            hits = counter("weir.warmpool.hits", "Clients served by a pre-connected socket", tags);
            misses = counter("weir.warmpool.misses", "Clients that found no pre-connected socket", tags);
            stale = counter("weir.warmpool.stale", "Idle sockets dropped because the backend closed them", tags);
            refills = counter("weir.warmpool.refills", "Pre-connected sockets opened", tags);
        }

        private Counter counter(String name, String description, Tags tags) {
            Counter c = Counter.builder(name).tags(tags).description(description).register(registry);
            meters.add(c);
            return c;
        }
    }
}
