package dev.weir.proxy.transport;

import io.netty.channel.SelectStrategy;
import io.netty.util.IntSupplier;
import java.util.function.LongSupplier;

/**
 * An epoll event loop's choice before it would block in {@code epoll_wait}: look for events without blocking for a
 * few microseconds first, so that an answer arriving just after the loop's last send is picked up without a sleep
 * and a wake-up (in a virtual machine, a halted vCPU and an inter-processor interrupt each time; see
 * bench/RESULTS.md, 2026-11-27). One instance per event loop, used only by its thread.
 *
 * <p>The window adapts the way the kernel's halt-polling does. It doubles (up to {@code max}) when events came late in
 * it, halves when none came, and closes below half its starting size. A closed window is tried again once every
 * {@value #PROBE_EVERY} blocks, so an idle or lightly loaded loop spends next to nothing spinning. Between two looks
 * the loop pauses {@value #GAP_NANOS} ns: {@code epoll_wait} called back to back takes the epoll lock that the
 * senders' wake-ups need, and slowed them down in measurements.
 */
final class SpinThenBlock implements SelectStrategy {

    static final long START_NANOS = 2_000;
    static final long GAP_NANOS = 1_000;
    static final int PROBE_EVERY = 64;

    private final long max;
    private final LongSupplier nanoTime;
    private long window;
    private int blocksWhileClosed;

    SpinThenBlock(long maxNanos, LongSupplier nanoTime) {
        this.max = maxNanos;
        this.nanoTime = nanoTime;
        this.window = Math.min(START_NANOS, maxNanos);
    }

    /** The current window in nanoseconds, 0 when closed (for tests). */
    long window() {
        return window;
    }

    @Override
    public int calculateStrategy(IntSupplier selectNow, boolean hasTasks) throws Exception {
        if (hasTasks) {
            return selectNow.get();
        }
        long w = window;
        if (w == 0) {
            if (++blocksWhileClosed < PROBE_EVERY) {
                return SelectStrategy.SELECT;
            }
            blocksWhileClosed = 0;
            w = Math.min(START_NANOS, max);
        }
        long start = nanoTime.getAsLong();
        long end = start + w;
        for (;;) {
            int ready = selectNow.get();
            long now = nanoTime.getAsLong();
            if (ready > 0) {
                window = now - start > w / 2 ? Math.min(max, w * 2) : w;
                return ready;
            }
            if (now - end >= 0) {
                break;
            }
            long next = Math.min(now + GAP_NANOS, end);
            while (nanoTime.getAsLong() - next < 0) {
                Thread.onSpinWait();
            }
        }
        w /= 2;
        window = w < Math.min(START_NANOS, max) / 2 ? 0 : w;
        return SelectStrategy.SELECT;
    }
}
