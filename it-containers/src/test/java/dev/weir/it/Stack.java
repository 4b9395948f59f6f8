package dev.weir.it;

import org.testcontainers.lifecycle.Startables;

import java.util.ArrayList;
import java.util.List;
import java.util.function.Function;

/**
 * What most scenarios run: backend-sample containers svc-a, svc-b, ... started together, then one Weir container
 * whose listener web (127.0.0.1) serves the pools the test writes. Every container binds port 0; the ports come
 * from their logs ({@link Containers.Sample#address()}, {@link WeirContainer#port()}).
 */
final class Stack {

    final List<Containers.Sample> samples;
    final WeirContainer weir;
    private final String pools;

    private Stack(List<Containers.Sample> samples, WeirContainer weir, String pools) {
        this.samples = samples;
        this.weir = weir;
        this.pools = pools;
    }

    /**
     * Starts {@code backends} samples, then Weir with listener web on port 0 followed by {@code pools}, the rest of
     * weir.yaml ({@code pools:} and after), written for the started samples, in name order.
     */
    static Stack start(String label, int backends, Function<Containers.Sample[], String> pools) {
        List<Containers.Sample> samples = new ArrayList<>();
        for (int i = 0; i < backends; i++) {
            samples.add(new Containers.Sample("svc-" + (char) ('a' + i)));
        }
        WeirContainer weir = null;
        try {
            Startables.deepStart(samples).join();
            String rest = pools.apply(samples.toArray(Containers.Sample[]::new));
            weir = new WeirContainer(label, ConfigDir.create().write(Snippets.listener(0) + rest));
            weir.start();
            return new Stack(List.copyOf(samples), weir, rest);
        } catch (RuntimeException e) {
            stopAll(weir, samples);
            throw e;
        }
    }

    /** The sample named {@code name}. */
    Containers.Sample sample(String name) {
        return samples.stream().filter(s -> s.name.equals(name)).findFirst()
                .orElseThrow(() -> new IllegalArgumentException(name + " is not among " + samples));
    }

    /**
     * Rewrites weir.yaml with the listener and admin ports Weir bound at its start in place of 0, the rest unchanged:
     * a restart of the container then binds those ports again.
     */
    void pinPorts() {
        weir.config.adminPort(weir.adminPort()).write(Snippets.listener(weir.port()) + pools);
    }

    /** Stops Weir, then the samples; null (a start that failed, and stopped what it had started) is skipped. */
    static void stop(Stack stack) {
        if (stack != null) {
            stopAll(stack.weir, stack.samples);
        }
    }

    private static void stopAll(WeirContainer weir, List<Containers.Sample> samples) {
        List<Containers.Base<?>> all = new ArrayList<>();
        all.add(weir);
        all.addAll(samples);
        Containers.stopAll(all.toArray(Containers.Base<?>[]::new));
    }
}
