package dev.weir.proxy.config;

import java.util.Locale;

/**
 * {@code tls-provider:} in the config: the TLS implementation of the whole process, chosen at start. AUTO takes
 * BoringSSL (netty-tcnative) where it loads, else the JDK's.
 */
public enum TlsProviderKind {
    AUTO, OPENSSL, JDK;

    /** The spelling used in YAML: {@code auto}, {@code openssl}, {@code jdk}. */
    public String yamlName() {
        return name().toLowerCase(Locale.ROOT);
    }
}
