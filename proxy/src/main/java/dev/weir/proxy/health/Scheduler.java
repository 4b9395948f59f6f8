package dev.weir.proxy.health;

import io.netty.util.concurrent.EventExecutor;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;

/**
 * The one thread health state lives on, and its timers. Production uses the control thread (or an event loop); tests use a
 * manual clock so rise/fall and ejection back-off run in virtual time.
 */
interface Scheduler {

    /** A pending timer. Cancelling one that already ran does nothing. */
    interface Timer {
        void cancel();
    }

    /** True on the thread that owns the health state. */
    boolean inLoop();

    /** Runs the task on that thread, later (never inline). */
    void execute(Runnable task);

    Timer schedule(Runnable task, long delayMillis);

    /** Wall-clock time for {@link HealthStatus#lastCheckMillis()}. */
    long currentTimeMillis();

    static Scheduler of(EventExecutor loop) {
        return new Scheduler() {
            @Override
            public boolean inLoop() {
                return loop.inEventLoop();
            }

            @Override
            public void execute(Runnable task) {
                loop.execute(task);
            }

            @Override
            public Timer schedule(Runnable task, long delayMillis) {
                Future<?> f = loop.schedule(task, delayMillis, TimeUnit.MILLISECONDS);
                return () -> f.cancel(false);
            }

            @Override
            public long currentTimeMillis() {
                return System.currentTimeMillis();
            }
        };
    }
}
