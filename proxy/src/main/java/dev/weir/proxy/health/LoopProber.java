package dev.weir.proxy.health;

import dev.weir.proxy.config.HealthCheckConfig;
import io.netty.channel.EventLoop;
import java.net.InetSocketAddress;
import java.util.function.Consumer;

/**
 * Runs another prober's probes on an I/O event loop while the health state lives on another thread (the proxy's
 * control thread, which is no event loop and cannot own sockets): each probe starts and is aborted on the loop,
 * and its result is handed back to the state thread, where an aborted probe's late result is dropped.
 *
 * <p>Thread rule: {@link #probe} and {@link Handle#abort} on the state thread; the wrapped prober on the loop.
 */
final class LoopProber implements Prober {

    private final Prober probes;
    private final EventLoop loop;
    private final Scheduler state;

    LoopProber(Prober probes, EventLoop loop, Scheduler state) {
        this.probes = probes;
        this.loop = loop;
        this.state = state;
    }

    /** The prober it runs on the loop. */
    Prober probes() {
        return probes;
    }

    @Override
    public Handle probe(InetSocketAddress target, HealthCheckConfig check, Consumer<Result> done) {
        OnLoop h = new OnLoop();
        loop.execute(() -> {
            if (!h.abortedOnLoop) {
                h.running = probes.probe(target, check, r -> state.execute(() -> {
                    if (!h.aborted) {
                        done.accept(r);
                    }
                }));
            }
        });
        return h;
    }

    private final class OnLoop implements Handle {
        /** State thread only. */
        private boolean aborted;
        /** Loop only. */
        private boolean abortedOnLoop;
        private Handle running;

        @Override
        public void abort() {
            aborted = true;
            loop.execute(() -> {
                abortedOnLoop = true;
                if (running != null) {
                    running.abort();
                }
            });
        }
    }
}
