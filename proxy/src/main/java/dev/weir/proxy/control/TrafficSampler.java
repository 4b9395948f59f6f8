package dev.weir.proxy.control;

import dev.weir.proxy.api.TrafficHistory;
import dev.weir.proxy.backend.Backend;
import dev.weir.proxy.relay.ProxyListener;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import java.util.ArrayList;
import java.util.IdentityHashMap;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.function.LongSupplier;

/**
 * The traffic of the last minutes for the status page's charts: every interval it reads the counters the admin API
 * reads (a listener's {@code weir.connections.opened} and {@code weir.bytes.*} meters and its live connections; a
 * backend's own counters) into one {@link SeriesRing} per listener and per backend. A series is dropped at the next
 * sample once its listener or backend is gone (a reload, a removal), and the history lists only those running.
 *
 * <p>Thread rule: the control thread only: {@link #sample} is scheduled there and {@link #history} is called there,
 * which is also where the listeners and pools it walks are changed.
 */
final class TrafficSampler {

    /** Points kept per series: 15 minutes at the default 5 s. */
    static final int CAPACITY = 180;

    private final Registry registry;
    private final MeterRegistry meters;
    private final long intervalMillis;
    private final LongSupplier nanos;
    private final LongSupplier millis;
    private final Map<ProxyListener, ListenerSeries> listeners = new IdentityHashMap<>();
    private final Map<Backend, SeriesRing> backends = new IdentityHashMap<>();
    private long lastNanos;
    private long sampledAtMillis;
    private long round;

    /** A listener's ring and the meters it reads, looked up once. */
    private static final class ListenerSeries {
        final SeriesRing ring = new SeriesRing(CAPACITY);
        final Counter opened;
        final Counter received;
        final Counter sent;
        long round;

        ListenerSeries(MeterRegistry meters, String listener) {
            opened = meters.find("weir.connections.opened").tag("listener", listener).counter();
            received = meters.find("weir.bytes.received").tag("listener", listener).counter();
            sent = meters.find("weir.bytes.sent").tag("listener", listener).counter();
        }
    }

    TrafficSampler(Registry registry, MeterRegistry meters, long intervalMillis, LongSupplier nanos, LongSupplier millis) {
        this.registry = registry;
        this.meters = meters;
        this.intervalMillis = intervalMillis;
        this.nanos = nanos;
        this.millis = millis;
    }

    long intervalMillis() {
        return intervalMillis;
    }

    /** One sample of every listener and backend running now. */
    void sample() {
        long now = nanos.getAsLong();
        long elapsed = lastNanos == 0 ? intervalMillis : (now - lastNanos) / 1_000_000;
        lastNanos = now;
        sampledAtMillis = millis.getAsLong();
        round++;
        for (ProxyListener l : registry.listeners.values()) {
            ListenerSeries s = listeners.computeIfAbsent(l, x -> new ListenerSeries(meters, x.name()));
            s.round = round;
            s.ring.add(l.activeConnections(), count(s.opened), count(s.received), count(s.sent), elapsed);
        }
        for (Iterator<ListenerSeries> it = listeners.values().iterator(); it.hasNext(); ) {
            if (it.next().round != round) {
                it.remove();
            }
        }
        for (PoolSupervisor p : registry.pools.values()) {
            for (Backend b : p.pool.members()) {
                SeriesRing r = backends.computeIfAbsent(b, x -> new SeriesRing(CAPACITY));
                r.round = round;
                r.add(b.activeConnections(), b.totalConnections(), b.bytesFromBackend(), b.bytesToBackend(), elapsed);
            }
        }
        for (Iterator<SeriesRing> it = backends.values().iterator(); it.hasNext(); ) {
            if (it.next().round != round) {
                it.remove();
            }
        }
    }

    private static long count(Counter c) {
        return c == null ? 0 : (long) c.count();
    }

    /** The rings of the listeners and backends running now, in config order. */
    TrafficHistory history() {
        List<TrafficHistory.Series> ls = new ArrayList<>();
        for (ProxyListener l : registry.listeners.values()) {
            ListenerSeries s = listeners.get(l);
            if (s != null) {
                ls.add(s.ring.copy(l.name(), null));
            }
        }
        List<TrafficHistory.Series> bs = new ArrayList<>();
        for (PoolSupervisor p : registry.pools.values()) {
            for (Backend b : p.pool.members()) {
                SeriesRing r = backends.get(b);
                if (r != null) {
                    bs.add(r.copy(b.id(), p.pool.name()));
                }
            }
        }
        return new TrafficHistory(intervalMillis, CAPACITY, sampledAtMillis, ls, bs);
    }
}
