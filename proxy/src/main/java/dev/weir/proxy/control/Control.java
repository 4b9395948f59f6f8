package dev.weir.proxy.control;

import io.netty.util.concurrent.DefaultEventExecutor;
import io.netty.util.concurrent.DefaultThreadFactory;
import io.netty.util.concurrent.EventExecutor;
import io.netty.util.concurrent.Future;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.TimeUnit;

/**
 * The control thread ({@code weir-control}): every change to the control plane runs on it, one at a time, so
 * the state it owns needs no locks. That is reload, every operator API call, DNS discovery results, health
 * verdicts, drain deadlines and the removal of a backend after its last connection. Other threads hand it
 * work: events with {@link #execute}, and callers that need the answer (a test, SIGHUP, the file watcher)
 * with {@link #call}, which waits. The data path never waits for it: it reads published immutable snapshots.
 *
 * <p>Thread rule: any thread may call {@link #execute}; {@link #call} from any thread but an event loop (it
 * waits, and runs the task at once when already on the control thread).
 */
final class Control {

    /** A task that returns an answer and may throw {@code E}. */
    @FunctionalInterface
    interface Task<T, E extends Exception> {
        T run() throws E;
    }

    private final EventExecutor executor = new DefaultEventExecutor(new DefaultThreadFactory("weir-control", true));

    /** The executor itself, for the pool (its drain timers) and the admin endpoint (its API calls). */
    EventExecutor executor() {
        return executor;
    }

    boolean inThread() {
        return executor.inEventLoop();
    }

    /** Runs {@code event} on the control thread later; dropped once the proxy has stopped (nothing left to change). */
    void execute(Runnable event) {
        try {
            executor.execute(event);
        } catch (RejectedExecutionException stopped) {
            // Shutdown closed the control thread: a late health verdict or DNS answer changes nothing now.
        }
    }

    /**
     * Runs {@code task} on the control thread and returns its answer, or throws what it threw: at once when called
     * there, else after the calls queued before it.
     */
    @SuppressWarnings("unchecked")
    <T, E extends Exception> T call(Task<T, E> task) throws E {
        if (inThread()) {
            return task.run();
        }
        Future<T> f;
        try {
            f = executor.submit(task::run);
        } catch (RejectedExecutionException e) {
            throw new IllegalStateException("shutting down", e);
        }
        f.awaitUninterruptibly();
        if (f.isSuccess()) {
            return f.getNow();
        }
        Throwable cause = f.cause();
        if (cause instanceof RuntimeException r) {
            throw r;
        }
        if (cause instanceof Error err) {
            throw err;
        }
        throw (E) cause;
    }

    /** {@link #call} for a task without an answer. */
    void run(Runnable task) {
        call(() -> {
            task.run();
            return null;
        });
    }

    /** Runs what is queued, then stops the thread; false when it was still busy after {@code seconds}. */
    boolean stop(long seconds) {
        return executor.shutdownGracefully(0, seconds, TimeUnit.SECONDS).awaitUninterruptibly(seconds + 1, TimeUnit.SECONDS);
    }
}
