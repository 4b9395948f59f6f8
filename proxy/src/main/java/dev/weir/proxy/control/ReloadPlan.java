package dev.weir.proxy.control;

import dev.weir.proxy.api.ProxyControl;
import dev.weir.proxy.api.StartException;
import dev.weir.proxy.config.Config;
import dev.weir.proxy.config.HostPort;
import dev.weir.proxy.config.ListenerConfig;
import dev.weir.proxy.config.PoolConfig;
import dev.weir.proxy.config.Units;
import dev.weir.proxy.control.ReloadSteps.AccessLogChanged;
import dev.weir.proxy.control.ReloadSteps.AdminChanged;
import dev.weir.proxy.control.ReloadSteps.ApiOverridden;
import dev.weir.proxy.control.ReloadSteps.KeptUntilRestart;
import dev.weir.proxy.control.ListenerSteps.ListenerAdded;
import dev.weir.proxy.control.ListenerSteps.ListenerChanged;
import dev.weir.proxy.control.ListenerSteps.ListenerRebound;
import dev.weir.proxy.control.ListenerSteps.ListenerRemoved;
import dev.weir.proxy.control.ListenerSteps.ListenerTls;
import dev.weir.proxy.control.PoolSteps.PoolAdded;
import dev.weir.proxy.control.PoolSteps.PoolReconciled;
import dev.weir.proxy.control.PoolSteps.PoolRemoved;
import dev.weir.proxy.control.ReloadSteps.Step;
import dev.weir.proxy.relay.ProxyListener;
import java.net.InetSocketAddress;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;

/**
 * A reload as a plan: the difference between the running config and the next one, as small named changes
 * ({@link ReloadSteps}). {@link #prepare} does everything that can fail (resolve backend hosts, build new pools,
 * bind new and moved listeners with accepting off, start a moved admin endpoint) and touches nothing that runs; if
 * any of it fails, it closes what it prepared and the proxy is as it was. {@link #commit} then applies the changes,
 * none of which is expected to fail, and closes any prepared socket it did not use.
 *
 * <p>Thread rule: built, prepared and committed on the control thread, with nothing else changing between.
 */
final class ReloadPlan {

    private final List<Step> prepareOrder;
    private final List<Step> commitOrder;
    private final ApiOverridden overrides;

    private ReloadPlan(List<Step> prepareOrder, List<Step> commitOrder, ApiOverridden overrides) {
        this.prepareOrder = prepareOrder;
        this.commitOrder = commitOrder;
        this.overrides = overrides;
    }

    /**
     * The plan from what runs to {@code next}. Restart-only settings are compared with {@code startedWith}, what
     * the process really runs with: a file that goes back to the running value is no change.
     */
    static ReloadPlan diff(Registry registry, ProxyParts parts, OperatorApi api, ProxyControl proxy,
                           Config startedWith, Config next) {
        Config old = registry.config();
        List<Step> kept = keptUntilRestart(startedWith, next);
        Map<String, PoolAdded> poolsAdded = new LinkedHashMap<>();
        List<Step> poolsPrepared = new ArrayList<>();
        List<Step> poolsReconciled = new ArrayList<>();
        for (PoolConfig pc : next.pools().values()) {
            PoolSupervisor existing = registry.pools.get(pc.name());
            if (existing == null) {
                PoolAdded added = new PoolAdded(pc, parts, registry);
                poolsAdded.put(pc.name(), added);
                poolsPrepared.add(added);
            } else {
                PoolReconciled reconciled = new PoolReconciled(existing, pc);
                poolsReconciled.add(reconciled);
                poolsPrepared.add(reconciled);
            }
        }
        List<Step> listenersAdded = new ArrayList<>();
        List<Step> listenersAddedOrChanged = new ArrayList<>();
        List<Step> rebound = new ArrayList<>();
        List<Step> tlsReloaded = new ArrayList<>();
        for (ListenerConfig lc : next.listeners().values()) {
            ProxyListener existing = registry.listeners.get(lc.name());
            if (existing == null) {
                PoolAdded newPool = poolsAdded.get(lc.pool());
                ListenerAdded added = new ListenerAdded(lc, parts, registry,
                        () -> newPool != null ? newPool.pool() : registry.pools.get(lc.pool()).pool);
                listenersAdded.add(added);
                listenersAddedOrChanged.add(added);
                continue;
            }
            if (!existing.config().bind().equals(lc.bind()) && !boundAt(existing, lc.bind())) {
                rebound.add(new ListenerRebound(existing, lc));
            }
            if (lc.tls() != null || existing.config().tls() != null) {
                ListenerTls tls = new ListenerTls(existing, lc, parts);
                tlsReloaded.add(tls);
                listenersAddedOrChanged.add(tls); // before ListenerChanged, which replaces the config it compares
            }
            if (!existing.config().equals(lc)) {
                listenersAddedOrChanged.add(new ListenerChanged(existing, lc, registry));
            }
        }
        List<Step> listenersRemoved = new ArrayList<>();
        for (String name : registry.listeners.keySet()) {
            if (!next.listeners().containsKey(name)) {
                listenersRemoved.add(new ListenerRemoved(name, registry));
            }
        }
        List<Step> poolsRemoved = new ArrayList<>();
        for (String name : registry.pools.keySet()) {
            if (!next.pools().containsKey(name)) {
                poolsRemoved.add(new PoolRemoved(name, registry));
            }
        }
        List<Step> admin = new ArrayList<>();
        if (!next.admin().equals(old.admin())) {
            // Same address, new token, hosts or limits: the running endpoint takes them, nothing is bound again.
            boolean tokenOnly = registry.admin != null && Objects.equals(next.admin().bind(), old.admin().bind());
            admin.add(new AdminChanged(next.admin(), tokenOnly, parts, registry, proxy));
        }
        ApiOverridden overrides = new ApiOverridden(api.beforeReload(old));
        List<Step> accessLog = next.accessLog().equals(old.accessLog()) ? List.of()
                : List.of(new AccessLogChanged(next.accessLog(), parts.accessLog()));

        List<Step> prepare = concat(poolsPrepared, listenersAdded, tlsReloaded, admin, rebound);
        List<Step> commit = concat(kept, rebound, admin, List.copyOf(poolsAdded.values()), poolsReconciled,
                listenersAddedOrChanged, listenersRemoved, poolsRemoved, List.of(overrides), accessLog);
        return new ReloadPlan(prepare, commit, overrides);
    }

    /**
     * Everything that can fail, in the order a start does it (pools, new listeners, certificates, the admin
     * endpoint, moved listeners). On a failure what was prepared is closed and the exception thrown: nothing running was touched.
     */
    void prepare() throws StartException, InterruptedException {
        try {
            for (Step s : prepareOrder) {
                s.prepare();
            }
        } catch (StartException | InterruptedException | RuntimeException e) {
            prepareOrder.forEach(Step::discard);
            throw e;
        }
    }

    /** Applies the prepared plan; returns what changed, in words, in the order the summary line lists it. */
    List<String> commit() {
        List<String> changes = new ArrayList<>();
        try {
            for (Step s : commitOrder) {
                s.commit(changes);
            }
        } finally {
            // Not expected to throw; if it did, no socket or endpoint it had not put into use stays open.
            prepareOrder.forEach(Step::discard);
        }
        return changes;
    }

    /** The backends ("pool/id") whose API changes the committed plan overrode. */
    List<String> overridden() {
        return overrides.overridden();
    }

    private static List<Step> keptUntilRestart(Config running, Config next) {
        List<Step> kept = new ArrayList<>();
        if (next.transport() != running.transport() || next.eventLoopThreads() != running.eventLoopThreads()) {
            kept.add(new KeptUntilRestart("transport and event-loop-threads: kept " + running.transport().yamlName() + "/"
                    + running.eventLoopThreads() + " until restart"));
        }
        if (!next.eventLoopSpin().equals(running.eventLoopSpin())) {
            kept.add(new KeptUntilRestart("event-loop-spin: kept " + Units.formatMicroseconds(running.eventLoopSpin())
                    + " until restart"));
        }
        if (next.tlsProvider() != running.tlsProvider()) {
            // One provider per process: a listener's contexts and its ticket keys belong to it.
            kept.add(new KeptUntilRestart("tls-provider: kept " + running.tlsProvider().yamlName() + " until restart"));
        }
        if (next.maxRead() != running.maxRead()) {
            kept.add(new KeptUntilRestart("max-read: kept " + Units.formatSize(running.maxRead()) + " until restart"));
        }
        return kept;
    }

    /** True when the listener already listens on {@code bind} (e.g. the file now names the port that port 0 got). */
    private static boolean boundAt(ProxyListener listener, HostPort bind) {
        InetSocketAddress now = listener.localAddress();
        InetSocketAddress wanted = bind.resolve();
        return now != null && !wanted.isUnresolved() && now.equals(wanted);
    }

    @SafeVarargs
    private static List<Step> concat(List<? extends Step>... parts) {
        List<Step> all = new ArrayList<>();
        for (List<? extends Step> p : parts) {
            all.addAll(p);
        }
        return List.copyOf(all);
    }
}
