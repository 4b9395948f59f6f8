package dev.weir.proxy.relay;

import dev.weir.proxy.config.EdgeConfig;
import dev.weir.proxy.metrics.CloseReason;
import java.net.InetAddress;
import java.util.concurrent.ConcurrentHashMap;

/**
 * {@code per-client}: live connections and a token-bucket connect rate per source IP. The table is
 * bounded: entries with no live connection and a full bucket are swept out, and beyond
 * {@link #MAX_ENTRIES} sources new ones are refused (counted like any other reject) rather than
 * letting memory grow with an attacker's address space.
 */
final class PerClientLimiter {

    static final int MAX_ENTRIES = 100_000;

    private final ConcurrentHashMap<InetAddress, Entry> table = new ConcurrentHashMap<>();
    private volatile EdgeConfig.PerClient config;

    PerClientLimiter(EdgeConfig.PerClient config) {
        this.config = config;
    }

    void update(EdgeConfig.PerClient config) {
        this.config = config;
    }

    int size() {
        return table.size();
    }

    /** Admits one new connection from {@code ip}: null when allowed (then {@link #release} it later), else why not. */
    CloseReason admit(InetAddress ip) {
        EdgeConfig.PerClient cfg = config;
        if (cfg == null) {
            return null;
        }
        Entry e = table.get(ip);
        if (e == null) {
            if (table.size() >= MAX_ENTRIES) {
                sweep();
                if (table.size() >= MAX_ENTRIES) {
                    return CloseReason.CLIENT_LIMIT;
                }
            }
            e = table.computeIfAbsent(ip, k -> new Entry(cfg.connectRatePerSecond()));
        }
        synchronized (e) {
            if (cfg.maxConnections() > 0 && e.live >= cfg.maxConnections()) {
                return CloseReason.CLIENT_LIMIT;
            }
            if (cfg.connectRatePerSecond() > 0 && !e.take(cfg.connectRatePerSecond())) {
                return CloseReason.CLIENT_RATE;
            }
            e.live++;
        }
        return null;
    }

    void release(InetAddress ip) {
        Entry e = table.get(ip);
        if (e != null) {
            synchronized (e) {
                e.live--;
            }
        }
    }

    /** Drops sources with nothing live and a full bucket (they would be created identical). */
    void sweep() {
        double rate = config == null ? 0 : config.connectRatePerSecond();
        long now = System.nanoTime();
        table.entrySet().removeIf(en -> {
            Entry e = en.getValue();
            synchronized (e) {
                return e.live == 0 && (rate <= 0 || e.tokensAt(now, rate) >= Entry.capacity(rate));
            }
        });
    }

    /** One source: live count and a token bucket of capacity {@code rate} (one second's worth). */
    private static final class Entry {
        int live;
        double tokens;
        long stampNanos = System.nanoTime();

        Entry(double rate) {
            this.tokens = capacity(rate);
        }

        /** One second's worth, and at least one connection, so a rate below 1/s still admits someone. */
        static double capacity(double rate) {
            return Math.max(1, rate);
        }

        double tokensAt(long now, double rate) {
            return Math.min(capacity(rate), tokens + (now - stampNanos) / 1e9 * rate);
        }

        boolean take(double rate) {
            long now = System.nanoTime();
            tokens = tokensAt(now, rate);
            stampNanos = now;
            if (tokens >= 1) {
                tokens -= 1;
                return true;
            }
            return false;
        }
    }
}
