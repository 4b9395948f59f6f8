package dev.weir.proxy.relay;

import dev.weir.proxy.api.ConnectionList;
import dev.weir.proxy.api.ConnectionStatus;
import dev.weir.proxy.api.ConnectionStatus.State;
import dev.weir.proxy.backend.AdminState;
import dev.weir.proxy.backend.Backend;
import io.netty.channel.Channel;
import io.netty.channel.ChannelPipeline;
import io.netty.channel.EventLoop;
import io.netty.channel.socket.DuplexChannel;
import io.netty.handler.ssl.SslHandler;
import io.netty.util.concurrent.Future;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Map;
import java.util.PriorityQueue;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.TimeUnit;

/**
 * A bounded snapshot of a listener's live connections for the admin API: the oldest {@code limit} are chosen by their
 * start time (final, so readable anywhere), then each is read on its own event loop, one task per loop, so no other
 * field of a {@link Connection} is read from another thread. A connection that closed meanwhile is left out.
 *
 * <p>Thread rule: {@link #take} runs on the control thread, or any thread but an event loop (it waits for the loops,
 * at most {@code waitMillis}); {@link #readAll} runs on the connections' own loop.
 */
final class ConnectionSnapshots {

    /** The oldest first; ties (same nanosecond) in any order. */
    private static final Comparator<Connection> OLDEST_FIRST = Comparator.comparingLong(Connection::startNanos);

    private ConnectionSnapshots() {
    }

    /**
     * @param live       the listener's live set (concurrent: connections come and go meanwhile)
     * @param limit      at most this many are read (at least 1)
     * @param waitMillis how long the loops have, all together, to answer
     */
    static ConnectionList take(Iterable<Connection> live, int limit, long waitMillis) {
        // A max-heap of the oldest `limit`: O(n log limit) for a listener with many connections.
        PriorityQueue<Connection> oldest = new PriorityQueue<>(Math.max(1, Math.min(limit, 1024)), OLDEST_FIRST.reversed());
        int total = 0;
        for (Connection c : live) {
            total++;
            oldest.add(c);
            if (oldest.size() > limit) {
                oldest.poll();
            }
        }
        List<Connection> chosen = new ArrayList<>(oldest);
        chosen.sort(OLDEST_FIRST);
        Map<EventLoop, List<Connection>> byLoop = new IdentityHashMap<>();
        for (Connection c : chosen) {
            byLoop.computeIfAbsent(c.eventLoop(), l -> new ArrayList<>()).add(c);
        }
        List<Future<Map<Connection, ConnectionStatus>>> asked = new ArrayList<>(byLoop.size());
        boolean complete = true;
        for (Map.Entry<EventLoop, List<Connection>> e : byLoop.entrySet()) {
            List<Connection> mine = e.getValue();
            try {
                asked.add(e.getKey().submit(() -> readAll(mine)));
            } catch (RejectedExecutionException stopping) {
                complete = false;
            }
        }
        long deadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(waitMillis);
        Map<Connection, ConnectionStatus> read = new IdentityHashMap<>();
        for (Future<Map<Connection, ConnectionStatus>> f : asked) {
            long left = Math.max(0, deadline - System.nanoTime());
            if (f.awaitUninterruptibly(left, TimeUnit.NANOSECONDS) && f.isSuccess()) {
                read.putAll(f.getNow());
            } else {
                f.cancel(false);
                complete = false;
            }
        }
        List<ConnectionStatus> out = new ArrayList<>(read.size());
        for (Connection c : chosen) {
            ConnectionStatus s = read.get(c);
            if (s != null) {
                out.add(s);
            }
        }
        return new ConnectionList(total, out, complete);
    }

    /** On the connections' loop: each one still open, as it is now. */
    private static Map<Connection, ConnectionStatus> readAll(List<Connection> mine) {
        long nowNanos = System.nanoTime();
        long nowMillis = System.currentTimeMillis();
        Map<Connection, ConnectionStatus> out = new IdentityHashMap<>(mine.size() * 2);
        for (Connection c : mine) {
            if (c.clientOpen()) {
                out.put(c, read(c, nowNanos, nowMillis));
            }
        }
        return out;
    }

    private static ConnectionStatus read(Connection c, long nowNanos, long nowMillis) {
        long ageMillis = TimeUnit.NANOSECONDS.toMillis(nowNanos - c.startNanos());
        Backend b = c.backend();
        return new ConnectionStatus(c.clientAddress(), c.destination(), state(c), c.pool().name(),
                b == null ? null : b.id(), nowMillis - ageMillis, ageMillis, c.bytes().fromClient(), c.bytes().fromBackend(),
                c.tls());
    }

    /** Derived from what the connection holds: its backend, its pipeline (the readers in front remove themselves). */
    private static State state(Connection c) {
        Backend b = c.backend();
        if (b != null) {
            if (b.admin() == AdminState.DRAINING || b.removed()) {
                return State.DRAINING;
            }
            return inputShut(c.client()) || inputShut(c.backendChannel()) ? State.HALF_CLOSED : State.RELAYING;
        }
        ChannelPipeline p = c.client().pipeline();
        if (p.get("proxy-header") != null || p.get("sni") != null) {
            return State.OPENING;
        }
        // The terminating handler ("tls") replaces itself with an SslHandler once it has read the ClientHello.
        if (c.tls() == null && (p.get("tls") != null || p.get(SslHandler.class) != null)) {
            return State.HANDSHAKING;
        }
        return State.CONNECTING;
    }

    private static boolean inputShut(Channel ch) {
        return ch instanceof DuplexChannel d && d.isInputShutdown();
    }
}
