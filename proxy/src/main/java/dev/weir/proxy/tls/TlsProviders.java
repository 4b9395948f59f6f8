package dev.weir.proxy.tls;

import io.netty.handler.ssl.OpenSsl;
import io.netty.handler.ssl.SslProvider;
import java.util.concurrent.atomic.AtomicBoolean;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Which TLS implementation Weir uses: BoringSSL (netty-tcnative, shipped for linux x86_64 and aarch64) where it
 * loads, for OpenSSL-class handshake speed; the JDK's provider elsewhere. Chosen once, and logged once.
 *
 * <p>Thread rule: any thread.
 */
final class TlsProviders {

    private static final Logger log = LoggerFactory.getLogger(TlsProviders.class);
    private static final AtomicBoolean LOGGED = new AtomicBoolean();

    private TlsProviders() {
    }

    static SslProvider chosen() {
        boolean openssl = OpenSsl.isAvailable();
        if (LOGGED.compareAndSet(false, true)) {
            if (openssl) {
                log.info("tls provider chosen provider=openssl version=\"{}\"", OpenSsl.versionString());
            } else {
                Throwable why = OpenSsl.unavailabilityCause();
                log.info("tls provider chosen provider=jdk openssl_unavailable=\"{}\"",
                        why == null ? "unknown" : why.getMessage());
            }
        }
        return openssl ? SslProvider.OPENSSL : SslProvider.JDK;
    }
}
