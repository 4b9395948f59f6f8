package dev.weir.proxy.relay;

import dev.weir.proxy.metrics.AccessLog;
import io.netty.handler.ssl.SslHandler;
import java.util.List;
import javax.net.ssl.ExtendedSSLSession;
import javax.net.ssl.SNIHostName;
import javax.net.ssl.SNIServerName;
import javax.net.ssl.SSLEngine;
import javax.net.ssl.SSLPeerUnverifiedException;
import javax.net.ssl.SSLSession;

/** What the access log says of a terminated TLS session, read once when its handshake succeeded. Stateless. */
final class TlsSessions {

    private TlsSessions() {
    }

    static AccessLog.Tls describe(SslHandler handler) {
        if (handler == null) {
            return null;
        }
        SSLSession s = handler.engine().getSession();
        String sni = null;
        if (s instanceof ExtendedSSLSession ext) {
            List<SNIServerName> names = ext.getRequestedServerNames();
            for (SNIServerName n : names) {
                if (n instanceof SNIHostName host) {
                    sni = host.getAsciiName();
                }
            }
        }
        String subject = null;
        // Asked only where the listener requests client certificates: without one the provider answers with an
        // exception and its stack trace, which cost every handshake more than the rest of this.
        SSLEngine engine = handler.engine();
        if (engine.getNeedClientAuth() || engine.getWantClientAuth()) {
            try {
                subject = s.getPeerPrincipal().getName();
            } catch (SSLPeerUnverifiedException noCertificate) {
                subject = null;
            }
        }
        String alpn = handler.applicationProtocol();
        return new AccessLog.Tls(s.getProtocol(), s.getCipherSuite(), sni, alpn, subject);
    }
}
