package dev.weir.proxy.backend.connect;

import dev.weir.proxy.backend.Backend;
import dev.weir.proxy.backend.BackendState;
import dev.weir.proxy.backend.connect.BackendConnector;
import dev.weir.proxy.backend.connect.WarmConnections;
import dev.weir.proxy.config.KeepAliveConfig;
import dev.weir.proxy.config.WarmPoolConfig;
import dev.weir.proxy.tls.ClientTls;
import io.netty.bootstrap.Bootstrap;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFuture;
import io.netty.channel.EventLoop;
import io.netty.util.concurrent.ScheduledFuture;
import java.util.ArrayDeque;
import java.util.Iterator;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The idle sockets of one backend on one event loop. Every field is touched on {@code loop} only.
 * Idle sockets keep reading, so a socket the backend closed is seen at once on every transport
 * (NIO reports a dead idle socket as active until something reads it), and a banner is kept.
 */
final class PerLoop {

    private static final Logger log = LoggerFactory.getLogger(PerLoop.class);
    private static final long MIN_BACKOFF_MS = 100;
    private static final long MAX_BACKOFF_MS = 10_000;

    final EventLoop loop;
    private final WarmConnections owner;
    private final WarmConnections.PerBackend pb;
    private final int index;
    private final ArrayDeque<Idle> idle = new ArrayDeque<>();
    private int connecting;
    private long backoffMs;
    private ScheduledFuture<?> retry;

    /** One idle socket with its watcher and its retirement timer. */
    private record Idle(Channel channel, IdleWatcher watcher, ScheduledFuture<?> retire, long sinceNanos) {
    }

    PerLoop(WarmConnections owner, WarmConnections.PerBackend pb, EventLoop loop, int index) {
        this.owner = owner;
        this.pb = pb;
        this.loop = loop;
        this.index = index;
    }

    private Backend backend() {
        return pb.backend;
    }

    private boolean wanted() {
        Backend b = backend();
        return !owner.isClosed() && b.state() == BackendState.UP && !b.removed();
    }

    /** Opens sockets until idle + connecting reaches this loop's share of min-idle. */
    void refill() {
        if (!wanted()) {
            closeIdle();
            return;
        }
        if (retry != null) {
            return; // backing off after a failure
        }
        int target = owner.target(index);
        while (idle.size() + connecting < target) {
            connectOne();
        }
    }

    private void connectOne() {
        WarmPoolConfig cfg = owner.config();
        KeepAliveConfig ka = owner.keepAlive();
        IdleWatcher watcher = new IdleWatcher(this);
        Bootstrap b = BackendConnector.backendSockets(owner.transport(), owner.pool().config().connectTimeout(), ka,
                        owner.reads())
                .channelFactory(owner.transport().socketChannels(backend().address()))
                .group(loop)
                .handler(watcher);
        connecting++;
        b.connect(backend().address()).addListener((ChannelFuture f) -> {
            connecting--;
            Backend be = backend();
            if (!f.isSuccess()) {
                owner.pool().feedback().connectFailed(be, ConnectFailures.detail(f.cause()));
                backOff(ConnectFailures.detail(f.cause()));
                return;
            }
            ClientTls tls = owner.tls();
            if (tls == null) {
                connected(f.channel(), watcher, cfg);
                return;
            }
            connecting++; // until the handshake is done
            TlsUpgrade.start(f.channel(), tls, be, owner.pool().config().connectTimeout().toMillis(), failure -> {
                connecting--;
                if (failure != null) {
                    String detail = ConnectFailures.detail(new ConnectFailures.TlsFailure(failure));
                    f.channel().close();
                    owner.pool().feedback().connectFailed(be, detail);
                    backOff(detail);
                    return;
                }
                connected(f.channel(), watcher, cfg);
            });
        });
    }

    /** A fresh socket, its handshake done where the pool has TLS: idle from now on, unless no longer wanted. */
    private void connected(Channel ch, IdleWatcher watcher, WarmPoolConfig cfg) {
        owner.pool().feedback().connectSucceeded(backend());
        if (!wanted() || watcher.dead() || !ch.isActive()) {
            ch.close();
            return;
        }
        backoffMs = 0;
        pb.refills.increment();
        long maxIdle = cfg.maxIdleTime().toMillis();
        // Retire somewhat before max-idle-time, at a random point, so a batch does not expire together.
        long retireIn = maxIdle - (long) (ThreadLocalRandom.current().nextDouble(0.1, 0.2) * maxIdle);
        Idle entry = new Idle(ch, watcher,
                loop.schedule(() -> retire(ch), Math.max(1, retireIn), TimeUnit.MILLISECONDS),
                System.nanoTime());
        idle.addLast(entry);
        pb.idle.incrementAndGet();
    }

    private void backOff(String cause) {
        backoffMs = backoffMs == 0 ? MIN_BACKOFF_MS : Math.min(MAX_BACKOFF_MS, backoffMs * 2);
        long delay = backoffMs / 2 + ThreadLocalRandom.current().nextLong(backoffMs / 2 + 1);
        if (retry == null) {
            log.debug("warm pool connect failed backend={}/{} retry_in={}ms cause=\"{}\"",
                    owner.pool().name(), backend().id(), delay, cause);
            retry = loop.schedule(() -> {
                retry = null;
                refill();
            }, delay, TimeUnit.MILLISECONDS);
        }
    }

    /** Hands out the newest live idle socket, or null. Stale ones met on the way are dropped and counted. */
    WarmConnections.Taken take() {
        Idle entry;
        while ((entry = idle.pollLast()) != null) {
            pb.idle.decrementAndGet();
            entry.retire().cancel(false);
            Channel ch = entry.channel();
            if (!ch.isActive() || entry.watcher().dead()) {
                pb.stale.increment();
                ch.close();
                continue;
            }
            ch.config().setAutoRead(false);
            WarmConnections.Taken taken = new WarmConnections.Taken(ch, entry.watcher().handOver(ch));
            pb.hits.increment();
            loop.execute(this::refill);
            return taken;
        }
        pb.misses.increment();
        loop.execute(this::refill);
        return null;
    }

    /** The backend closed (or broke) an idle socket: drop it, count it, open another. */
    void died(Channel ch) {
        Idle entry = remove(ch);
        if (entry == null) {
            return;
        }
        pb.stale.increment();
        if (System.nanoTime() - entry.sinceNanos() < TimeUnit.SECONDS.toNanos(1)) {
            // Closed right after connecting: a backend refusing to be pre-connected; do not spin.
            backOff("closed by the backend right after connecting");
        } else {
            refill();
        }
    }

    /** max-idle-time is near: replace the socket before the backend's own idle timeout can hit it. */
    private void retire(Channel ch) {
        if (remove(ch) != null) {
            refill();
        }
    }

    /** Takes {@code ch} out of the idle set and closes it; null when it was not idle here. */
    private Idle remove(Channel ch) {
        Iterator<Idle> it = idle.iterator();
        while (it.hasNext()) {
            Idle entry = it.next();
            if (entry.channel() == ch) {
                it.remove();
                pb.idle.decrementAndGet();
                entry.retire().cancel(false);
                ch.close();
                return entry;
            }
        }
        return null;
    }

    /** Closes every idle socket now (backend not UP, removed, or the pool closed). */
    void closeIdle() {
        Idle entry;
        while ((entry = idle.pollFirst()) != null) {
            pb.idle.decrementAndGet();
            entry.retire().cancel(false);
            entry.channel().close();
        }
        if (retry != null) {
            retry.cancel(false);
            retry = null;
        }
    }
}
