package dev.weir.proxy.health;

import dev.weir.proxy.backend.Backend;
import dev.weir.proxy.config.HealthCheckConfig;
import dev.weir.proxy.config.PassiveConfig;
import dev.weir.proxy.health.HealthState.Transition;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One tracked backend of a {@link PoolHealth}: its state machine plus the timers and the probe
 * acting on it. Confined to the health loop, except the two volatiles the other threads read.
 */
final class BackendHealth {

    // Same logger as PoolHealth: operators filter health lines by one name.
    private static final Logger log = LoggerFactory.getLogger(PoolHealth.class);

    private final PoolHealth owner;
    final Backend backend;
    final HealthState state;
    volatile HealthStatus status;
    // Set by the data path before it hops, and by the loop after each event.
    volatile boolean wantsSuccess;
    boolean stopped;
    boolean probing;
    Prober.Handle inFlight;
    Scheduler.Timer nextProbe;
    Scheduler.Timer ejectionEnd;

    BackendHealth(PoolHealth owner, Backend backend, HealthState state) {
        this.owner = owner;
        this.backend = backend;
        this.state = state;
        this.status = state.snapshot();
    }

    void publish() {
        status = state.snapshot();
        wantsSuccess = state.wantsSuccessReports();
    }

    void scheduleProbe(long delayMillis) {
        nextProbe = owner.scheduler.schedule(this::runProbe, delayMillis);
    }

    void runProbe() {
        nextProbe = null;
        HealthCheckConfig a = owner.active();
        if (stopped || owner.closed() || a == null || probing) {
            return;
        }
        probing = true;
        Prober.Handle h = owner.prober.probe(PoolHealth.target(backend.address(), a.port()), a, this::probed);
        if (probing) {
            // Not finished synchronously (e.g. a connect that failed at once).
            inFlight = h;
        }
    }

    void probed(Prober.Result r) {
        probing = false;
        inFlight = null;
        HealthCheckConfig a = owner.active();
        if (stopped || owner.closed() || a == null) {
            return;
        }
        Transition tr = state.probed(r.ok(), r.cause(), owner.scheduler.currentTimeMillis(), r.durationMillis(),
                a.rise(), a.fall());
        try {
            owner.listener.probed(backend, r.ok(), r.durationMillis());
        } catch (RuntimeException e) {
            log.error("health listener failed pool={} backend={}", owner.pool, backend.id(), e);
        }
        publish();
        report(tr, null);
        if (!stopped && !owner.closed() && nextProbe == null) {
            scheduleProbe(PoolHealth.jittered(a.interval().toMillis(), a.jitter(), owner.random.getAsDouble()));
        }
    }

    void connectFailed(String cause) {
        PassiveConfig p = owner.passive();
        if (stopped || owner.closed() || p == null) {
            publish();
            return;
        }
        Transition tr = state.connectFailed(cause, p.consecutiveFailures());
        publish();
        if (tr == Transition.EJECTED && owner.active() == null) {
            scheduleEjectionEnd(p);
        }
        report(tr, p);
    }

    void connectSucceeded() {
        if (!stopped && !owner.closed()) {
            state.connectSucceeded();
        }
        publish();
    }

    void scheduleEjectionEnd(PassiveConfig p) {
        ejectionEnd = owner.scheduler.schedule(this::ejectionOver, state.ejectionDelayMillis(p));
    }

    void ejectionOver() {
        ejectionEnd = null;
        if (stopped || owner.closed() || owner.active() != null) {
            return;
        }
        Transition tr = state.ejectionOver();
        publish();
        report(tr, null);
    }

    void reconfigure(HealthCheckConfig oldActive, HealthCheckConfig newActive, PassiveConfig oldPassive,
                     PassiveConfig newPassive) {
        if (stopped) {
            return;
        }
        cancel(nextProbe);
        nextProbe = null;
        Transition tr = Transition.NONE;
        if (newPassive == null && oldPassive != null) {
            state.passiveOff();
        }
        if (newActive == null) {
            abortProbe();
            if (state.ejected() && newPassive != null) {
                if (ejectionEnd == null) {
                    scheduleEjectionEnd(newPassive);
                }
            } else {
                cancel(ejectionEnd);
                ejectionEnd = null;
                tr = state.checksOff();
            }
        } else {
            // Probes decide from now on, also for a backend ejected while checks were off.
            cancel(ejectionEnd);
            ejectionEnd = null;
            if (!probing) {
                scheduleProbe(owner.spread(newActive));
            }
        }
        publish();
        report(tr, null);
    }

    void stop() {
        stopped = true;
        cancel(nextProbe);
        cancel(ejectionEnd);
        nextProbe = null;
        ejectionEnd = null;
        abortProbe();
    }

    private void abortProbe() {
        if (inFlight != null) {
            inFlight.abort();
        }
        inFlight = null;
        probing = false;
    }

    private void cancel(Scheduler.Timer timer) {
        if (timer != null) {
            timer.cancel();
        }
    }

    /** One log line and one listener call per change. */
    void report(Transition tr, PassiveConfig p) {
        String id = backend.id();
        switch (tr) {
            case NONE:
                return;
            case UP_AFTER_PASSES:
                log.info("backend={}/{} state=UP after={} passes", owner.pool, id, state.passes());
                tell(true, null);
                return;
            case DOWN_AFTER_FAILURES:
                log.warn("backend={}/{} state=DOWN after={} failures cause=\"{}\"", owner.pool, id, state.failures(),
                        quoted(state.lastCause()));
                tell(false, state.lastCause());
                return;
            case EJECTED:
                log.warn("backend={}/{} state=DOWN ejected=passive after={} connect failures cause=\"{}\"",
                        owner.pool, id, p.consecutiveFailures(), quoted(state.lastConnectCause()));
                tell(false, state.lastConnectCause());
                return;
            case UP_AFTER_EJECTION:
                log.info("backend={}/{} state=UP after ejection", owner.pool, id);
                tell(true, null);
                return;
            case UP_CHECKS_OFF:
                log.info("backend={}/{} state=UP cause=\"active checks off\"", owner.pool, id);
                tell(true, null);
                return;
            default:
                throw new AssertionError(tr);
        }
    }

    private void tell(boolean healthy, String cause) {
        try {
            owner.listener.healthChanged(backend, healthy, cause);
        } catch (RuntimeException e) {
            // A broken listener must not stop health checking; this one is a bug, so the trace helps.
            log.error("health listener failed pool={} backend={}", owner.pool, backend.id(), e);
        }
    }

    private static String quoted(String cause) {
        return cause == null ? "" : cause.replace("\\", "\\\\").replace("\"", "\\\"");
    }
}
