package dev.weir.proxy.health;

import dev.weir.proxy.backend.Backend;
import dev.weir.proxy.config.Bytes;
import dev.weir.proxy.config.HealthCheckConfig;
import dev.weir.proxy.config.HealthCheckType;
import dev.weir.proxy.config.PassiveConfig;
import java.net.InetSocketAddress;
import java.time.Duration;

/** Config records built directly, as the YAML loader would (jitter 0 unless a test wants it). */
final class Checks {

    private Checks() {
    }

    static HealthCheckConfig tcp(long intervalMillis, long timeoutMillis, int rise, int fall) {
        return new HealthCheckConfig(HealthCheckType.TCP, Duration.ofMillis(intervalMillis),
                Duration.ofMillis(timeoutMillis), rise, fall, 0, null, null, null, 200, 399, 0);
    }

    static HealthCheckConfig sendExpect(String send, String expect, long timeoutMillis) {
        return new HealthCheckConfig(HealthCheckType.SEND_EXPECT, Duration.ofSeconds(30),
                Duration.ofMillis(timeoutMillis), 2, 3, 0, send == null ? null : Bytes.utf8(send),
                Bytes.utf8(expect), null, 200, 399, 0);
    }

    static HealthCheckConfig http(String path, int statusMin, int statusMax, long timeoutMillis) {
        return new HealthCheckConfig(HealthCheckType.HTTP, Duration.ofSeconds(30), Duration.ofMillis(timeoutMillis),
                2, 3, 0, null, null, path, statusMin, statusMax, 0);
    }

    static HealthCheckConfig withPort(HealthCheckConfig c, int port) {
        return new HealthCheckConfig(c.type(), c.interval(), c.timeout(), c.rise(), c.fall(), c.jitter(), c.send(),
                c.expect(), c.path(), c.statusMin(), c.statusMax(), port);
    }

    static HealthCheckConfig withInterval(HealthCheckConfig c, long intervalMillis) {
        return new HealthCheckConfig(c.type(), Duration.ofMillis(intervalMillis), c.timeout(), c.rise(), c.fall(),
                c.jitter(), c.send(), c.expect(), c.path(), c.statusMin(), c.statusMax(), c.port());
    }

    static HealthCheckConfig withJitter(HealthCheckConfig c, double jitter) {
        return new HealthCheckConfig(c.type(), c.interval(), c.timeout(), c.rise(), c.fall(), jitter, c.send(),
                c.expect(), c.path(), c.statusMin(), c.statusMax(), c.port());
    }

    static PassiveConfig passive(int consecutiveFailures, long ejectForMillis, long maxEjectForMillis) {
        return new PassiveConfig(consecutiveFailures, Duration.ofMillis(ejectForMillis),
                Duration.ofMillis(maxEjectForMillis));
    }

    static Backend backend(String host, int port) {
        String key = host + ":" + port;
        return new Backend(key, key, new InetSocketAddress(host, port), 1);
    }
}
