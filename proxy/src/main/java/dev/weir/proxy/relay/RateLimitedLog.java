package dev.weir.proxy.relay;

import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import org.slf4j.Logger;

/** Logs an event at most once per second, with how many happened since the last line. Any thread. */
final class RateLimitedLog {

    private static final long EVERY_NANOS = TimeUnit.SECONDS.toNanos(1);

    private final Logger log;
    private final AtomicLong last = new AtomicLong(System.nanoTime() - EVERY_NANOS);
    private final AtomicLong count = new AtomicLong();

    RateLimitedLog(Logger log) {
        this.log = log;
    }

    /** Counts one event; logs {@code format} with the count appended as the last argument when a second has passed. */
    void warn(String format, Object... args) {
        log(true, format, args);
    }

    /** As {@link #warn} at INFO: for refusals that are the client's doing, not the operator's problem. */
    void info(String format, Object... args) {
        log(false, format, args);
    }

    private void log(boolean warn, String format, Object... args) {
        long n = count.incrementAndGet();
        long now = System.nanoTime();
        long before = last.get();
        if (now - before >= EVERY_NANOS && last.compareAndSet(before, now)) {
            count.addAndGet(-n);
            Object[] all = java.util.Arrays.copyOf(args, args.length + 1);
            all[args.length] = n;
            if (warn) {
                log.warn(format, all);
            } else {
                log.info(format, all);
            }
        }
    }
}
