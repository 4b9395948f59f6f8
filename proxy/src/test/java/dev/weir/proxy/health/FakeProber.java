package dev.weir.proxy.health;

import dev.weir.proxy.config.HealthCheckConfig;
import java.net.InetSocketAddress;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Consumer;

/** Scripted probe results in virtual time: each probe completes {@code latency} ms after it starts. */
final class FakeProber implements Prober {

    record Probe(long atMillis, InetSocketAddress target) {
    }

    private final ManualScheduler scheduler;
    final List<Probe> probes = new ArrayList<>();
    long latency = 10;
    int aborted;
    private String failure;

    FakeProber(ManualScheduler scheduler) {
        this.scheduler = scheduler;
    }

    /** Every later probe passes. */
    void up() {
        failure = null;
    }

    /** Every later probe fails with this cause. */
    void down(String cause) {
        failure = cause;
    }

    List<Long> times() {
        return probes.stream().map(Probe::atMillis).toList();
    }

    @Override
    public Handle probe(InetSocketAddress target, HealthCheckConfig check, Consumer<Result> done) {
        probes.add(new Probe(scheduler.now(), target));
        String cause = failure;
        Result r = cause == null ? Result.pass(latency) : Result.fail(cause, latency);
        Scheduler.Timer t = scheduler.schedule(() -> done.accept(r), latency);
        return () -> {
            aborted++;
            t.cancel();
        };
    }
}
