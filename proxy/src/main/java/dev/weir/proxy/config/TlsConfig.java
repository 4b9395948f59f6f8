package dev.weir.proxy.config;

import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Locale;

/**
 * {@code listeners.NAME.tls}: the listener terminates TLS and relays the plaintext. The files are named here and
 * read when the listener is built (at start, and by a reload's prepare step).
 *
 * @param certificates     at least one; chosen by the client's SNI against each certificate's DNS names (exact,
 *                         then wildcard); the first is the default
 * @param protocols        TLS versions offered, e.g. TLSv1.2, TLSv1.3
 * @param ciphers          cipher suites; empty = the provider's secure defaults
 * @param alpn             application protocols offered; empty = no ALPN
 * @param clientCa         the CA file client certificates are checked against; null when client-auth is none
 * @param handshakeTimeout the ClientHello and the whole handshake must complete within this
 * @param sessionTickets   resumption by session tickets, with keys Weir makes and rotates
 */
public record TlsConfig(List<Certificate> certificates, List<String> protocols, List<String> ciphers,
                        List<String> alpn, ClientAuth clientAuth, Path clientCa, Duration handshakeTimeout,
                        SessionTickets sessionTickets) {

    /** Session tickets on, a new key every 12 hours. */
    public static final SessionTickets DEFAULT_TICKETS = new SessionTickets(true, Duration.ofHours(12));

    public TlsConfig {
        certificates = List.copyOf(certificates);
        protocols = List.copyOf(protocols);
        ciphers = List.copyOf(ciphers);
        alpn = List.copyOf(alpn);
    }

    /** A certificate chain (PEM, the leaf first) and its private key (PEM: PKCS#8, or traditional RSA or EC). */
    public record Certificate(Path cert, Path key) {
    }

    /**
     * {@code session-tickets}: with the openssl provider, tickets are encrypted with keys Weir makes, the same on
     * every event loop and across reloads; a new key issues them every {@code rotate}, the previous one still
     * decrypts for one more period. The jdk provider uses its own tickets and keys (docs/tls.md).
     */
    public record SessionTickets(boolean enabled, Duration rotate) {
    }

    /** Whether clients must present a certificate. */
    public enum ClientAuth {
        NONE, OPTIONAL, REQUIRED;

        public String yamlName() {
            return name().toLowerCase(Locale.ROOT);
        }
    }
}
