package dev.weir.proxy.config;

import static dev.weir.proxy.config.NodeReader.quote;

import java.nio.file.Path;
import java.util.Map;
import java.util.regex.Pattern;
import org.yaml.snakeyaml.nodes.Node;

/** {@code pools.NAME.tls}: its keys, read into a {@link BackendTlsConfig}. */
final class BackendTlsSchema {

    private static final String NAME_EXPECTED = "a DNS name like db.internal";
    private static final Pattern DNS_NAME = Pattern.compile(
            "[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?(?:\\.[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?)*");

    static final Key<Boolean> VERIFY = Key.of("verify", Parsers.bool(), true);
    static final Key<Path> CA = Key.optional("ca", TlsSchema.path());
    static final Key<String> SERVER_NAME = Key.optional("server-name", Parser.of((in, path, node) -> {
        String text = in.text(path, node, NAME_EXPECTED);
        if (text != null && (text.length() > 253 || !DNS_NAME.matcher(text).matches())) {
            in.error(path, quote(text), NAME_EXPECTED);
            return null;
        }
        return text;
    }, Parsers::formatText));
    static final Key<Path> CERT = Key.optional("cert", TlsSchema.path());
    static final Key<Path> KEY = Key.optional("key", TlsSchema.path());
    static final Key<Void> TLS = Key.section("tls", Section.of(VERIFY, CA, SERVER_NAME, CERT, KEY));

    private final NodeReader in;

    BackendTlsSchema(NodeReader in) {
        this.in = in;
    }

    /** The pool's TLS to backends; null when absent, or when it has errors (reported). */
    BackendTlsConfig read(String poolPath, Map<String, Node> pool) {
        if (!TLS.isIn(pool)) {
            return null;
        }
        String path = TLS.path(poolPath);
        Map<String, Node> f = TLS.section().fields(in, path, TLS.node(pool));
        if (f == null) {
            return null;
        }
        int mark = in.mark();
        Boolean verify = VERIFY.read(in, path, f);
        Path ca = CA.read(in, path, f);
        String serverName = SERVER_NAME.read(in, path, f);
        Path cert = CERT.read(in, path, f);
        Path key = KEY.read(in, path, f);
        if (CERT.isIn(f) != KEY.isIn(f)) {
            in.error(CERT.isIn(f) ? KEY.path(path) : CERT.path(path), "missing",
                    "cert and key together, for a client certificate");
        }
        if (!in.cleanSince(mark) || verify == null) {
            return null;
        }
        return new BackendTlsConfig(verify, ca, serverName, cert, key);
    }
}
