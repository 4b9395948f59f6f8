package dev.weir.proxy.control;

import dev.weir.proxy.admin.AdminServer;
import dev.weir.proxy.api.ProxyControl;
import dev.weir.proxy.api.StartException;
import dev.weir.proxy.config.AccessLogConfig;
import dev.weir.proxy.config.AdminConfig;
import dev.weir.proxy.metrics.AccessLog;
import java.util.List;
import java.util.Locale;

/**
 * The named changes a {@link ReloadPlan} is made of (the pool and listener ones are in {@link PoolSteps} and
 * {@link ListenerSteps}). Each may {@link Step#prepare} what can fail without touching
 * what runs, {@link Step#commit}s without failing, and {@link Step#discard}s what it prepared and did not put into
 * use. Thread rule: the control thread, as the plan.
 */
final class ReloadSteps {

    private ReloadSteps() {
    }

    abstract static class Step {
        void prepare() throws StartException, InterruptedException {
        }

        /** Applies the change; adds a line to {@code changes} when it changed something. */
        abstract void commit(List<String> changes);

        /** Closes what {@link #prepare} made and {@link #commit} did not use (after a failed prepare, or always after a commit). */
        void discard() {
        }
    }

    /** A process-wide setting that needs new event loops: reported, applied at the next start. */
    static final class KeptUntilRestart extends Step {
        private final String line;

        KeptUntilRestart(String line) {
            this.line = line;
        }

        @Override
        void commit(List<String> changes) {
            changes.add(line);
        }
    }

    /**
     * The admin endpoint changed: a new token, allowed hosts or limits go to the running endpoint; a new address is bound in prepare while
     * the old endpoint still answers (so one that shares its port fails there), and the old one retires in commit,
     * after answering what it had taken (a reload asked through it included).
     */
    static final class AdminChanged extends Step {
        private final AdminConfig next;
        private final boolean tokenOnly;
        private final ProxyParts parts;
        private final Registry registry;
        private final ProxyControl proxy;
        private AdminServer prepared;
        private boolean used;

        AdminChanged(AdminConfig next, boolean tokenOnly, ProxyParts parts, Registry registry, ProxyControl proxy) {
            this.next = next;
            this.tokenOnly = tokenOnly;
            this.parts = parts;
            this.registry = registry;
            this.proxy = proxy;
        }

        @Override
        void prepare() throws StartException {
            if (!tokenOnly) {
                prepared = parts.startAdmin(next, proxy);
            }
        }

        @Override
        void commit(List<String> changes) {
            if (tokenOnly) {
                registry.admin.token(next.token());
                registry.admin.allowedHosts(next.allowedHosts());
                registry.admin.limits(next.maxConnectionsPerClient(), next.headerTimeout());
            } else {
                AdminServer old = registry.admin;
                if (old != null) {
                    old.retire();
                    registry.retiredAdmins.add(old);
                }
                registry.admin = prepared;
                used = true;
            }
            changes.add("admin: " + (registry.admin == null ? "off" : "on " + next.bind()));
        }

        @Override
        void discard() {
            if (prepared != null && !used) {
                prepared.close();
            }
        }
    }

    /** The file wins over the operator API's changes since the last reload (see OperatorApi.Overrides). */
    static final class ApiOverridden extends Step {
        private final OperatorApi.Overrides overrides;
        private List<String> overridden = List.of();

        ApiOverridden(OperatorApi.Overrides overrides) {
            this.overrides = overrides;
        }

        @Override
        void commit(List<String> changes) {
            overridden = overrides.afterCommit(changes);
        }

        List<String> overridden() {
            return overridden;
        }
    }

    static final class AccessLogChanged extends Step {
        private final AccessLogConfig next;
        private final AccessLog accessLog;

        AccessLogChanged(AccessLogConfig next, AccessLog accessLog) {
            this.next = next;
            this.accessLog = accessLog;
        }

        @Override
        void commit(List<String> changes) {
            accessLog.update(next);
            changes.add("access-log: " + (next.enabled() ? next.format().name().toLowerCase(Locale.ROOT) : "off"));
        }
    }
}
