package dev.weir.proxy.relay;

import dev.weir.proxy.api.ConnectionList;
import dev.weir.proxy.metrics.CloseReason;
import io.netty.channel.EventLoop;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * A listener's live connections: the set shutdown drains and closes, and the count max-connections is held to.
 *
 * <p>Thread rule: connections join and leave on their own event loops, all at once (a concurrent set); the
 * readers and {@link #closeAll}/{@link #awaitIdle} run on the control or shutdown thread and hop to each
 * connection's loop to close it, or to read it ({@link #list}).
 */
final class LiveConnections {

    private final Set<Connection> live = ConcurrentHashMap.newKeySet();
    /** Accepted and not yet closed: the limiter counts here at accept time, before a Connection exists. */
    private final AtomicInteger accepted = new AtomicInteger();

    /** The counter the accept limiter increments and the close decrements. */
    AtomicInteger acceptedCounter() {
        return accepted;
    }

    void add(Connection c) {
        live.add(c);
    }

    void remove(Connection c) {
        live.remove(c);
    }

    /** Live client connections (as counted at accept). */
    int active() {
        return accepted.get();
    }

    /** Live connections served by {@code loop} (read racily, at scrape time: nothing on the connection path). */
    int on(EventLoop loop) {
        int n = 0;
        for (Connection c : live) {
            if (c.eventLoop() == loop) {
                n++;
            }
        }
        return n;
    }

    /** Connections whose client socket is still open (exact at shutdown, unlike the accept counter). */
    int open() {
        int n = 0;
        for (Connection c : live) {
            if (c.clientOpen()) {
                n++;
            }
        }
        return n;
    }

    /** Bytes held in Weir's output queues for these connections (read racily; for tests and status). */
    long bufferedBytes() {
        long sum = 0;
        for (Connection c : live) {
            sum += c.bufferedBytes();
        }
        return sum;
    }

    /** Up to {@code limit} live connections, the oldest first, each read on its own loop (see {@link ConnectionSnapshots}). */
    ConnectionList list(int limit, long waitMillis) {
        return ConnectionSnapshots.take(live, limit, waitMillis);
    }

    /** Closes every live connection with {@code reason}; returns when all are closed. */
    void closeAll(CloseReason reason) throws InterruptedException {
        for (Connection c : live) {
            c.closeFromElsewhere(reason);
        }
        for (Connection c : live) {
            c.awaitClosed();
        }
    }

    /** Waits until no connection is live or the deadline (System.nanoTime) passes; true if none is left. */
    boolean awaitIdle(long deadlineNanos) throws InterruptedException {
        for (Connection c : live) {
            long left = deadlineNanos - System.nanoTime();
            if (left <= 0 || !c.awaitClosed(TimeUnit.NANOSECONDS.toMillis(left) + 1)) {
                return live.isEmpty();
            }
        }
        return live.isEmpty();
    }
}
