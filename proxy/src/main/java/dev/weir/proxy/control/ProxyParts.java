package dev.weir.proxy.control;

import dev.weir.proxy.admin.AdminServer;
import dev.weir.proxy.api.ProxyControl;
import dev.weir.proxy.api.StartException;
import dev.weir.proxy.backend.BackendPool;
import dev.weir.proxy.backend.connect.BackendConnector;
import dev.weir.proxy.config.AdminConfig;
import dev.weir.proxy.config.HostNames;
import dev.weir.proxy.config.ListenerConfig;
import dev.weir.proxy.config.PoolConfig;
import dev.weir.proxy.metrics.AccessLog;
import dev.weir.proxy.metrics.ProxyMetrics;
import dev.weir.proxy.relay.ProxyListener;
import dev.weir.proxy.tls.ServerTls;
import dev.weir.proxy.tls.TlsProviders;
import dev.weir.proxy.transport.Transport;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import io.netty.channel.Channel;
import io.netty.channel.EventLoop;
import io.netty.channel.EventLoopGroup;
import java.net.InetSocketAddress;
import java.util.List;
import java.util.function.Function;

/**
 * What every pool, listener and admin endpoint of one proxy is built from (event loops, transport, connector,
 * meters, access log, the control thread), and the builders a start and a reload share. Building resolves and
 * binds, and touches nothing that runs. Immutable; used on the control thread.
 *
 * @param healthLoop where health probes and DNS discovery of every pool run (one of the proxy's event loops)
 * @param tls        the TLS provider of every listener's and pool's contexts ({@code tls-provider})
 * @param routes     finds a pool by name for the data path (SNI routes)
 * @param events     where backend changes and reloads are told, for the status page (control thread)
 */
record ProxyParts(Transport transport, EventLoopGroup group, EventLoop healthLoop, Control control,
                  BackendConnector connector, ProxyMetrics metrics, AccessLog accessLog,
                  PrometheusMeterRegistry prometheus, Function<String, BackendPool> routes, TlsProviders tls,
                  EventLog events) {

    /** A pool with its static backends resolved; its health checks and discovery start with {@code start}. */
    PoolSupervisor newPool(PoolConfig pc) throws StartException {
        return new PoolSupervisor(pc, this);
    }

    /** A listener, its TLS certificates (when it terminates TLS) read and checked here. */
    ProxyListener newListener(ListenerConfig lc, BackendPool pool) throws StartException {
        return new ProxyListener(lc, pool, routes, group, transport, connector, metrics, accessLog, loadTls(lc, null));
    }

    /**
     * The TLS {@code lc} terminates, its files read now; null when it terminates none.
     *
     * @param running what the listener serves now (a reload): the new contexts keep its session ticket keys
     */
    ServerTls loadTls(ListenerConfig lc, ServerTls running) throws StartException {
        return lc.tls() == null ? null : ServerTls.load(lc.name(), lc.tls(), tls, running);
    }

    /** Sockets bound for {@code listener} at {@code lc}'s address, not accepting yet (see ProxyListener#bindNew). */
    static List<Channel> bindNew(ProxyListener listener, ListenerConfig lc) throws StartException, InterruptedException {
        InetSocketAddress bind = lc.bind().resolve();
        if (bind.isUnresolved()) {
            throw new StartException(HostNames.cannotResolve("listeners." + lc.name() + ".bind", lc.bind()), null);
        }
        try {
            return listener.bindNew(bind);
        } catch (IllegalStateException e) {
            throw new StartException(e.getMessage(), e.getCause());
        }
    }

    /** The listener accepts on sockets from {@link #bindNew} from now on. */
    static void use(ProxyListener listener, List<Channel> bound) {
        try {
            listener.use(bound);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    /** The admin endpoint at {@code cfg}'s address, answering for {@code proxy}; null when the config turns it off. */
    AdminServer startAdmin(AdminConfig cfg, ProxyControl proxy) throws StartException {
        if (cfg.bind() == null) {
            return null;
        }
        InetSocketAddress bind = cfg.bind().resolve();
        if (bind.isUnresolved()) {
            throw new StartException(HostNames.cannotResolve("admin.bind", cfg.bind()), null);
        }
        try {
            AdminServer admin = AdminServer.start(bind, cfg.token(), proxy, prometheus);
            admin.allowedHosts(cfg.allowedHosts());
            admin.limits(cfg.maxConnectionsPerClient(), cfg.headerTimeout());
            return admin;
        } catch (RuntimeException e) {
            throw new StartException("admin.bind: cannot bind " + cfg.bind() + " (" + e.getMessage() + ")", e);
        }
    }
}
