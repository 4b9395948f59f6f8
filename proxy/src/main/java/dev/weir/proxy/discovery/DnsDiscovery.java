package dev.weir.proxy.discovery;

import dev.weir.proxy.config.DiscoveryConfig;
import dev.weir.proxy.config.HostPort;
import dev.weir.proxy.transport.Transport;
import io.netty.channel.EventLoop;
import io.netty.handler.codec.dns.DnsResponseCode;
import io.netty.resolver.ResolvedAddressTypes;
import io.netty.resolver.dns.DnsErrorCauseException;
import io.netty.resolver.dns.DnsNameResolver;
import io.netty.resolver.dns.DnsNameResolverBuilder;
import io.netty.resolver.dns.DnsNameResolverTimeoutException;
import io.netty.resolver.dns.DnsServerAddressStreamProviders;
import io.netty.resolver.dns.NoopAuthoritativeDnsServerCache;
import io.netty.resolver.dns.NoopDnsCache;
import io.netty.resolver.dns.NoopDnsCnameCache;
import io.netty.resolver.dns.SequentialDnsServerAddressStreamProvider;
import io.netty.util.NetUtil;
import io.netty.util.concurrent.Future;
import io.netty.util.concurrent.Promise;
import io.netty.util.concurrent.ScheduledFuture;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.UnknownHostException;
import java.time.Duration;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Keeps a pool's backend addresses in step with the A and AAAA records of one DNS name. Lookups run
 * on Netty's asynchronous resolver on one event loop, so nothing ever blocks on DNS; a failed lookup
 * keeps the last good set, because a DNS outage must not empty a pool of backends that still work.
 *
 * <p>Every field except {@code current} and {@code closed} is touched on {@code loop} only.
 */
public final class DnsDiscovery implements AutoCloseable {

    private static final Logger log = LoggerFactory.getLogger(DnsDiscovery.class);

    /** A server that stays silent fails the lookup by then, so the next refresh is never held up long. */
    private static final Duration MAX_QUERY_TIMEOUT = Duration.ofSeconds(5);

    /** Told about each change of the address set, on the discovery's event loop. */
    public interface Listener {
        /** Called only when the set changed; the three sets are immutable. */
        void addressesChanged(Set<InetSocketAddress> added, Set<InetSocketAddress> removed,
                              Set<InetSocketAddress> all);
    }

    private final String pool;
    private final DiscoveryConfig cfg;
    private final EventLoop loop;
    private final Transport transport;
    private final Listener listener;
    private final List<InetSocketAddress> servers;
    private final Promise<Set<InetSocketAddress>> first;

    private volatile Set<InetSocketAddress> current = Set.of();
    private volatile boolean closed;

    private DnsNameResolver resolver;
    private ScheduledFuture<?> nextLookup;
    private boolean failing;

    /**
     * Resolves {@code cfg.dns()} (A and AAAA) on {@code loop}, at once on {@link #start()} and then
     * every {@code cfg.refresh()}. No resolvers in {@code cfg} = the system's (/etc/resolv.conf, with
     * its search domains); else the given servers, asked for the name exactly as written.
     *
     * @throws IllegalArgumentException if a resolver is not an IP literal
     */
    public DnsDiscovery(String pool, DiscoveryConfig cfg, EventLoop loop, Transport transport, Listener listener) {
        this.pool = pool;
        this.cfg = cfg;
        this.loop = loop;
        this.transport = transport;
        this.listener = listener;
        this.servers = cfg.resolvers().stream().map(DnsDiscovery::serverAddress).toList();
        this.first = loop.newPromise();
    }

    /** Starts the first lookup on the loop; later ones follow every {@code refresh}. Call once. */
    public void start() {
        loop.execute(() -> {
            if (closed || resolver != null) {
                return;
            }
            try {
                resolver = newResolver();
            } catch (RuntimeException e) { // e.g. no UDP socket: fail firstResult now, not at the caller's deadline
                failed(e);
                return;
            }
            lookup();
        });
    }

    /** Completes with the first good address set, or fails with the first lookup's cause (or on close). */
    public Future<Set<InetSocketAddress>> firstResult() {
        return first;
    }

    /** The last good set: empty before the first success, kept through failed lookups. Any thread. */
    public Set<InetSocketAddress> current() {
        return current;
    }

    /**
     * Stops refreshing and closes the resolver. Returns at once (safe on any event loop): no lookup
     * starts once it has returned, and the answer to one already under way is ignored.
     */
    @Override
    public void close() {
        if (closed) {
            return;
        }
        closed = true;
        if (loop.inEventLoop()) {
            closeOnLoop();
            return;
        }
        try {
            loop.execute(this::closeOnLoop);
        } catch (RejectedExecutionException e) {
            // The loop is shutting down and closes the resolver's channel itself.
        }
    }

    private void closeOnLoop() {
        if (nextLookup != null) {
            nextLookup.cancel(false);
        }
        if (resolver != null) {
            resolver.close();
        }
        first.tryFailure(new IllegalStateException("discovery closed pool=" + pool));
    }

    private DnsNameResolver newResolver() {
        DnsNameResolverBuilder b = new DnsNameResolverBuilder(loop)
                .datagramChannelType(transport.datagramChannel())
                // Both families in one lookup; an answer for either alone is a good answer.
                .resolvedAddressTypes(ResolvedAddressTypes.IPV4_PREFERRED)
                // No caches: the refresh schedule is ours, and each refresh must ask the server.
                .resolveCache(NoopDnsCache.INSTANCE)
                .cnameCache(NoopDnsCnameCache.INSTANCE)
                .authoritativeDnsServerCache(NoopAuthoritativeDnsServerCache.INSTANCE)
                // /etc/hosts would answer without asking DNS, and with one address at most.
                .hostsFileEntriesResolver((host, types) -> null)
                .queryTimeoutMillis(queryTimeout(cfg.refresh()).toMillis());
        if (servers.isEmpty()) {
            b.nameServerProvider(DnsServerAddressStreamProviders.platformDefault());
        } else {
            // The system's search domains belong to the system's resolvers, not to these.
            b.nameServerProvider(new SequentialDnsServerAddressStreamProvider(servers)).searchDomains(List.of());
        }
        return b.build();
    }

    private void lookup() {
        if (closed) {
            return;
        }
        resolver.resolveAll(cfg.dns()).addListener((Future<List<InetAddress>> f) -> {
            if (closed) {
                return;
            }
            if (f.isSuccess()) {
                succeeded(Addresses.of(f.getNow(), cfg.port()));
            } else {
                failed(f.cause());
            }
            // Counted from the end of this lookup, so a slow server never has two in flight.
            nextLookup = loop.schedule(this::lookup, cfg.refresh().toNanos(), TimeUnit.NANOSECONDS);
        });
    }

    private void succeeded(Set<InetSocketAddress> all) {
        Set<InetSocketAddress> old = current;
        if (failing) {
            failing = false;
            log.info("discovery recovered pool={} dns={} addresses={}", pool, cfg.dns(), all.size());
        }
        if (!all.equals(old)) {
            Set<InetSocketAddress> added = Addresses.minus(all, old);
            Set<InetSocketAddress> removed = Addresses.minus(old, all);
            current = all;
            log.info("discovery changed pool={} dns={} added={} removed={} addresses={}", pool, cfg.dns(),
                    Addresses.format(added), Addresses.format(removed), all.size());
            try {
                listener.addressesChanged(added, removed, all);
            } catch (RuntimeException e) {
                // A bug in the listener: report it, and keep refreshing.
                log.warn("discovery listener failed pool={} dns={}", pool, cfg.dns(), e);
            }
        }
        first.trySuccess(all);
    }

    private void failed(Throwable cause) {
        // One line when a failure streak starts, not one per refresh: the next news is the recovery.
        if (!failing) {
            failing = true;
            log.warn("discovery failed pool={} dns={} cause=\"{}\" keeping={} addresses", pool, cfg.dns(),
                    describe(cause), current.size());
        }
        first.tryFailure(cause);
    }

    /** min(refresh, 5s), and at least 1ms: Netty reads 0 as "no timeout". */
    static Duration queryTimeout(Duration refresh) {
        Duration t = refresh.compareTo(MAX_QUERY_TIMEOUT) < 0 ? refresh : MAX_QUERY_TIMEOUT;
        return t.toMillis() < 1 ? Duration.ofMillis(1) : t;
    }

    /** The failure in a few words: the server's response code, a timeout, no records, or Netty's summary. */
    private String describe(Throwable t) {
        Throwable c = t.getCause() != null ? t.getCause() : t;
        if (c instanceof DnsErrorCauseException e) {
            return "server answered " + mnemonic(e.getCode());
        }
        if (c instanceof DnsNameResolverTimeoutException e) {
            return "no answer from " + NetUtil.toSocketAddressString(e.remoteAddress()) + " within "
                    + queryTimeout(cfg.refresh()).toMillis() + "ms";
        }
        if (t instanceof UnknownHostException && t.getCause() == null) {
            return "no A or AAAA records"; // NOERROR with an empty answer
        }
        String m = t.getMessage();
        return (m == null || m.isBlank() ? t.getClass().getSimpleName() : m.strip()).replace('"', '\'');
    }

    /** SERVFAIL, NXDOMAIN, ... as operators know them (Netty prints {@code ServFail(2)}). */
    private static String mnemonic(DnsResponseCode code) {
        String text = code.toString();
        int paren = text.indexOf('(');
        return (paren > 0 ? text.substring(0, paren) : text).toUpperCase(Locale.ROOT);
    }

    private static InetSocketAddress serverAddress(HostPort hp) {
        try {
            return new InetSocketAddress(Addresses.literal(hp.host()), hp.port());
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("discovery.resolvers: " + e.getMessage(), e);
        }
    }
}
