package dev.weir.it;

import java.util.concurrent.TimeUnit;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * Steady client load: {@code threads} clients, each on its own 127.{block}.0.x source address, one short
 * connection after another ({@code whoami}, answer, close), with a short pause between. Every connection's outcome
 * is kept with the time it started.
 */
final class Load implements AutoCloseable {

    record Outcome(long startNanos, long endNanos, String source, String backend, String error) {
        boolean ok() {
            return error == null;
        }
    }

    private final int port;
    private final AtomicBoolean running = new AtomicBoolean(true);
    private final ConcurrentLinkedQueue<Outcome> outcomes = new ConcurrentLinkedQueue<>();
    private final List<Thread> threads = new ArrayList<>();

    private Load(int port) {
        this.port = port;
    }

    static Load start(int port, int threads, int block, long pauseMillis) {
        Load load = new Load(port);
        for (int i = 0; i < threads; i++) {
            String source = Net.distinctSource(block, i);
            Thread t = new Thread(() -> load.run(source, pauseMillis), "load-" + source);
            t.setDaemon(true);
            load.threads.add(t);
            t.start();
        }
        return load;
    }

    private void run(String source, long pauseMillis) {
        while (running.get()) {
            long start = System.nanoTime();
            String backend = null;
            String error = null;
            try {
                backend = Net.whoami(source, port);
            } catch (Exception e) {
                error = e.toString();
            }
            outcomes.add(new Outcome(start, System.nanoTime(), source, backend, error));
            // Pace the loop (a client every pauseMillis), not a synchronisation: parkNanos returns early on close.
            java.util.concurrent.locks.LockSupport.parkNanos(TimeUnit.MILLISECONDS.toNanos(pauseMillis));
            if (Thread.currentThread().isInterrupted()) {
                return;
            }
        }
    }

    /** Stops the clients and waits for their last connections. */
    @Override
    public void close() throws InterruptedException {
        running.set(false);
        for (Thread t : threads) {
            t.join(10_000);
        }
    }

    List<Outcome> outcomes() {
        return new ArrayList<>(outcomes);
    }

    List<Outcome> failures() {
        return outcomes.stream().filter(o -> !o.ok()).toList();
    }

    /** Connections started at or after {@code nanos}. */
    List<Outcome> startedAfter(long nanos) {
        return outcomes.stream().filter(o -> o.startNanos() >= nanos).toList();
    }

    int count() {
        return outcomes.size();
    }

    static Map<String, Integer> byBackend(List<Outcome> outcomes) {
        Map<String, Integer> counts = new TreeMap<>();
        for (Outcome o : outcomes) {
            if (o.ok()) {
                counts.merge(o.backend(), 1, Integer::sum);
            }
        }
        return counts;
    }
}
