package dev.weir.proxy.tls;

import dev.weir.proxy.api.StartException;
import dev.weir.proxy.config.TlsConfig;
import io.netty.channel.ChannelHandler;
import io.netty.handler.ssl.ApplicationProtocolConfig;
import io.netty.handler.ssl.ClientAuth;
import io.netty.handler.ssl.SslContext;
import io.netty.handler.ssl.SslContextBuilder;
import io.netty.util.DomainWildcardMappingBuilder;
import io.netty.util.Mapping;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.cert.X509Certificate;
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
 * wildcard; the first certificate for no SNI or no match.
 *
 * <p>Thread rule: immutable once loaded; {@link #newHandler} runs on every event loop at once.
 */
public final class ServerTls {

    private static final Logger log = LoggerFactory.getLogger(ServerTls.class);
    /** The most a ClientHello may take before the certificate is chosen (as Netty's default). */
    private static final int MAX_CLIENT_HELLO = 16 * 1024;

    private final Mapping<String, SslContext> bySni;
    private final long handshakeTimeoutMillis;
    private final List<X509Certificate> leaves;

    private ServerTls(Mapping<String, SslContext> bySni, long handshakeTimeoutMillis, List<X509Certificate> leaves) {
        this.bySni = bySni;
        this.handshakeTimeoutMillis = handshakeTimeoutMillis;
        this.leaves = List.copyOf(leaves);
    }

    /**
     * Reads and checks every file of {@code cfg}.
     *
     * @param path the YAML path of the tls section ({@code listeners.NAME.tls}), which every error names
     * @throws StartException naming the file's YAML path and what is wrong with it
     */
    public static ServerTls load(String path, TlsConfig cfg) throws StartException {
        SslContext first = null;
        List<SslContext> contexts = new ArrayList<>();
        List<X509Certificate> leaves = new ArrayList<>();
        for (int i = 0; i < cfg.certificates().size(); i++) {
            TlsConfig.Certificate c = cfg.certificates().get(i);
            String at = path + ".certificates[" + i + "]";
            X509Certificate leaf = leaf(at + ".cert", c.cert());
            readable(at + ".key", c.key());
            SslContext ctx = context(at, c, cfg, path);
            warnIfExpired(at + ".cert", c.cert(), leaf);
            contexts.add(ctx);
            leaves.add(leaf);
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
        return new ServerTls(mapping.build(), cfg.handshakeTimeout().toMillis(), leaves);
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
        return new SniTermination(bySni, MAX_CLIENT_HELLO, handshakeTimeoutMillis);
    }

    private static SslContext context(String at, TlsConfig.Certificate c, TlsConfig cfg, String path)
            throws StartException {
        SslContextBuilder b;
        try {
            b = SslContextBuilder.forServer(c.cert().toFile(), c.key().toFile());
        } catch (IllegalArgumentException e) {
            throw new StartException(at + ": cannot use " + c.cert() + " and " + c.key() + " (" + reason(e) + ")", e);
        }
        b.sslProvider(TlsProviders.chosen()).protocols(cfg.protocols());
        if (!cfg.ciphers().isEmpty()) {
            b.ciphers(cfg.ciphers());
        }
        if (!cfg.alpn().isEmpty()) {
            b.applicationProtocolConfig(new ApplicationProtocolConfig(ApplicationProtocolConfig.Protocol.ALPN,
                    ApplicationProtocolConfig.SelectorFailureBehavior.NO_ADVERTISE,
                    ApplicationProtocolConfig.SelectedListenerFailureBehavior.ACCEPT, cfg.alpn()));
        }
        if (cfg.clientAuth() != TlsConfig.ClientAuth.NONE) {
            String caPath = path + ".client-ca";
            readable(caPath, cfg.clientCa());
            if (Certificates.read(caPath, cfg.clientCa()).isEmpty()) {
                throw new StartException(caPath + ": " + cfg.clientCa() + " holds no certificate", null);
            }
            b.trustManager(cfg.clientCa().toFile())
                    .clientAuth(cfg.clientAuth() == TlsConfig.ClientAuth.REQUIRED ? ClientAuth.REQUIRE : ClientAuth.OPTIONAL);
        }
        try {
            SslContext ctx = b.build();
            Certificates.checkKeyMatches(at, c);
            return ctx;
        } catch (SSLException | IllegalArgumentException e) {
            throw new StartException(at + ": cannot use " + c.cert() + " and " + c.key() + " (" + reason(e) + ")", e);
        }
    }

    private static X509Certificate leaf(String at, Path file) throws StartException {
        readable(at, file);
        List<X509Certificate> chain = Certificates.read(at, file);
        if (chain.isEmpty()) {
            throw new StartException(at + ": " + file + " holds no PEM certificate", null);
        }
        return chain.get(0);
    }

    private static void readable(String at, Path file) throws StartException {
        if (!Files.exists(file)) {
            throw new StartException(at + ": " + file + ": no such file", null);
        }
        if (!Files.isReadable(file) || Files.isDirectory(file)) {
            throw new StartException(at + ": " + file + ": cannot read", null);
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
