package dev.weir.proxy.config;

import java.nio.file.Path;

/**
 * {@code pools.NAME.tls}: Weir speaks TLS to the pool's backends. The files are named here and read when the pool
 * is built (at start, and by a reload's prepare step).
 *
 * @param verify     check the backend's certificate chain and name (off: anything is accepted, with a warning)
 * @param ca         the CA certificates (PEM) backends' chains must end in; null = the JDK's trust store
 * @param serverName the name sent as SNI and checked against the certificate; null = the backend's host
 * @param cert       a client certificate chain (PEM) for backends that ask for one; null = none
 * @param key        its PKCS#8 key; null exactly when {@code cert} is
 */
public record BackendTlsConfig(boolean verify, Path ca, String serverName, Path cert, Path key) {
}
