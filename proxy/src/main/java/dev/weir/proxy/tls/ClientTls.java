package dev.weir.proxy.tls;

import dev.weir.proxy.api.StartException;
import dev.weir.proxy.config.BackendTlsConfig;
import io.netty.buffer.ByteBufAllocator;
import io.netty.handler.ssl.SslContext;
import io.netty.handler.ssl.SslContextBuilder;
import io.netty.handler.ssl.SslHandler;
import io.netty.handler.ssl.util.InsecureTrustManagerFactory;
import java.security.PrivateKey;
import java.security.cert.X509Certificate;
import java.util.List;
import javax.net.ssl.SSLEngine;
import javax.net.ssl.SSLException;
import javax.net.ssl.SSLParameters;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The TLS a pool speaks to its backends: one client {@link SslContext}, built once when the pool is built (at start,
 * or in a reload's prepare step), with the pool's trust (its {@code ca}, or the JDK's trust store), an optional
 * client certificate, and a name to send and check per backend.
 *
 * <p>Thread rule: immutable once loaded; {@link #newHandler} runs on every event loop at once.
 */
public final class ClientTls {

    private static final Logger log = LoggerFactory.getLogger(ClientTls.class);

    private final SslContext context;
    private final BackendTlsConfig config;
    /** The leaf of {@code config.cert()}, as loaded; null without a client certificate. */
    private final X509Certificate certificate;

    private ClientTls(SslContext context, BackendTlsConfig config, X509Certificate certificate) {
        this.context = context;
        this.config = config;
        this.certificate = certificate;
    }

    /**
     * @param path the YAML path of the tls section ({@code pools.NAME.tls}), which every error names
     * @throws StartException naming the file's YAML path and what is wrong with it
     */
    public static ClientTls load(String path, BackendTlsConfig cfg, TlsProviders providers) throws StartException {
        SslContextBuilder b = SslContextBuilder.forClient().sslProvider(providers.get());
        if (!cfg.verify()) {
            log.warn("backend tls without verification path={} (any certificate is accepted)", path);
            b.trustManager(InsecureTrustManagerFactory.INSTANCE);
        } else if (cfg.ca() != null) {
            ServerTls.readable(path + ".ca", cfg.ca());
            List<X509Certificate> cas = Certificates.read(path + ".ca", cfg.ca());
            if (cas.isEmpty()) {
                throw StartException.config(path + ".ca: " + cfg.ca() + " holds no certificate", null);
            }
            b.trustManager(cas);
        }
        X509Certificate leaf = null;
        if (cfg.cert() != null) {
            ServerTls.readable(path + ".cert", cfg.cert());
            ServerTls.readable(path + ".key", cfg.key());
            List<X509Certificate> chain = Certificates.read(path + ".cert", cfg.cert());
            if (chain.isEmpty()) {
                throw StartException.config(path + ".cert: " + cfg.cert() + " holds no PEM certificate", null);
            }
            leaf = chain.get(0);
            PrivateKey key = Certificates.readKey(path + ".key", cfg.key());
            Certificates.checkKeyMatches(path, cfg.key(), cfg.cert(), key, chain.get(0));
            b.keyManager(key, chain);
        }
        try {
            return new ClientTls(b.build(), cfg, leaf);
        } catch (SSLException | IllegalArgumentException e) {
            throw StartException.config(path + ": cannot build the client TLS context (" + ServerTls.reason(e) + ")", e);
        }
    }

    /** The settings it was loaded from. */
    public BackendTlsConfig config() {
        return config;
    }

    /** The client certificate it presents to backends (for expiry reporting); null when it presents none. */
    public X509Certificate certificate() {
        return certificate;
    }

    /**
     * A handler that handshakes with the backend {@code host}:{@code port} (its configured host name or address),
     * sending {@code server-name} (else the host) as SNI and, when verifying, checking the certificate's name against
     * it as HTTPS clients do.
     */
    public SslHandler newHandler(ByteBufAllocator alloc, String host, int port, long handshakeTimeoutMillis) {
        String name = config.serverName() != null ? config.serverName() : host;
        SslHandler h = context.newHandler(alloc, name, port);
        if (config.verify()) {
            SSLEngine engine = h.engine();
            SSLParameters p = engine.getSSLParameters();
            p.setEndpointIdentificationAlgorithm("HTTPS");
            engine.setSSLParameters(p);
        }
        h.setHandshakeTimeoutMillis(handshakeTimeoutMillis);
        return h;
    }
}
