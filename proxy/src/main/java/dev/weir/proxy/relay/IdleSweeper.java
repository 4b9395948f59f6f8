package dev.weir.proxy.relay;

import dev.weir.proxy.metrics.CloseReason;
import io.netty.channel.EventLoop;
import io.netty.util.concurrent.FastThreadLocal;
import io.netty.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;

/**
 * idle-timeout for the connections of one event loop: a sweep over them every tick closes those
 * whose last read (either socket) is older than their listener's idle-timeout. Instead of a
 * handler, its context and a scheduled task per connection (Netty's IdleStateHandler, which also
 * adds a promise and a listener to every write), a connection costs two list links and a
 * timestamp. The tick is a quarter of the shortest idle-timeout seen, between 10 ms and 1 s, so a
 * connection closes within that much after its idle-timeout. Only its loop's thread touches it.
 */
final class IdleSweeper implements Runnable {

    private static final FastThreadLocal<IdleSweeper> PER_LOOP = new FastThreadLocal<>();
    private static final long MIN_TICK = TimeUnit.MILLISECONDS.toNanos(10);
    private static final long MAX_TICK = TimeUnit.SECONDS.toNanos(1);

    private final EventLoop loop;
    private Connection head;
    private long tick = MAX_TICK;
    /** The next sweep, null when none is pending (the list was empty). */
    private ScheduledFuture<?> next;

    private IdleSweeper(EventLoop loop) {
        this.loop = loop;
    }

    /** The sweeper of {@code loop}; called on that loop's thread. */
    static IdleSweeper of(EventLoop loop) {
        IdleSweeper s = PER_LOOP.get();
        if (s == null) {
            s = new IdleSweeper(loop);
            PER_LOOP.set(s);
        }
        return s;
    }

    void add(Connection c) {
        c.idleNext = head;
        if (head != null) {
            head.idlePrev = c;
        }
        head = c;
        long t = Math.max(MIN_TICK, Math.min(MAX_TICK, c.idleNanos() / 4));
        if (next == null || t < tick) {
            // A shorter tick replaces the pending sweep: one chain of sweeps per loop, never two.
            tick = Math.min(tick, t);
            if (next != null) {
                next.cancel(false);
            }
            next = loop.schedule(this, tick, TimeUnit.NANOSECONDS);
        }
    }

    void remove(Connection c) {
        if (c.idlePrev != null) {
            c.idlePrev.idleNext = c.idleNext;
        } else if (head == c) {
            head = c.idleNext;
        } else {
            return; // not listed (removed already)
        }
        if (c.idleNext != null) {
            c.idleNext.idlePrev = c.idlePrev;
        }
        c.idlePrev = null;
        c.idleNext = null;
    }

    @Override
    public void run() {
        long now = System.nanoTime();
        for (Connection c = head; c != null; ) {
            Connection next = c.idleNext;
            if (c.idleAt(now)) {
                c.close(CloseReason.IDLE_TIMEOUT);
            }
            c = next;
        }
        if (head == null) {
            next = null;
            tick = MAX_TICK;
        } else {
            next = loop.schedule(this, tick, TimeUnit.NANOSECONDS);
        }
    }
}
