package dev.weir.proxy.metrics;

import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.LongAdder;
import java.util.concurrent.locks.LockSupport;
import java.util.function.Consumer;
import java.util.function.LongSupplier;
import org.slf4j.Logger;

/**
 * A bounded queue of lines and the one thread that writes them, so that whoever logs never waits for the output:
 * {@link #offer} takes the line or, when the queue is full, drops and counts it. The thread writes the lines in
 * the order they were offered, and says how many it dropped at most once per {@link #SUMMARY_INTERVAL_NANOS}.
 *
 * <p>It naps {@link #NAP_NANOS} between batches while lines keep coming, so that a busy caller never pays for a
 * wake-up; after {@link #NAPS_BEFORE_SLEEP} empty naps it sleeps until the next line, whose caller then wakes it
 * (one unpark): an idle proxy's writer uses no CPU.
 *
 * <p>Thread rule: {@link #offer} from any thread (the event loops); {@link #start} and {@link #close} from one
 * thread at a time (the control thread, the stop); everything else runs on the writer thread.
 */
final class AccessLogWriter<T> {

    static final long NAP_NANOS = TimeUnit.MILLISECONDS.toNanos(1);
    static final int NAPS_BEFORE_SLEEP = 100;
    static final long SUMMARY_INTERVAL_NANOS = TimeUnit.SECONDS.toNanos(10);
    /** Lines written between two looks at the drop count while the queue stays full. */
    private static final int BATCH = 256;

    private final ArrayBlockingQueue<T> queue;
    private final Consumer<T> sink;
    private final Logger log;
    private final LongSupplier nanoTime;
    private final Thread thread;
    private final LongAdder dropped = new LongAdder();
    private final AtomicBoolean sleeping = new AtomicBoolean();
    private final AtomicBoolean started = new AtomicBoolean();
    private volatile boolean closing;

    // The writer thread's own.
    private long reported;
    private long lastSummary;
    private long quietSince;

    /**
     * @param sink where each line goes, on the writer thread
     * @param log  where the summary of dropped lines goes
     */
    AccessLogWriter(String threadName, int capacity, Consumer<T> sink, Logger log, LongSupplier nanoTime) {
        this.queue = new ArrayBlockingQueue<>(capacity);
        this.sink = sink;
        this.log = log;
        this.nanoTime = nanoTime;
        this.thread = new Thread(this::run, threadName);
        thread.setDaemon(true);
    }

    /** Starts the writer thread, once; lines offered before are kept for it. */
    void start() {
        if (started.compareAndSet(false, true)) {
            thread.start();
        }
    }

    /** Queues {@code line}, or drops and counts it when the queue is full or the writer closed. Never waits. */
    void offer(T line) {
        if (closing || !queue.offer(line)) {
            dropped.increment();
        } else if (sleeping.get() && sleeping.compareAndSet(true, false)) {
            LockSupport.unpark(thread);
        }
    }

    /** Lines dropped since the start. */
    long dropped() {
        return dropped.sum();
    }

    /**
     * Writes what is queued, then stops the writer thread; waits for it at most {@code timeoutMillis}. Lines offered
     * after this are dropped. Returns false when the writer did not finish in time (its output blocked).
     */
    boolean close(long timeoutMillis) throws InterruptedException {
        closing = true;
        if (!started.get()) {
            return true;
        }
        LockSupport.unpark(thread);
        thread.join(timeoutMillis);
        return !thread.isAlive();
    }

    private void run() {
        long now = nanoTime.getAsLong();
        lastSummary = now - SUMMARY_INTERVAL_NANOS;
        quietSince = now;
        int emptyNaps = 0;
        while (true) {
            int written = 0;
            for (T line = queue.poll(); line != null; line = queue.poll()) {
                write(line);
                emptyNaps = 0;
                if (++written % BATCH == 0) {
                    summarise(false);   // a queue that never empties still gets its summaries
                }
            }
            if (closing && queue.isEmpty()) {
                summarise(true);
                return;
            }
            summarise(false);
            if (emptyNaps < NAPS_BEFORE_SLEEP) {
                emptyNaps++;
                LockSupport.parkNanos(this, NAP_NANOS);
                continue;
            }
            sleeping.set(true);
            if (queue.isEmpty() && !closing) {   // an offer after set(true) sees it and unparks
                if (reported < dropped.sum()) {
                    LockSupport.parkNanos(this, lastSummary + SUMMARY_INTERVAL_NANOS - nanoTime.getAsLong());
                } else {
                    LockSupport.park(this);
                }
            }
            sleeping.set(false);
        }
    }

    private void write(T line) {
        try {
            sink.accept(line);
        } catch (RuntimeException e) {
            log.warn("access log line not written", e);
        }
    }

    /**
     * At most once per interval (or now, {@code last} before the writer stops): the lines dropped since the last
     * look that found none new.
     */
    private void summarise(boolean last) {
        long now = nanoTime.getAsLong();
        long total = dropped.sum();
        if (total == reported) {
            quietSince = now;
            return;
        }
        if (!last && now - lastSummary < SUMMARY_INTERVAL_NANOS) {
            return;
        }
        long seconds = Math.max(1, TimeUnit.NANOSECONDS.toSeconds(now - quietSince + TimeUnit.SECONDS.toNanos(1) - 1));
        log.warn("access log dropped {} lines in the last {}s: queue full", total - reported, seconds);
        reported = total;
        lastSummary = now;
        quietSince = now;
    }
}
