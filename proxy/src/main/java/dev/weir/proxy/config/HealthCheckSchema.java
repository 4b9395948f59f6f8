package dev.weir.proxy.config;

import static dev.weir.proxy.config.NodeReader.quote;

import java.time.Duration;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.yaml.snakeyaml.nodes.Node;

/** {@code pools.NAME.health-check}: its keys, and how they are read into a {@link HealthCheckConfig}. */
final class HealthCheckSchema {

    /** {@code expect} for type http: the passing statuses. */
    record StatusRange(int min, int max) {
    }

    private static final String HTTP_PATH_EXPECTED = "a path starting with /, in printable ASCII without spaces";
    private static final String STATUS_EXPECTED = "a status range like 200, 200-299, 2xx or 2xx-3xx";
    // A status or a class of them (2xx); either end of a range may be either form.
    private static final Pattern STATUS_RANGE =
            Pattern.compile("([1-5](?:\\d\\d|xx))(?:-([1-5](?:\\d\\d|xx)))?", Pattern.CASE_INSENSITIVE);

    static final Key<HealthCheckType> TYPE = Key.of("type",
            Parsers.oneOf(HealthCheckType.values(), HealthCheckType::yamlName), HealthCheckType.TCP);
    static final Key<Duration> INTERVAL = Key.of("interval", Parsers.duration(false), Duration.ofSeconds(2));
    /** Left out, it shrinks to a shorter interval. */
    static final Key<Duration> TIMEOUT = Key.of("timeout", Parsers.duration(false), Duration.ofSeconds(1));
    static final Key<Integer> RISE = Key.of("rise", Parsers.integer(1, 100), 2);
    static final Key<Integer> FALL = Key.of("fall", Parsers.integer(1, 100), 3);
    static final Key<Double> JITTER = Key.of("jitter", Parsers.fraction(50), 0.10);
    static final Key<Bytes> SEND = Key.required("send", Parsers.bytes("bytes to send, for type send-expect"));
    static final Key<Bytes> EXPECT = Key.required("expect", (in, path, node) -> {
        Bytes expect = Scalars.bytes(in, path, node, "bytes to find in the reply, for type send-expect");
        if (expect != null && expect.length() == 0) {
            in.error(path, "\"\"", "at least one byte to find in the reply");
            return null;
        }
        return expect;
    });
    static final Key<StatusRange> EXPECT_STATUS = Key.of("expect",
            Parser.of(HealthCheckSchema::statusRange, HealthCheckSchema::formatStatus), new StatusRange(200, 399));
    static final Key<String> PATH = Key.of("path", Parser.of(HealthCheckSchema::httpPath, Parsers::formatText), "/");
    /** 0: the backend's own port. */
    static final Key<Integer> PORT = Key.of("port", Parsers.integer(0, 65535), 0);
    static final Key<Boolean> PROXY_PROTOCOL = Key.of("proxy-protocol", Parsers.bool(), false);
    static final Key<Boolean> TLS = Key.of("tls", Parsers.bool(), true);

    static final Key<Void> HEALTH_CHECK = Key.section("health-check", Section.of(TYPE, INTERVAL, TIMEOUT, RISE,
            FALL, JITTER, SEND, EXPECT, EXPECT_STATUS, PATH, PORT, PROXY_PROTOCOL, TLS));

    private final NodeReader in;

    HealthCheckSchema(NodeReader in) {
        this.in = in;
    }

    /**
     * The health check among a pool's fields {@code pool} at {@code poolPath}. {@code send}, {@code expect} and
     * {@code path} belong to one type each (expect to two, with different meanings): given for another type they are
     * refused, since the operator clearly meant a check that is not the one configured. A PROXY header before
     * probing needs the pool's version ({@code poolProxyPath}): a backend expecting one would otherwise fail every
     * probe.
     */
    HealthCheckConfig read(String poolPath, Map<String, Node> pool, String poolProxyPath, boolean poolSendsProxy) {
        int mark = in.mark();
        String path = HEALTH_CHECK.path(poolPath);
        Map<String, Node> f = HEALTH_CHECK.section().fields(in, path, HEALTH_CHECK.node(pool));
        if (f == null) {
            return null;
        }
        HealthCheckType type = TYPE.read(in, path, f);
        Duration interval = INTERVAL.read(in, path, f);
        // Left out, the timeout shrinks to a short interval: only a timeout the operator wrote can be too long.
        Duration timeout = TIMEOUT.read(in, path, f,
                interval != null && interval.compareTo(TIMEOUT.fallback()) < 0 ? interval : TIMEOUT.fallback());
        if (interval != null && timeout != null && timeout.compareTo(interval) > 0) {
            in.error(TIMEOUT.path(path), Units.formatDuration(timeout),
                    "<= interval " + Units.formatDuration(interval));
        }
        Integer rise = RISE.read(in, path, f);
        Integer fall = FALL.read(in, path, f);
        Double jitter = JITTER.read(in, path, f);
        Integer port = PORT.read(in, path, f);
        Boolean proxyProtocol = PROXY_PROTOCOL.read(in, path, f);
        Boolean tls = TLS.read(in, path, f);
        if (Boolean.TRUE.equals(proxyProtocol) && !poolSendsProxy) {
            in.error(PROXY_PROTOCOL.path(path), "true", "only with " + poolProxyPath + " set");
        }

        Bytes send = null;
        Bytes expect = null;
        String httpPath = null;
        StatusRange status = new StatusRange(0, 0);
        if (type == HealthCheckType.SEND_EXPECT) {
            send = SEND.read(in, path, f);
            expect = EXPECT.read(in, path, f);
            notUsed(path, f, PATH, type, "only with type http");
        } else if (type == HealthCheckType.HTTP) {
            httpPath = PATH.read(in, path, f);
            status = EXPECT_STATUS.read(in, path, f);
            notUsed(path, f, SEND, type, "only with type send-expect");
        } else if (type == HealthCheckType.TCP) {
            notUsed(path, f, SEND, type, "only with type send-expect");
            notUsed(path, f, EXPECT, type, "only with type send-expect or http");
            notUsed(path, f, PATH, type, "only with type http");
        }
        if (!in.cleanSince(mark)) {
            return null;
        }
        return new HealthCheckConfig(type, interval, timeout, rise, fall, jitter, send, expect, httpPath,
                status.min(), status.max(), port, proxyProtocol, tls);
    }

    private void notUsed(String path, Map<String, Node> f, Key<?> key, HealthCheckType type, String expected) {
        if (key.isIn(f)) {
            in.error(key.path(path), "not used by type " + type.yamlName(), expected);
        }
    }

    /** Printable ASCII only: the path goes into the request line as written, where a space or CR LF would split it. */
    private static String httpPath(NodeReader in, String path, Node node) {
        String text = in.text(path, node, HTTP_PATH_EXPECTED);
        if (text == null) {
            return null;
        }
        boolean printable = text.chars().allMatch(c -> c > 0x20 && c < 0x7f);
        if (!text.startsWith("/") || !printable) {
            in.error(path, quote(text), HTTP_PATH_EXPECTED);
            return null;
        }
        return text;
    }

    /** {@code 200}, {@code 200-299}, {@code 2xx} or {@code 2xx-3xx}; null, reported, otherwise. */
    private static StatusRange statusRange(NodeReader in, String path, Node node) {
        String text = in.text(path, node, STATUS_EXPECTED);
        if (text == null) {
            return null;
        }
        Matcher m = STATUS_RANGE.matcher(text);
        if (m.matches()) {
            String high = m.group(2) != null ? m.group(2) : m.group(1);
            int min = statusBound(m.group(1), '0');
            int max = statusBound(high, '9');
            if (min <= max) {
                return new StatusRange(min, max);
            }
        }
        in.error(path, quote(text), STATUS_EXPECTED);
        return null;
    }

    private static int statusBound(String text, char fill) {
        return Integer.parseInt(text.substring(0, 1) + text.substring(1).replaceAll("[xX]", String.valueOf(fill)));
    }

    /** Whole classes as 2xx, so that the default reads 2xx-3xx as the reference writes it. */
    private static String formatStatus(StatusRange range) {
        if (range.min() == range.max()) {
            return String.valueOf(range.min());
        }
        String min = range.min() % 100 == 0 ? range.min() / 100 + "xx" : String.valueOf(range.min());
        String max = range.max() % 100 == 99 ? range.max() / 100 + "xx" : String.valueOf(range.max());
        return min.equals(max) ? min : min + "-" + max;
    }
}
