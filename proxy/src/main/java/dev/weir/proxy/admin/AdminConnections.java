package dev.weir.proxy.admin;

import io.netty.channel.Channel;
import io.netty.channel.ChannelOption;
import java.net.InetAddress;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.Iterator;
import java.util.LinkedHashSet;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Which admin connections stay open: at most {@code max} in all, and at most the per-client limit from one source
 * address. A new connection that would pass a limit makes room by closing the connection of that set that has waited
 * longest for a request (one that owes no answer: {@link RequestClock#waiting()}), as nginx reuses its idle
 * keep-alive connections; only when every one of them is being answered is the new one refused, with an RST. So
 * clients that connect and send nothing can never hold the slots a health probe needs: the probe sends its request
 * at once, and idlers are the first to go.
 *
 * <p>Thread rule: everything runs on the one admin event loop, except {@link #limits}, which the control thread calls
 * on a reload (volatile fields, read at each accept and each request).
 */
final class AdminConnections {

    private static final Logger log = LoggerFactory.getLogger(AdminConnections.class);
    private static final long LOG_EVERY_NANOS = TimeUnit.SECONDS.toNanos(1);

    private final int max;
    private volatile int perClient;
    private volatile Duration headerTimeout;
    // Admin loop only. Counted connections, the one that has waited longest for a request first.
    private final LinkedHashSet<RequestClock> byWait = new LinkedHashSet<>();
    private final Map<InetAddress, Integer> perSource = new HashMap<>();
    private final FloodLog refusedLog = new FloodLog(true);
    private final FloodLog closedLog = new FloodLog(false);

    AdminConnections(int max, int perClient, Duration headerTimeout) {
        this.max = max;
        limits(perClient, headerTimeout);
    }

    /** From the next accept and the next request on. */
    void limits(int perClient, Duration headerTimeout) {
        this.perClient = perClient;
        this.headerTimeout = Objects.requireNonNull(headerTimeout);
    }

    Duration headerTimeout() {
        return headerTimeout;
    }

    /** At accept: true when {@code c} may stay (another may have been closed for it); false when it was refused. */
    boolean admit(RequestClock c) {
        InetAddress source = c.source();
        int limit = perClient;
        if (perSource.getOrDefault(source, 0) >= limit) {
            if (!closeLongestWaiting(source, "client_limit", "max_connections_per_client", limit)) {
                return refuse(c, "client_limit", "max_connections_per_client", limit);
            }
        } else if (byWait.size() >= max && !closeLongestWaiting(null, "limit", "max_connections", max)) {
            return refuse(c, "limit", "max_connections", max);
        }
        c.counted = true;
        byWait.add(c);
        perSource.merge(source, 1, Integer::sum);
        c.channel().closeFuture().addListener(f -> forget(c));
        return true;
    }

    /** {@code c} owes no answer again: it goes to the end of the line of those that may make room. */
    void waiting(RequestClock c) {
        if (byWait.remove(c)) {
            byWait.add(c);
        }
    }

    /** Closes every connection (before the loop stops: see {@code AdminServer.closeConnections}). */
    void closeAll() {
        for (RequestClock c : new ArrayList<>(byWait)) {
            c.channel().close();
        }
    }

    /** Closes the connection (from {@code source}, or any when null) that has waited longest; false when none waits. */
    private boolean closeLongestWaiting(InetAddress source, String reason, String limitName, int limit) {
        for (Iterator<RequestClock> it = byWait.iterator(); it.hasNext(); ) {
            RequestClock c = it.next();
            if ((source == null || Objects.equals(source, c.source())) && c.waiting()) {
                forget(c);
                c.channel().close();
                closedLog.event(() -> "admin connection closed to make room reason=" + reason + " " + limitName + "="
                        + limit);
                return true;
            }
        }
        return false;
    }

    private boolean refuse(RequestClock c, String reason, String limitName, int limit) {
        Channel ch = c.channel();
        ch.config().setOption(ChannelOption.SO_LINGER, 0);
        ch.close();
        refusedLog.event(() -> "admin connection refused reason=" + reason + " " + limitName + "=" + limit
                + " client=" + (c.source() == null ? "?" : c.source().getHostAddress()));
        return false;
    }

    private void forget(RequestClock c) {
        if (!c.counted) {
            return;
        }
        c.counted = false;
        byWait.remove(c);
        perSource.computeIfPresent(c.source(), (k, n) -> n == 1 ? null : n - 1);
    }

    /** A flood is logged once per second with the count since the last line, not once per connection. */
    private static final class FloodLog {
        private final boolean warn;
        private long count;
        private long lastNanos;
        private boolean logged;

        FloodLog(boolean warn) {
            this.warn = warn;
        }

        void event(Supplier<String> line) {
            count++;
            long now = System.nanoTime();
            if (!logged || now - lastNanos >= LOG_EVERY_NANOS) {
                if (warn) {
                    log.warn("{} count={}", line.get(), count);
                } else {
                    log.info("{} count={}", line.get(), count);
                }
                count = 0;
                lastNanos = now;
                logged = true;
            }
        }
    }
}
