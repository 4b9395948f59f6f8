package dev.weir.proxy.control;

import dev.weir.proxy.api.ProxyEvent;
import dev.weir.proxy.api.ProxyInfo;
import dev.weir.proxy.api.StatusFeed;
import dev.weir.proxy.api.TrafficHistory;
import io.micrometer.core.instrument.MeterRegistry;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * The status page's feed: the process (version, start, transport, last reload), the traffic history
 * ({@link TrafficSampler}) and the recent events ({@link EventLog}).
 *
 * <p>Thread rule: the history and the events belong to the control thread; each read runs there (at once when
 * called there, as the admin endpoint's API calls are, else it hops there and waits). The rest is final.
 */
final class StatusBoard implements StatusFeed {

    /**
     * The sample interval in milliseconds, a setting for tests (charts that move in a second): the default 5 s keeps
     * 15 minutes in {@link TrafficSampler#CAPACITY} points.
     */
    static final String INTERVAL_PROPERTY = "weir.status.sample-interval-ms";
    private static final long DEFAULT_INTERVAL_MS = 5000;

    private final Control control;
    private final TrafficSampler sampler;
    private final EventLog events;
    private final String transport;
    private final long startedAtMillis = System.currentTimeMillis();

    StatusBoard(Control control, Registry registry, EventLog events, String transport, MeterRegistry meters) {
        this.control = control;
        this.events = events;
        this.transport = transport;
        long interval = Math.max(10, Long.getLong(INTERVAL_PROPERTY, DEFAULT_INTERVAL_MS));
        this.sampler = new TrafficSampler(registry, meters, interval, System::nanoTime, System::currentTimeMillis);
    }

    /** On the control thread, once the listeners run: the first sample now, then every interval. */
    void start() {
        long interval = sampler.intervalMillis();
        control.executor().scheduleAtFixedRate(sampler::sample, 0, interval, TimeUnit.MILLISECONDS);
    }

    @Override
    public ProxyInfo info() {
        return control.call(() -> new ProxyInfo(version(), startedAtMillis, transport, events.lastReload()));
    }

    @Override
    public TrafficHistory history() {
        return control.call(sampler::history);
    }

    @Override
    public List<ProxyEvent> events() {
        return control.call(events::events);
    }

    /** As {@code weir --version} says it: the jar's manifest, {@code dev} when run from classes. */
    static String version() {
        String v = StatusBoard.class.getPackage().getImplementationVersion();
        return v == null ? "dev" : v;
    }
}
