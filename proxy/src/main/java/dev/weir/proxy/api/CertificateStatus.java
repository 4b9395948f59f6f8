package dev.weir.proxy.api;

import java.nio.file.Path;
import java.time.Instant;

/**
 * A certificate the proxy presents, as loaded (the admin API serializes this): a terminating listener's, or a pool's
 * client certificate for its backends.
 *
 * @param usedBy   the YAML path of the setting that names it, e.g. {@code listeners.web.tls.certificates[0]}
 * @param listener the listener that serves it; null for a pool's
 * @param pool     the pool that presents it to backends; null for a listener's
 * @param path     its file
 * @param subject  the leaf's subject (RFC 2253)
 * @param serial   the leaf's serial number, in hex
 * @param notAfter when the leaf expires
 */
public record CertificateStatus(String usedBy, String listener, String pool, Path path, String subject, String serial,
                                Instant notAfter) {
}
