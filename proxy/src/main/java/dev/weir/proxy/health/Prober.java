package dev.weir.proxy.health;

import dev.weir.proxy.config.HealthCheckConfig;
import java.net.InetSocketAddress;
import java.util.function.Consumer;

/** Runs one active probe. Sockets in production ({@link SocketProber}); scripted results in tests. */
interface Prober {

    /** The outcome of one probe: one result, however many bytes it took. */
    record Result(boolean ok, String cause, long durationMillis) {
        static Result pass(long durationMillis) {
            return new Result(true, null, durationMillis);
        }

        static Result fail(String cause, long durationMillis) {
            return new Result(false, cause, durationMillis);
        }
    }

    /** Lets the owner abandon a probe in flight: its channel is closed and {@code done} is not called. */
    interface Handle {
        void abort();
    }

    /**
     * Starts a probe from the health loop; {@code done} runs on that loop exactly once, unless the
     * probe is aborted first.
     */
    Handle probe(InetSocketAddress target, HealthCheckConfig check, Consumer<Result> done);
}
