package dev.weir.proxy.config;

import static dev.weir.proxy.config.NodeReader.index;
import static dev.weir.proxy.config.NodeReader.quote;

import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.regex.Pattern;
import org.yaml.snakeyaml.nodes.Node;

/**
 * {@code listeners.NAME.tls}: its keys, read into a {@link TlsConfig}. The files are only named here: they are read
 * and checked when the listener is built, where a problem names the same YAML path.
 */
final class TlsSchema {

    private static final String PATH_EXPECTED = "a file path";
    private static final Set<String> PROTOCOL_NAMES = Set.of("TLSv1.2", "TLSv1.3");
    private static final String PROTOCOLS_EXPECTED = "a list of TLSv1.2 and TLSv1.3";
    // OpenSSL and IANA cipher names, and ALPN protocol ids (h2, http/1.1, imap...): printable, no spaces.
    private static final Pattern TOKEN = Pattern.compile("[A-Za-z0-9._/+-]{1,255}");

    static final Key<Path> CERT = Key.required("cert", TlsSchema.path());
    static final Key<Path> KEY = Key.required("key", TlsSchema.path());
    static final Key<Void> CERTIFICATES = Key.list("certificates", Section.described("a map with cert and key", CERT, KEY));
    static final Key<List<String>> PROTOCOLS = Key.of("protocols", Parser.of(TlsSchema::protocols, Parsers::formatList),
            List.of("TLSv1.2", "TLSv1.3"));
    static final Key<List<String>> CIPHERS = Key.of("ciphers",
            Parser.of((in, path, node) -> tokens(in, path, node, "a list of cipher suite names"), Parsers::formatList),
            List.of());
    static final Key<List<String>> ALPN = Key.of("alpn",
            Parser.of((in, path, node) -> tokens(in, path, node, "a list of protocol ids, like [h2, http/1.1]"),
                    Parsers::formatList), List.of());
    static final Key<TlsConfig.ClientAuth> CLIENT_AUTH = Key.of("client-auth",
            Parsers.oneOf(TlsConfig.ClientAuth.values(), TlsConfig.ClientAuth::yamlName), TlsConfig.ClientAuth.NONE);
    static final Key<Path> CLIENT_CA = Key.optional("client-ca", TlsSchema.path());
    static final Key<Duration> HANDSHAKE_TIMEOUT = Key.of("handshake-timeout", Parsers.duration(false),
            Duration.ofSeconds(10));
    static final Key<Boolean> TICKETS_ENABLED = Key.of("enabled", Parsers.bool(), TlsConfig.DEFAULT_TICKETS.enabled());
    static final Key<Duration> TICKETS_ROTATE = Key.of("rotate",
            Parsers.duration(Duration.ofSeconds(1), Duration.ofHours(168), true), TlsConfig.DEFAULT_TICKETS.rotate());
    static final Key<Void> SESSION_TICKETS = Key.section("session-tickets",
            Section.described("a map with enabled and rotate", TICKETS_ENABLED, TICKETS_ROTATE));
    static final Key<Void> TLS = Key.section("tls", Section.of(CERTIFICATES, PROTOCOLS, CIPHERS, ALPN, CLIENT_AUTH,
            CLIENT_CA, HANDSHAKE_TIMEOUT, SESSION_TICKETS));

    private final NodeReader in;

    TlsSchema(NodeReader in) {
        this.in = in;
    }

    /** The listener's TLS settings; null when absent, or when they have errors (reported; see {@code failed}). */
    TlsConfig read(String listenerPath, Map<String, Node> listener) {
        if (!TLS.isIn(listener)) {
            return null;
        }
        String path = TLS.path(listenerPath);
        Map<String, Node> f = TLS.section().fields(in, path, TLS.node(listener));
        if (f == null) {
            return null;
        }
        List<TlsConfig.Certificate> certificates = certificates(CERTIFICATES.path(path), CERTIFICATES.node(f));
        List<String> protocols = PROTOCOLS.read(in, path, f);
        List<String> ciphers = CIPHERS.read(in, path, f);
        List<String> alpn = ALPN.read(in, path, f);
        TlsConfig.ClientAuth clientAuth = CLIENT_AUTH.read(in, path, f);
        Path clientCa = CLIENT_CA.read(in, path, f);
        Duration handshakeTimeout = HANDSHAKE_TIMEOUT.read(in, path, f);
        TlsConfig.SessionTickets tickets = tickets(path, f);
        if (clientAuth != null && clientAuth != TlsConfig.ClientAuth.NONE && clientCa == null && !CLIENT_CA.isIn(f)) {
            in.error(CLIENT_CA.path(path), "missing", "the CA file client certificates are checked against (client-auth is "
                    + clientAuth.yamlName() + ")");
            return null;
        }
        if (certificates == null || protocols == null || ciphers == null || alpn == null || clientAuth == null
                || (CLIENT_CA.isIn(f) && clientCa == null) || handshakeTimeout == null || tickets == null) {
            return null;
        }
        return new TlsConfig(certificates, protocols, ciphers, alpn, clientAuth, clientCa, handshakeTimeout, tickets);
    }

    /** Absent: on, rotating every 12 hours; null (reported) when it has errors. */
    private TlsConfig.SessionTickets tickets(String tlsPath, Map<String, Node> tls) {
        String path = SESSION_TICKETS.path(tlsPath);
        Map<String, Node> f = SESSION_TICKETS.section().fields(in, path, SESSION_TICKETS.node(tls));
        if (f == null) {
            return null;
        }
        Boolean enabled = TICKETS_ENABLED.read(in, path, f);
        Duration rotate = TICKETS_ROTATE.read(in, path, f);
        return enabled == null || rotate == null ? null : new TlsConfig.SessionTickets(enabled, rotate);
    }

    /** True when the listener has a tls section (read as null only when it has errors). */
    static boolean present(Map<String, Node> listener) {
        return TLS.isIn(listener);
    }

    private List<TlsConfig.Certificate> certificates(String path, Node node) {
        if (NodeReader.isNull(node)) {
            in.error(path, "missing", "a list of {cert, key}, at least one");
            return null;
        }
        List<Node> items = in.list(path, node, "a list of {cert, key}, at least one");
        if (items == null) {
            return null;
        }
        if (items.isEmpty()) {
            in.error(path, "empty", "at least one certificate");
            return null;
        }
        List<TlsConfig.Certificate> out = new ArrayList<>();
        boolean ok = true;
        for (int i = 0; i < items.size(); i++) {
            String itemPath = index(path, i);
            Map<String, Node> f = CERTIFICATES.section().fields(in, itemPath, items.get(i));
            if (f == null) {
                ok = false;
                continue;
            }
            Path cert = CERT.read(in, itemPath, f);
            Path key = KEY.read(in, itemPath, f);
            if (cert == null || key == null) {
                ok = false;
            } else {
                out.add(new TlsConfig.Certificate(cert, key));
            }
        }
        return ok ? out : null;
    }

    static Parser<Path> path() {
        return Parser.of((in, path, node) -> {
            String text = in.text(path, node, PATH_EXPECTED);
            if (text == null) {
                return null;
            }
            if (text.isBlank() || text.indexOf('\0') >= 0) {
                in.error(path, quote(text), PATH_EXPECTED);
                return null;
            }
            return Path.of(text);
        }, Path::toString);
    }

    private static List<String> protocols(NodeReader in, String path, Node node) {
        List<String> names = tokens(in, path, node, PROTOCOLS_EXPECTED);
        if (names == null) {
            return null;
        }
        if (names.isEmpty()) {
            in.error(path, "empty", PROTOCOLS_EXPECTED);
            return null;
        }
        for (int i = 0; i < names.size(); i++) {
            if (!PROTOCOL_NAMES.contains(names.get(i))) {
                in.error(index(path, i), quote(names.get(i)), "TLSv1.2 or TLSv1.3");
                return null;
            }
        }
        return names;
    }

    private static List<String> tokens(NodeReader in, String path, Node node, String expected) {
        if (NodeReader.isNull(node)) {
            return List.of();
        }
        List<Node> items = in.list(path, node, expected);
        if (items == null) {
            return null;
        }
        List<String> out = new ArrayList<>();
        for (int i = 0; i < items.size(); i++) {
            String itemPath = index(path, i);
            String text = in.text(itemPath, items.get(i), expected);
            if (text == null) {
                return null;
            }
            if (!TOKEN.matcher(text).matches()) {
                in.error(itemPath, quote(text), expected);
                return null;
            }
            if (out.contains(text)) {
                in.error(itemPath, quote(text), "each once");
                return null;
            }
            out.add(text);
        }
        return out;
    }
}
