package dev.weir.proxy.control;

import dev.weir.proxy.api.StartException;
import dev.weir.proxy.backend.BackendPool;
import dev.weir.proxy.config.ListenerConfig;
import dev.weir.proxy.control.ReloadSteps.Step;
import dev.weir.proxy.relay.ProxyListener;
import dev.weir.proxy.tls.ServerTls;
import io.netty.channel.Channel;
import java.util.List;
import java.util.Objects;
import java.util.function.Supplier;

/**
 * The listener changes of a {@link ReloadPlan}: added, rebound (a new address), changed, removed. Thread rule: the
 * control thread.
 */
final class ListenerSteps {

    private ListenerSteps() {
    }

    /** A new listener: built and bound (not accepting) in prepare; accepting from commit. */
    static final class ListenerAdded extends Step {
        private final ListenerConfig config;
        private final ProxyParts parts;
        private final Registry registry;
        private final Supplier<BackendPool> pool;
        private ProxyListener listener;
        private List<Channel> bound;

        ListenerAdded(ListenerConfig config, ProxyParts parts, Registry registry, Supplier<BackendPool> pool) {
            this.config = config;
            this.parts = parts;
            this.registry = registry;
            this.pool = pool;
        }

        @Override
        void prepare() throws StartException, InterruptedException {
            listener = parts.newListener(config, pool.get());
            bound = ProxyParts.bindNew(listener, config);
        }

        @Override
        void commit(List<String> changes) {
            List<Channel> chs = bound;
            bound = null;
            ProxyParts.use(listener, chs);
            registry.listeners.put(config.name(), listener);
            registry.publish();
            changes.add("listener " + config.name() + ": added on " + config.bind());
        }

        @Override
        void discard() {
            closeUnused(bound);
            bound = null;
        }
    }

    /** A listener whose address changed: the new one bound in prepare while the old keeps accepting; moved in commit. */
    static final class ListenerRebound extends Step {
        private final ProxyListener listener;
        private final ListenerConfig next;
        private List<Channel> bound;

        ListenerRebound(ProxyListener listener, ListenerConfig next) {
            this.listener = listener;
            this.next = next;
        }

        @Override
        void prepare() throws StartException, InterruptedException {
            bound = ProxyParts.bindNew(listener, next);
        }

        @Override
        void commit(List<String> changes) {
            List<Channel> chs = bound;
            bound = null;
            ProxyParts.use(listener, chs);
            changes.add("listener " + next.name() + ": rebound to " + next.bind());
        }

        @Override
        void discard() {
            closeUnused(bound);
            bound = null;
        }
    }

    /** A listener whose settings or pool changed: live connections keep what they started with. */
    static final class ListenerChanged extends Step {
        private final ProxyListener listener;
        private final ListenerConfig next;
        private final Registry registry;

        ListenerChanged(ProxyListener listener, ListenerConfig next, Registry registry) {
            this.listener = listener;
            this.next = next;
            this.registry = registry;
        }

        @Override
        void commit(List<String> changes) {
            ListenerConfig before = listener.config();
            listener.update(next, registry.pools.get(next.pool()).pool);
            ListenerConfig sameBind = new ListenerConfig(next.name(), before.bind(), next.pool(), next.maxConnections(),
                    next.idleTimeout(), next.writeBufferLow(), next.writeBufferHigh(), next.edge(), next.tls());
            if (!sameBind.equals(before)) { // a new address alone is ListenerRebound's line
                changes.add("listener " + next.name() + ": settings changed"
                        + (before.pool().equals(next.pool()) ? "" : " (pool " + before.pool() + " -> " + next.pool() + ")"));
            }
        }
    }

    /**
     * A terminating listener's certificates, read again by every reload (a renewal replaces the files in place): new
     * handshakes get the new ones, live connections keep theirs; a broken file fails the reload in prepare, and the
     * running certificates stay. The new contexts keep the session ticket keys, so clients resume across a reload.
     */
    static final class ListenerTls extends Step {
        private final ProxyListener listener;
        private final ListenerConfig next;
        private final ProxyParts parts;
        private ServerTls prepared;

        ListenerTls(ProxyListener listener, ListenerConfig next, ProxyParts parts) {
            this.listener = listener;
            this.next = next;
            this.parts = parts;
        }

        @Override
        void prepare() throws StartException {
            prepared = parts.loadTls(next, listener.tls());
        }

        @Override
        void commit(List<String> changes) {
            ServerTls before = listener.tls();
            listener.tls(prepared);
            // A change of the tls settings is ListenerChanged's line; the same settings with new files is this one's.
            if (before != null && prepared != null && Objects.equals(listener.config().tls(), next.tls())
                    && !before.certificates().equals(prepared.certificates())) {
                changes.add("listener " + next.name() + ": certificates reloaded");
            }
        }
    }

    /** A listener gone from the config: it stops accepting while its connections go on. */
    static final class ListenerRemoved extends Step {
        private final String name;
        private final Registry registry;

        ListenerRemoved(String name, Registry registry) {
            this.name = name;
            this.registry = registry;
        }

        @Override
        void commit(List<String> changes) {
            try {
                registry.listeners.remove(name).stopAccepting();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
            registry.publish();
            changes.add("listener " + name + ": removed (live connections continue)");
        }
    }

    private static void closeUnused(List<Channel> bound) {
        if (bound != null) {
            bound.forEach(c -> c.close().awaitUninterruptibly());
        }
    }
}
