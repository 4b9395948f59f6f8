package dev.weir.proxy.tls;

import dev.weir.proxy.api.StartException;
import dev.weir.proxy.config.TlsProviderKind;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.netty.handler.ssl.OpenSsl;
import io.netty.handler.ssl.SslProvider;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Which TLS implementation one proxy uses ({@code tls-provider}): BoringSSL (netty-tcnative, shipped for linux x86_64
 * and aarch64), for OpenSSL-class handshake speed, or the JDK's. {@code auto} takes BoringSSL where it loads. Chosen
 * when the first TLS context is built (a proxy without TLS never loads the native library), then fixed for the
 * process: logged once, and shown as {@code weir_tls_provider{provider,version} 1}.
 *
 * <p>Thread rule: any thread (contexts are built on the control thread; {@code weir validate} on its own).
 */
public final class TlsProviders {

    private static final Logger log = LoggerFactory.getLogger(TlsProviders.class);

    private final TlsProviderKind requested;
    private final MeterRegistry registry;
    private final boolean announce;
    private SslProvider chosen; // guarded by this

    /** @param registry where the choice, and the TLS meters of the contexts built, are shown */
    public TlsProviders(TlsProviderKind requested, MeterRegistry registry) {
        this(requested, registry, true);
    }

    private TlsProviders(TlsProviderKind requested, MeterRegistry registry, boolean announce) {
        this.requested = requested;
        this.registry = registry;
        this.announce = announce;
    }

    /** For {@code weir validate}: the same choice, neither logged nor shown (its output is OK or the errors). */
    static TlsProviders quiet(TlsProviderKind requested) {
        return new TlsProviders(requested, new SimpleMeterRegistry(), false);
    }

    /**
     * Fails when {@code tls-provider: openssl} cannot load here, naming the key and why; checked at start (and by
     * validate) whether or not anything uses TLS, as a forced transport is.
     */
    public static void check(TlsProviderKind requested) throws StartException {
        if (requested == TlsProviderKind.OPENSSL && !OpenSsl.isAvailable()) {
            throw StartException.config("tls-provider: openssl is not available here ("
                    + unavailability() + "); use auto or jdk", OpenSsl.unavailabilityCause());
        }
    }

    /**
     * Makes the JDK's provider refuse a client's renegotiation, as BoringSSL does (a renegotiation is a DoS lever and
     * served no purpose at L4). The JDK reads the property once, at its first server handshake, so the process sets it
     * at start; an operator's own {@code -Djdk.tls.rejectClientInitiatedRenegotiation} wins.
     */
    public static void refuseJdkRenegotiation() {
        if (System.getProperty("jdk.tls.rejectClientInitiatedRenegotiation") == null) {
            System.setProperty("jdk.tls.rejectClientInitiatedRenegotiation", "true");
        }
    }

    /** The provider every context of this proxy uses; the first call chooses it and says so. */
    public synchronized SslProvider get() {
        if (chosen == null) {
            boolean openssl = requested == TlsProviderKind.OPENSSL
                    || requested == TlsProviderKind.AUTO && OpenSsl.isAvailable();
            chosen = openssl ? SslProvider.OPENSSL : SslProvider.JDK;
            if (!openssl) {
                refuseJdkRenegotiation(); // in time unless this JVM has already served a JDK handshake (a test's)
            }
            if (!announce) {
                return chosen;
            }
            String version = openssl ? OpenSsl.versionString() : "JDK " + Runtime.version().feature();
            if (openssl) {
                log.info("tls provider chosen provider=openssl requested={} version=\"{}\"", requested.yamlName(),
                        version);
            } else if (requested == TlsProviderKind.JDK) {
                log.info("tls provider chosen provider=jdk requested=jdk");
            } else {
                log.info("tls provider chosen provider=jdk requested=auto openssl_unavailable=\"{}\"", unavailability());
            }
            Gauge.builder("weir.tls.provider", () -> 1).tags("provider", openssl ? "openssl" : "jdk", "version", version)
                    .description("The TLS implementation in use (1)").register(registry);
        }
        return chosen;
    }

    /** Where the TLS meters of this proxy go. */
    MeterRegistry registry() {
        return registry;
    }

    /** The provider asked for in the config. */
    public TlsProviderKind requested() {
        return requested;
    }

    private static String unavailability() {
        Throwable why = OpenSsl.unavailabilityCause();
        return why == null ? "unknown" : String.valueOf(why.getMessage());
    }
}
