package dev.weir.proxy.config;

import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;

/** {@code pools.NAME} written back for {@link ConfigTree}: its keys, backends or discovery, and its sections. */
final class PoolTree {

    private static final String HEX_PREFIX = "hex:";

    private PoolTree() {
    }

    static TreeSection of(PoolConfig p) {
        return new TreeSection()
                .put(PoolSchema.BALANCE, p.balance())
                .put(PoolSchema.CONNECT_TIMEOUT, p.connectTimeout())
                .number(PoolSchema.CONNECT_ATTEMPTS, p.connectAttempts())
                // One of the two: a pool with discovery has no static list.
                .raw(PoolSchema.BACKENDS, p.discovery() != null ? null
                        : new ArrayList<>(p.backends().stream().map(b -> backend(b).map()).toList()))
                .raw(PoolPartsSchema.DISCOVERY, discovery(p.discovery()))
                .put(PoolSchema.DRAIN_TIMEOUT, p.drainTimeout())
                .put(PoolSchema.CLOSE_SPREAD, p.closeSpread())
                .flag(PoolSchema.CLOSE_ON_DOWN, p.closeOnDown())
                .put(PoolSchema.PROXY_PROTOCOL, p.proxyProtocol())
                .raw(HealthCheckSchema.HEALTH_CHECK, healthCheck(p.healthCheck()))
                .raw(PoolPartsSchema.PASSIVE, p.passive() == null ? null : new TreeSection()
                        .number(PoolPartsSchema.CONSECUTIVE_FAILURES, p.passive().consecutiveFailures())
                        .put(PoolPartsSchema.EJECT_FOR, p.passive().ejectFor())
                        .put(PoolPartsSchema.MAX_EJECT_FOR, p.passive().maxEjectFor()))
                .raw(PoolPartsSchema.WARM_POOL, p.warmPool() == null ? null : new TreeSection()
                        .number(PoolPartsSchema.MIN_IDLE, p.warmPool().minIdle())
                        .put(PoolPartsSchema.MAX_IDLE_TIME, p.warmPool().maxIdleTime()))
                .raw(PoolPartsSchema.KEEP_ALIVE, p.keepAlive() == null ? null : new TreeSection()
                        .put(PoolPartsSchema.IDLE, p.keepAlive().idle())
                        .put(PoolPartsSchema.INTERVAL, p.keepAlive().interval())
                        .number(PoolPartsSchema.COUNT, p.keepAlive().count()))
                .raw(BackendTlsSchema.TLS, p.tls() == null ? null : new TreeSection()
                        .flag(BackendTlsSchema.VERIFY, p.tls().verify())
                        .put(BackendTlsSchema.CA, p.tls().ca())
                        .put(BackendTlsSchema.SERVER_NAME, p.tls().serverName())
                        .put(BackendTlsSchema.CERT, p.tls().cert())
                        .put(BackendTlsSchema.KEY, p.tls().key()));
    }

    /** Always the long form, so that every key in effect shows. */
    private static TreeSection backend(BackendConfig b) {
        return new TreeSection()
                .put(PoolSchema.ADDRESS, b.address())
                .number(PoolSchema.WEIGHT, b.weight())
                .put(PoolSchema.NAME, b.name())
                .number(PoolSchema.BACKEND_CONNECTIONS, b.maxConnections());
    }

    private static TreeSection discovery(DiscoveryConfig d) {
        return d == null ? null : new TreeSection()
                .put(PoolPartsSchema.DNS, d.dns())
                .number(PoolPartsSchema.DNS_PORT, d.port())
                .put(PoolPartsSchema.REFRESH, d.refresh())
                .list(PoolPartsSchema.RESOLVERS, d.resolvers(), HostPort::toString)
                .number(PoolPartsSchema.DISCOVERED_WEIGHT, d.weight());
    }

    /** The keys of its type only: the loader refuses {@code send} on an http check, {@code path} on a tcp one. */
    private static TreeSection healthCheck(HealthCheckConfig h) {
        if (h == null) {
            return null;
        }
        TreeSection out = new TreeSection()
                .put(HealthCheckSchema.TYPE, h.type())
                .put(HealthCheckSchema.INTERVAL, h.interval())
                .put(HealthCheckSchema.TIMEOUT, h.timeout())
                .number(HealthCheckSchema.RISE, h.rise())
                .number(HealthCheckSchema.FALL, h.fall())
                .put(HealthCheckSchema.JITTER, h.jitter());
        if (h.type() == HealthCheckType.SEND_EXPECT) {
            out.raw(HealthCheckSchema.SEND, bytes(h.send())).raw(HealthCheckSchema.EXPECT, bytes(h.expect()));
        } else if (h.type() == HealthCheckType.HTTP) {
            out.put(HealthCheckSchema.PATH, h.path())
                    .put(HealthCheckSchema.EXPECT_STATUS,
                            new HealthCheckSchema.StatusRange(h.statusMin(), h.statusMax()));
        }
        return out.number(HealthCheckSchema.PORT, h.port())
                .flag(HealthCheckSchema.PROXY_PROTOCOL, h.proxyProtocol())
                .flag(HealthCheckSchema.TLS, h.tls());
    }

    /**
     * Text where it reads back the same (UTF-8 without control characters other than tab, CR and LF, which JSON and
     * YAML escape), else {@code hex:...}. Text that itself starts with {@code hex:} or holds {@code ${} is written
     * as hex too: the loader would read it as hex, or substitute it.
     */
    static String bytes(Bytes b) {
        String text;
        try {
            text = StandardCharsets.UTF_8.newDecoder()
                    .onMalformedInput(CodingErrorAction.REPORT)
                    .onUnmappableCharacter(CodingErrorAction.REPORT)
                    .decode(ByteBuffer.wrap(b.value())).toString();
        } catch (CharacterCodingException e) {
            return b.toString();
        }
        boolean plain = !text.startsWith(HEX_PREFIX) && !text.contains("${")
                && text.codePoints().allMatch(PoolTree::printable);
        return plain ? text : b.toString();
    }

    /** What SnakeYAML writes as text rather than as !!binary (its StreamReader.isPrintable), less DEL and C1. */
    private static boolean printable(int c) {
        return c == '\t' || c == '\n' || c == '\r' || (c >= 0x20 && c < 0x7f) || (c >= 0xa0 && c <= 0xd7ff)
                || (c >= 0xe000 && c <= 0xfffd && c != 0xfeff) || (c >= 0x10000 && c <= 0x10ffff);
    }
}
