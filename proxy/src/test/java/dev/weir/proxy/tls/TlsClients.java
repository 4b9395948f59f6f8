package dev.weir.proxy.tls;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.util.List;
import javax.net.ssl.SNIHostName;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLParameters;
import javax.net.ssl.SSLSocket;

/** JDK TLS clients for the tests: connected, with a read timeout, the handshake left to the first use. */
public final class TlsClients {

    private TlsClients() {
    }

    /**
     * @param sni       the server name to send; null for none
     * @param protocols the versions to offer; none for the JDK's default
     */
    public static SSLSocket connect(InetSocketAddress at, SSLContext ctx, String sni, String... protocols)
            throws IOException {
        SSLSocket s = (SSLSocket) ctx.getSocketFactory().createSocket();
        s.setSoTimeout(20_000);
        s.connect(at, 5_000);
        SSLParameters p = s.getSSLParameters();
        p.setServerNames(sni == null ? List.of() : List.of(new SNIHostName(sni)));
        if (protocols.length > 0) {
            p.setProtocols(protocols);
        }
        s.setSSLParameters(p);
        return s;
    }
}
