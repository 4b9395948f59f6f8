package dev.weir.it;

import org.junit.jupiter.api.extension.AfterAllCallback;
import org.junit.jupiter.api.extension.BeforeAllCallback;
import org.junit.jupiter.api.extension.ExtensionContext;
import org.testcontainers.lifecycle.Startables;

import java.util.ArrayList;
import java.util.List;
import java.util.function.Function;

/**
 * What most scenarios run: backend-sample containers svc-a, svc-b, ... started together, then one Weir container
 * whose listener web (127.0.0.1) serves the pools the test writes. Every container binds port 0; the ports come
 * from their logs ({@link Containers.Sample#address()}, {@link WeirContainer#port()}).
 *
 * <p>A JUnit extension: {@code @RegisterExtension static final Stack stack = new Stack(...)} starts it before the
 * class's tests and stops it after them.
 */
final class Stack implements BeforeAllCallback, AfterAllCallback {

    private final String label;
    private final int backends;
    private final Function<Containers.Sample[], String> poolsFor;
    List<Containers.Sample> samples = List.of();
    WeirContainer weir;
    private String pools;

    /**
     * {@code backends} samples, then Weir with listener web on port 0 followed by what {@code pools} writes: the rest
     * of weir.yaml ({@code pools:} and after), for the started samples, in name order.
     */
    Stack(String label, int backends, Function<Containers.Sample[], String> pools) {
        this.label = label;
        this.backends = backends;
        this.poolsFor = pools;
    }

    @Override
    public void beforeAll(ExtensionContext context) {
        List<Containers.Sample> started = new ArrayList<>();
        for (int i = 0; i < backends; i++) {
            started.add(new Containers.Sample("svc-" + (char) ('a' + i)));
        }
        WeirContainer w = null;
        try {
            Startables.deepStart(started).join();
            String rest = poolsFor.apply(started.toArray(Containers.Sample[]::new));
            w = new WeirContainer(label, ConfigDir.create().write(Snippets.listener(0) + rest));
            w.start();
            samples = List.copyOf(started);
            weir = w;
            pools = rest;
        } catch (RuntimeException e) {
            stopAll(w, started);
            throw e;
        }
    }

    /** Stops Weir, then the samples; nothing after a start that failed (it stopped what it had started). */
    @Override
    public void afterAll(ExtensionContext context) {
        if (weir != null) {
            stopAll(weir, samples);
        }
    }

    /** The port Weir's listener web bound. */
    int port() {
        return weir.port();
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

    private static void stopAll(WeirContainer weir, List<Containers.Sample> samples) {
        List<Containers.Base<?>> all = new ArrayList<>();
        all.add(weir);
        all.addAll(samples);
        Containers.stopAll(all.toArray(Containers.Base<?>[]::new));
    }
}
