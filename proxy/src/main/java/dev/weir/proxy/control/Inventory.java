package dev.weir.proxy.control;

import dev.weir.proxy.api.CertificateStatus;
import dev.weir.proxy.api.ConnectionList;
import dev.weir.proxy.config.TlsConfig;
import dev.weir.proxy.relay.ProxyListener;
import dev.weir.proxy.tls.ClientTls;
import dev.weir.proxy.tls.ServerTls;
import java.nio.file.Path;
import java.security.cert.X509Certificate;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.NoSuchElementException;

/**
 * What runs, listed for the operator: a listener's live connections, and the certificates the proxy presents.
 *
 * <p>Thread rule: the control thread only; {@link #connections} waits there for the event loops, at most
 * {@link #LOOP_WAIT_MILLIS}.
 */
final class Inventory {

    /** How long the event loops have to read their connections for one answer (they take microseconds). */
    static final long LOOP_WAIT_MILLIS = 1000;

    private final Registry registry;

    Inventory(Registry registry) {
        this.registry = registry;
    }

    /** See {@link dev.weir.proxy.api.ProxyControl#connections}. */
    ConnectionList connections(String listener, int limit) {
        ProxyListener l = registry.listeners.get(listener);
        if (l == null) {
            throw new NoSuchElementException("no listener \"" + listener + "\" (listeners: "
                    + String.join(", ", registry.listeners.keySet()) + ")");
        }
        return l.connections(limit, LOOP_WAIT_MILLIS);
    }

    /** Every listener's served certificates in config order, then every pool's client certificate. */
    List<CertificateStatus> certificates() {
        List<CertificateStatus> out = new ArrayList<>();
        for (Map.Entry<String, ProxyListener> e : registry.listeners.entrySet()) {
            ServerTls tls = e.getValue().tls();
            TlsConfig cfg = e.getValue().config().tls();
            if (tls == null) {
                continue;
            }
            List<X509Certificate> leaves = tls.certificates();
            for (int i = 0; i < leaves.size(); i++) {
                // The leaves were loaded from the config that runs, in its order (a reload swaps both at commit).
                Path file = cfg != null && i < cfg.certificates().size() ? cfg.certificates().get(i).cert() : null;
                out.add(status("listeners." + e.getKey() + ".tls.certificates[" + i + "]", e.getKey(), null, file,
                        leaves.get(i)));
            }
        }
        for (Map.Entry<String, PoolSupervisor> e : registry.pools.entrySet()) {
            ClientTls tls = e.getValue().tls();
            if (tls != null && tls.certificate() != null) {
                out.add(status("pools." + e.getKey() + ".tls.cert", null, e.getKey(), tls.config().cert(),
                        tls.certificate()));
            }
        }
        return out;
    }

    private static CertificateStatus status(String usedBy, String listener, String pool, Path file, X509Certificate c) {
        return new CertificateStatus(usedBy, listener, pool, file, c.getSubjectX500Principal().getName(),
                c.getSerialNumber().toString(16), c.getNotAfter().toInstant());
    }
}
