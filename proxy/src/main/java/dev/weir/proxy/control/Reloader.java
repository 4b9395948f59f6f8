package dev.weir.proxy.control;

import dev.weir.proxy.api.ProxyControl;
import dev.weir.proxy.api.ReloadResult;
import dev.weir.proxy.api.StartException;
import dev.weir.proxy.config.Config;
import dev.weir.proxy.config.ConfigException;
import dev.weir.proxy.config.ConfigLoader;
import io.micrometer.core.instrument.Counter;
import java.io.IOException;
import java.nio.file.Path;
import java.util.List;
import java.util.function.BooleanSupplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Reloads: reads the file, plans the change ({@link ReloadPlan}), prepares and commits it, and reports the result
 * (RELOADED / UNCHANGED / FAILED, one summary line, the {@code weir.reloads} counter).
 *
 * <p>Thread rule: the control thread only.
 */
final class Reloader {

    // Logged under the proxy's name, as operators know these lines.
    private static final Logger log = LoggerFactory.getLogger(Weir.class);

    private final Registry registry;
    private final ProxyParts parts;
    private final OperatorApi api;
    private final ProxyControl proxy;
    private final Config startedWith;
    private final Path configFile;
    private final BooleanSupplier stopping;
    private final CertificateWatch certificates;

    /**
     * @param startedWith the config the proxy started with: what transport, event loops and reads really run with
     * @param configFile  the file {@link #reloadFromFile} re-reads; null when there is none
     */
    Reloader(Registry registry, ProxyParts parts, OperatorApi api, ProxyControl proxy, Config startedWith,
             Path configFile, BooleanSupplier stopping) {
        this.registry = registry;
        this.parts = parts;
        this.api = api;
        this.proxy = proxy;
        this.startedWith = startedWith;
        this.configFile = configFile;
        this.stopping = stopping;
        this.certificates = new CertificateWatch(parts.control(), () -> reload(registry.config()));
    }

    /** After a start: the certificate files are watched when the config asks for it. */
    void started() {
        certificates.follow(registry.config());
    }

    /** At shutdown. */
    void stop() {
        certificates.close();
    }

    ReloadResult reloadFromFile() {
        if (configFile == null) {
            return report(ReloadResult.failed(List.of("no config file to reload from")));
        }
        Config next;
        try {
            next = ConfigLoader.load(configFile);
        } catch (ConfigException e) {
            return report(ReloadResult.failed(e.errors()));
        } catch (IOException e) {
            return report(ReloadResult.failed(List.of(configFile + ": cannot read (" + e.getMessage() + ")")));
        }
        return reload(next);
    }

    /**
     * Applies {@code next} in place: pools are updated (backend states, counters and live connections survive),
     * removed backends drain, removed listeners stop accepting while their connections go on. When anything that
     * can fail fails, nothing has changed.
     */
    ReloadResult reload(Config next) {
        assert parts.control().inThread() : "reload runs on the control thread";
        if (stopping.getAsBoolean()) {
            return report(ReloadResult.failed(List.of("shutting down")));
        }
        // Certificate files may have been renewed in place (a terminating listener's, a pool's client certificate or
        // CA): those are read again.
        boolean terminatesTls = next.listeners().values().stream().anyMatch(l -> l.tls() != null)
                || next.pools().values().stream().anyMatch(p -> p.tls() != null);
        if (next.equals(registry.config()) && !api.touchedAny() && !terminatesTls) {
            return report(new ReloadResult(ReloadResult.Outcome.UNCHANGED, List.of(), List.of(), List.of()));
        }
        ReloadPlan plan = ReloadPlan.diff(registry, parts, api, proxy, startedWith, next);
        try {
            plan.prepare();
        } catch (StartException | InterruptedException | RuntimeException e) {
            if (e instanceof InterruptedException) {
                Thread.currentThread().interrupt();
            }
            if (e instanceof RuntimeException) {
                log.warn("reload failed while preparing", e);
            }
            return report(ReloadResult.failed(List.of(String.valueOf(e.getMessage()))));
        }
        List<String> changes = plan.commit();
        registry.config(next);
        certificates.follow(next);
        // e.g. the file now names the port that port 0 was given: nothing to do.
        ReloadResult.Outcome outcome = changes.isEmpty() ? ReloadResult.Outcome.UNCHANGED : ReloadResult.Outcome.RELOADED;
        return report(new ReloadResult(outcome, changes, List.of(), plan.overridden()));
    }

    ReloadResult report(ReloadResult r) {
        Counter.builder("weir.reloads").tag("result", r.outcome().name()).description("Config reloads by result")
                .register(parts.metrics().registry()).increment();
        parts.events().reloaded(r);
        switch (r.outcome()) {
            case RELOADED -> log.info("reload result=RELOADED changes={} summary=\"{}\"", r.changes().size(),
                    String.join("; ", r.changes()));
            case UNCHANGED -> log.info("reload result=UNCHANGED");
            case FAILED -> {
                log.warn("reload result=FAILED errors={} (the running config is kept)", r.errors().size());
                r.errors().forEach(e -> log.warn("reload error: {}", e));
            }
        }
        return r;
    }
}
