package dev.weir.proxy.tls;

import dev.weir.proxy.api.StartException;
import dev.weir.proxy.config.Config;
import dev.weir.proxy.config.ListenerConfig;
import dev.weir.proxy.config.PoolConfig;
import java.util.ArrayList;
import java.util.List;

/**
 * {@code weir validate}'s check of what a config's TLS needs on this machine: the provider it forces, and every
 * certificate, key and CA file it names, read and checked as a start would (contexts built, then dropped).
 *
 * <p>Thread rule: the caller's thread; it shares nothing.
 */
public final class TlsFiles {

    private TlsFiles() {
    }

    /** One line per problem, as a start would report it; empty when there is none. */
    public static List<String> problems(Config cfg) {
        List<String> problems = new ArrayList<>();
        try {
            TlsProviders.check(cfg.tlsProvider());
        } catch (StartException e) {
            return List.of(e.getMessage());
        }
        TlsProviders providers = TlsProviders.quiet(cfg.tlsProvider());
        for (ListenerConfig lc : cfg.listeners().values()) {
            if (lc.tls() != null) {
                try {
                    ServerTls.load(lc.name(), lc.tls(), providers, null);
                } catch (StartException e) {
                    problems.add(e.getMessage());
                }
            }
        }
        for (PoolConfig pc : cfg.pools().values()) {
            if (pc.tls() != null) {
                try {
                    ClientTls.load("pools." + pc.name() + ".tls", pc.tls(), providers);
                } catch (StartException e) {
                    problems.add(e.getMessage());
                }
            }
        }
        return problems;
    }
}
