package dev.weir.proxy.tls;

import dev.weir.proxy.api.StartException;
import dev.weir.proxy.config.TlsConfig;
import io.micrometer.core.instrument.Counter;
import io.netty.channel.ChannelHandler;
import io.netty.handler.ssl.ApplicationProtocolConfig;
import io.netty.handler.ssl.ClientAuth;
import io.netty.handler.ssl.OpenSslServerSessionContext;
import io.netty.handler.ssl.SslContext;
import io.netty.handler.ssl.SslContextBuilder;
import io.netty.handler.ssl.SslProvider;
import io.netty.util.DomainWildcardMappingBuilder;
import io.netty.util.Mapping;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.MessageDigest;
import java.security.PrivateKey;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Date;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import javax.net.ssl.SSLException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The TLS a terminating listener offers: one {@link SslContext} per certificate, built once when the listener is
 * built (at start, or in a reload's prepare step, so a broken file fails there and the running certificates stay),
 * and chosen per connection by the client's SNI against each certificate's DNS names: an exact name, then a
 * wildcard; the first certificate for no SNI or no match. Every event loop shares these contexts, so with the openssl
 * provider they share the session cache and the ticket keys ({@link TicketKeys}) too.
 *
 * <p>With openssl, a session resumes only on the context that could have made it: each context's session id context
 * is a digest of the listener, its certificate and its client-auth settings, so a ticket never resumes under another
 * certificate (another SNI) nor after a renewal or a new client-ca; the client gets a full handshake instead.
 *
 * <p>Thread rule: immutable once loaded but for the ticket keys, which {@link #rotateTicketKeysIfDue} changes on the
 * control thread; {@link #newHandler} runs on every event loop at once.
 */
public final class ServerTls {

    private static final Logger log = LoggerFactory.getLogger(ServerTls.class);
    /** The most a ClientHello may take before the certificate is chosen (as Netty's default). */
    private static final int MAX_CLIENT_HELLO = 16 * 1024;

    private final Mapping<String, SslContext> bySni;
    private final long handshakeTimeoutMillis;
    private final List<X509Certificate> leaves;
    private final List<SslContext> contexts;
    /** Null: no tickets of Weir's (the jdk provider, or session-tickets off). */
    private final TicketKeys tickets;
    /** openssl with session-tickets off: none issued, for TLS 1.3 either. */
    private final boolean noTickets;

    private ServerTls(Mapping<String, SslContext> bySni, long handshakeTimeoutMillis, List<X509Certificate> leaves,
                      List<SslContext> contexts, TicketKeys tickets, boolean noTickets) {
        this.bySni = bySni;
        this.handshakeTimeoutMillis = handshakeTimeoutMillis;
        this.leaves = List.copyOf(leaves);
        this.contexts = List.copyOf(contexts);
        this.tickets = tickets;
        this.noTickets = noTickets;
    }

    /**
     * Reads and checks every file of {@code cfg}, and builds its contexts.
     *
     * @param listener the listener's name; every error names the YAML path {@code listeners.NAME.tls...}
     * @param previous what the listener serves now (a reload), whose ticket keys the new contexts keep; null at first
     * @throws StartException naming the file's YAML path and what is wrong with it
     */
    public static ServerTls load(String listener, TlsConfig cfg, TlsProviders providers, ServerTls previous)
            throws StartException {
        String path = "listeners." + listener + ".tls";
        SslProvider provider = providers.get();
        List<X509Certificate> clientCas = clientCas(path, cfg);
        SslContext first = null;
        List<SslContext> contexts = new ArrayList<>();
        List<X509Certificate> leaves = new ArrayList<>();
        for (int i = 0; i < cfg.certificates().size(); i++) {
            TlsConfig.Certificate c = cfg.certificates().get(i);
            String at = path + ".certificates[" + i + "]";
            List<X509Certificate> chain = chain(at + ".cert", c.cert());
            readable(at + ".key", c.key());
            PrivateKey key = Certificates.readKey(at + ".key", c.key());
            Certificates.checkKeyMatches(at, c.key(), c.cert(), key, chain.get(0));
            SslContext ctx = context(at, c, key, chain, clientCas, cfg, provider);
            if (provider == SslProvider.OPENSSL) {
                ((OpenSslServerSessionContext) ctx.sessionContext())
                        .setSessionIdContext(sessionIdContext(listener, chain.get(0), cfg, clientCas));
            }
            warnIfExpired(at + ".cert", c.cert(), chain.get(0));
            contexts.add(ctx);
            leaves.add(chain.get(0));
            first = first == null ? ctx : first;
        }
        DomainWildcardMappingBuilder<SslContext> mapping = new DomainWildcardMappingBuilder<>(first);
        Set<String> named = new HashSet<>();
        for (int i = 0; i < contexts.size(); i++) {
            for (String name : Certificates.dnsNames(leaves.get(i))) {
                if (named.add(name)) { // the first certificate that names a host serves it
                    mapping.add(name, contexts.get(i));
                }
            }
        }
        TicketKeys tickets = null;
        if (provider == SslProvider.OPENSSL && cfg.sessionTickets().enabled()) {
            Duration rotate = cfg.sessionTickets().rotate();
            tickets = previous != null && previous.tickets != null ? previous.tickets.next(rotate)
                    : TicketKeys.start(rotate, Counter.builder("weir.tls.ticket.key.rotations").tag("listener", listener)
                            .description("New session ticket keys made for a listener").register(providers.registry()));
            tickets.applyTo(contexts);
        }
        return new ServerTls(mapping.build(), cfg.handshakeTimeout().toMillis(), leaves, contexts, tickets,
                provider == SslProvider.OPENSSL && !cfg.sessionTickets().enabled());
    }

    /**
     * Makes a new ticket key once {@code session-tickets.rotate} has passed since the last one (Weir's timer calls this
     * on the control thread for the listener's current TLS); new tickets use it from now on.
     */
    public void rotateTicketKeysIfDue(long nanoTime) {
        if (tickets != null && tickets.rotateIfDue(nanoTime)) {
            tickets.applyTo(contexts);
        }
    }

    /** The context a ClientHello naming {@code sni} gets (tests). */
    SslContext contextFor(String sni) {
        return bySni.map(sni);
    }

    /** The leaf certificates, in config order (for expiry reporting). */
    public List<X509Certificate> certificates() {
        return leaves;
    }

    /**
     * A new connection's TLS: reads the ClientHello, picks the certificate by its SNI and then handshakes, each
     * within the handshake timeout (a failure or timeout is reported as Netty's handshake completion event).
     */
    public ChannelHandler newHandler() {
        return new SniTermination(bySni, MAX_CLIENT_HELLO, handshakeTimeoutMillis, noTickets);
    }

    private static SslContext context(String at, TlsConfig.Certificate c, PrivateKey key, List<X509Certificate> chain,
                                      List<X509Certificate> clientCas, TlsConfig cfg, SslProvider provider)
            throws StartException {
        try {
            SslContextBuilder b = SslContextBuilder.forServer(key, chain).sslProvider(provider).protocols(cfg.protocols());
            if (!cfg.ciphers().isEmpty()) {
                b.ciphers(cfg.ciphers());
            }
            if (!cfg.alpn().isEmpty()) {
                b.applicationProtocolConfig(new ApplicationProtocolConfig(ApplicationProtocolConfig.Protocol.ALPN,
                        ApplicationProtocolConfig.SelectorFailureBehavior.NO_ADVERTISE,
                        ApplicationProtocolConfig.SelectedListenerFailureBehavior.ACCEPT, cfg.alpn()));
            }
            if (cfg.clientAuth() != TlsConfig.ClientAuth.NONE) {
                b.trustManager(clientCas).clientAuth(cfg.clientAuth() == TlsConfig.ClientAuth.REQUIRED
                        ? ClientAuth.REQUIRE : ClientAuth.OPTIONAL);
            }
            return b.build();
        } catch (SSLException | IllegalArgumentException e) {
            throw StartException.config(at + ": cannot use " + c.cert() + " and " + c.key() + " (" + reason(e) + ")", e);
        }
    }

    /** The client-ca certificates; empty when client-auth is none. */
    private static List<X509Certificate> clientCas(String path, TlsConfig cfg) throws StartException {
        if (cfg.clientAuth() == TlsConfig.ClientAuth.NONE) {
            return List.of();
        }
        String caPath = path + ".client-ca";
        readable(caPath, cfg.clientCa());
        List<X509Certificate> cas = Certificates.read(caPath, cfg.clientCa());
        if (cas.isEmpty()) {
            throw StartException.config(caPath + ": " + cfg.clientCa() + " holds no certificate", null);
        }
        return cas;
    }

    /** What a session must have been made under to resume: this listener, this certificate, these client-auth rules. */
    private static byte[] sessionIdContext(String listener, X509Certificate leaf, TlsConfig cfg,
                                           List<X509Certificate> clientCas) throws StartException {
        try {
            MessageDigest d = MessageDigest.getInstance("SHA-256"); // 32 bytes: the most a session id context holds
            d.update(listener.getBytes(StandardCharsets.UTF_8));
            d.update((byte) 0);
            d.update(leaf.getEncoded());
            d.update((byte) cfg.clientAuth().ordinal());
            for (X509Certificate ca : clientCas) {
                d.update(ca.getEncoded());
            }
            return d.digest();
        } catch (GeneralSecurityException e) {
            throw new StartException("cannot digest a certificate (" + reason(e) + ")", e);
        }
    }

    /** The chain in a certificate file, the leaf first; never empty. */
    private static List<X509Certificate> chain(String at, Path file) throws StartException {
        readable(at, file);
        List<X509Certificate> chain = Certificates.read(at, file);
        if (chain.isEmpty()) {
            throw StartException.config(at + ": " + file + " holds no PEM certificate", null);
        }
        return chain;
    }

    static void readable(String at, Path file) throws StartException {
        if (!Files.exists(file)) {
            throw StartException.config(at + ": " + file + ": no such file", null);
        }
        if (!Files.isReadable(file) || Files.isDirectory(file)) {
            throw StartException.config(at + ": " + file + ": cannot read", null);
        }
    }

    private static void warnIfExpired(String at, Path file, X509Certificate leaf) {
        Date notAfter = leaf.getNotAfter();
        if (notAfter.getTime() < System.currentTimeMillis()) {
            log.warn("tls certificate expired path={} file={} not_after={}", at, file, notAfter.toInstant());
        }
    }

    static String reason(Throwable e) {
        Throwable t = e;
        while (t.getCause() != null && t.getCause() != t && t.getMessage() != null
                && t.getCause().getMessage() != null) {
            t = t.getCause();
        }
        return t.getMessage() == null ? t.getClass().getSimpleName() : t.getMessage();
    }
}
