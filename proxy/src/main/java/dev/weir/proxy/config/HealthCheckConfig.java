package dev.weir.proxy.config;

import java.time.Duration;

/**
 * {@code pools.NAME.health-check}: active probes of every backend of the pool.
 *
 * @param jitter     0..0.5: each interval is randomly lengthened or shortened by up to this fraction
 * @param send       send-expect: bytes written after connecting; null for other types
 * @param expect     send-expect: the reply must contain these bytes; null for other types
 * @param path       http: request path (default {@code /}); null for other types
 * @param statusMin  http: lowest passing status (default 200)
 * @param statusMax  http: highest passing status (default 399)
 * @param port       probe this port instead of the backend's traffic port; 0 = the traffic port
 * @param proxyProtocol send the pool's PROXY header (a LOCAL one) before probing
 * @param tls        speak the pool's TLS, when it has one; false probes in plaintext (a plaintext health port)
 */
public record HealthCheckConfig(
        HealthCheckType type,
        Duration interval,
        Duration timeout,
        int rise,
        int fall,
        double jitter,
        Bytes send,
        Bytes expect,
        String path,
        int statusMin,
        int statusMax,
        int port,
        boolean proxyProtocol,
        boolean tls) {

    public HealthCheckConfig(HealthCheckType type, Duration interval, Duration timeout, int rise, int fall,
                             double jitter, Bytes send, Bytes expect, String path, int statusMin, int statusMax,
                             int port, boolean proxyProtocol) {
        this(type, interval, timeout, rise, fall, jitter, send, expect, path, statusMin, statusMax, port, proxyProtocol,
                true);
    }

    public HealthCheckConfig(HealthCheckType type, Duration interval, Duration timeout, int rise, int fall,
                             double jitter, Bytes send, Bytes expect, String path, int statusMin, int statusMax,
                             int port) {
        this(type, interval, timeout, rise, fall, jitter, send, expect, path, statusMin, statusMax, port, false);
    }
}
