package dev.weir.proxy.edge;

import static dev.weir.proxy.edge.EdgeSupport.ascii;
import static dev.weir.proxy.edge.EdgeSupport.count;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import dev.weir.proxy.RunningWeir;
import dev.weir.proxy.TestConfig;
import dev.weir.proxy.transport.Transport;
import dev.weir.sample.BackendSample;
import io.micrometer.core.instrument.MeterRegistry;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;
import java.util.stream.Stream;
import javax.net.ssl.SSLContext;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * SNI routing without terminating TLS: real JDK TLS clients through Weir to JDK TLS backends, so a
 * completed handshake proves the ClientHello reached the backend byte for byte.
 */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class SniRoutingTest {

    @TempDir
    static Path dir;

    private static SSLContext client;
    private static Tls.Backend api;
    private static Tls.Backend web;
    private static Tls.Backend deep;
    private static Tls.Backend fallback;
    private static BackendSample echo;

    @BeforeAll
    static void start() throws Exception {
        Path ks = Tls.keyStore(dir, "api.example.com", "www.example.com", "x.deep.example.com", "other.test");
        SSLContext server = Tls.serverContext(ks);
        client = Tls.trustingClientContext();
        api = new Tls.Backend("api", server);
        web = new Tls.Backend("web", server);
        deep = new Tls.Backend("deep", server);
        fallback = new Tls.Backend("dflt", server);
        echo = BackendSample.start("echo", "127.0.0.1", 0, null);
    }

    @AfterAll
    static void stop() throws IOException {
        for (Tls.Backend b : new Tls.Backend[] {api, web, deep, fallback}) {
            if (b != null) {
                b.close();
            }
        }
        if (echo != null) {
            echo.close();
        }
    }

    static Stream<String> transports() {
        return Transport.available().stream().map(Transport::name);
    }

    /**
     * Listeners: {@code sni} (routes and a default), {@code strict} (no default), {@code plain} (default is
     * a plain echo backend), {@code small} (max-client-hello 512), {@code slow} (timeout 300ms).
     */
    private static TestConfig config(String transport) {
        return TestConfig.proxy().transport(transport).set("shutdown.drain-timeout", "1s")
                // the shorter wildcard first: the longest must win, not the first
                .listener("sni", sni("dflt", routes("api.example.com", "api", "*.example.com", "web",
                        "*.deep.example.com", "deep"), "default", "dflt"))
                .listener("strict", sni("dflt", routes("api.example.com", "api", "*.example.com", "web")))
                .listener("plain", sni("echo", routes("api.example.com", "api"), "default", "echo"))
                .listener("small", sni("dflt", routes("api.example.com", "api"), "default", "dflt",
                        "max-client-hello", 512))
                .listener("slow", sni("dflt", routes("api.example.com", "api"), "default", "dflt", "timeout", "300ms"))
                .pool("api", TestConfig.local(api.port()))
                .pool("web", TestConfig.local(web.port()))
                .pool("deep", TestConfig.local(deep.port()))
                .pool("dflt", TestConfig.local(fallback.port()))
                .pool("echo", TestConfig.local(echo.port()));
    }

    /** A listener on 127.0.0.1:0 to {@code pool}, routing by SNI, with more {@code sni:} settings (name, value...). */
    private static Consumer<TestConfig.Section> sni(String pool, Map<String, Object> routes, Object... more) {
        Map<String, Object> sni = TestConfig.map("routes", routes);
        sni.putAll(TestConfig.map(more));
        return l -> l.set("bind", "127.0.0.1:0").set("pool", pool).set("sni", sni);
    }

    /** Server name, pool, server name, pool...: in this order. */
    private static Map<String, Object> routes(Object... namesAndPools) {
        return TestConfig.map(namesAndPools);
    }

    private static double sni(MeterRegistry registry, String listener, String result) {
        return count(registry, "weir.sni.results", "listener", listener, "result", result);
    }

    @ParameterizedTest
    @MethodSource("transports")
    void routesByExactNameThenLongestWildcardThenDefault(String transport) throws Exception {
        try (RunningWeir proxy = config(transport).start()) {
            InetSocketAddress l = proxy.address("sni");
            assertThat(Tls.request(l, "api.example.com", "one")).isEqualTo("api api.example.com one");
            assertThat(Tls.request(l, "www.example.com", "two")).isEqualTo("web www.example.com two");
            // Both wildcards match; *.deep.example.com is longer, though written after *.example.com.
            assertThat(Tls.request(l, "x.deep.example.com", "three")).isEqualTo("deep x.deep.example.com three");
            assertThat(Tls.request(l, "a.b.deep.example.com", "four")).startsWith("deep ");
            // *.deep.example.com needs a label in front; *.example.com has one.
            assertThat(Tls.request(l, "deep.example.com", "five")).startsWith("web ");
            assertThat(Tls.request(l, "API.Example.COM", "six")).as("server names ignore case").startsWith("api ");
            // No route: the apex does not match its own wildcard, nor does another domain.
            assertThat(Tls.request(l, "example.com", "seven")).isEqualTo("dflt example.com seven");
            assertThat(Tls.request(l, "other.test", "eight")).isEqualTo("dflt other.test eight");
            assertThat(Tls.request(l, null, "nine")).as("no SNI").isEqualTo("dflt - nine");

            await().untilAsserted(() -> {
                assertThat(sni(proxy.registry(), "sni", "matched")).isEqualTo(6.0);
                assertThat(sni(proxy.registry(), "sni", "no_match")).isEqualTo(2.0);
                assertThat(sni(proxy.registry(), "sni", "no_sni")).isEqualTo(1.0);
            });
            assertThat(proxy.metrics().closedCount("SNI_REJECTED")).isZero();
        }
    }

    @ParameterizedTest
    @MethodSource("transports")
    void aClientHelloInSevenByteSegmentsStillRoutesAndTheHandshakeCompletes(String transport) throws Exception {
        try (RunningWeir proxy = config(transport).start();
             Socket s = EdgeSupport.connect(proxy.address("sni"))) {
            Tls.EngineClient tls = new Tls.EngineClient(client, s, "www.example.com", 7, false);
            assertThat(tls.exchange("split")).isEqualTo("web www.example.com split");
            assertThat(tls.clientHello().length).as("a hello of many 7-byte segments").isGreaterThan(20 * 7);
            await().until(() -> sni(proxy.registry(), "sni", "matched") == 1.0);
        }
    }

    @ParameterizedTest
    @MethodSource("transports")
    void aClientHelloOverTwoRecordsSplitInsideTheServerNameStillRoutes(String transport) throws Exception {
        try (RunningWeir proxy = config(transport).start();
             Socket s = EdgeSupport.connect(proxy.address("sni"))) {
            Tls.EngineClient tls = new Tls.EngineClient(client, s, "x.deep.example.com", 7, true);
            assertThat(tls.exchange("records")).isEqualTo("deep x.deep.example.com records");
            await().until(() -> sni(proxy.registry(), "sni", "matched") == 1.0);
        }
    }

    @Test
    void withoutADefaultPoolNoRouteClosesTheClientAsSniRejected() throws Exception {
        int fallbackBefore = fallback.served.size();
        try (RunningWeir proxy = config("auto").start()) {
            InetSocketAddress l = proxy.address("strict");
            assertThatThrownBy(() -> Tls.request(l, "other.test", "x")).isInstanceOf(IOException.class);
            assertThatThrownBy(() -> Tls.request(l, null, "x")).isInstanceOf(IOException.class);
            try (Socket s = EdgeSupport.connect(l)) {
                s.getOutputStream().write(ascii("GET / HTTP/1.1\r\nHost: api.example.com\r\n\r\n"));
                assertThat(EdgeSupport.closedByPeer(s)).isTrue();
            }
            // A route still works on the same listener.
            assertThat(Tls.request(l, "www.example.com", "ok")).isEqualTo("web www.example.com ok");

            await().untilAsserted(() -> {
                assertThat(proxy.metrics().closedCount("SNI_REJECTED")).isEqualTo(3.0);
                assertThat(count(proxy.registry(), "weir.listener.rejects", "listener", "strict", "cause", "sni_rejected"))
                        .isEqualTo(3.0);
                assertThat(sni(proxy.registry(), "strict", "no_match")).isEqualTo(1.0);
                assertThat(sni(proxy.registry(), "strict", "no_sni")).isEqualTo(1.0);
                assertThat(sni(proxy.registry(), "strict", "not_tls")).isEqualTo(1.0);
                assertThat(sni(proxy.registry(), "strict", "matched")).isEqualTo(1.0);
            });
            assertThat(fallback.served).as("nothing reached a pool for the rejected ones").hasSize(fallbackBefore);
        }
    }

    @Test
    void plainTextGoesToTheDefaultPoolByteForByte() throws Exception {
        try (RunningWeir proxy = config("auto").start();
             Socket s = EdgeSupport.connect(proxy.address("plain"))) {
            byte[] request = EdgeSupport.concat(ascii("GET / HTTP/1.1\r\nHost: api.example.com\r\n\r\n"),
                    new byte[] {0, 1, 2, (byte) 0xff, 0x16, 0x03, 0x01});
            OutputStream out = s.getOutputStream();
            out.write(request);
            out.flush();
            assertThat(EdgeSupport.readExactly(s.getInputStream(), request.length)).isEqualTo(request);
            s.shutdownOutput();
            assertThat(EdgeSupport.readToEnd(s).bytes()).isEmpty();
            await().until(() -> sni(proxy.registry(), "plain", "not_tls") == 1.0);
        }
    }

    @Test
    void anOversizedHelloGoesToTheDefaultPoolWhole() throws Exception {
        int apiBefore = api.served.size();
        try (RunningWeir proxy = config("auto").start()) {
            InetSocketAddress l = proxy.address("small");
            // Forty ALPN names of 40 bytes: a ClientHello of well over 1,500 bytes, to api.example.com.
            List<String> alpn = new ArrayList<>();
            for (int i = 0; i < 40; i++) {
                alpn.add("x-weir-test-protocol-padding-%018d".formatted(i));
            }
            // The whole hello is relayed to the default pool: the handshake there completes.
            String answer = Tls.request(l, "api.example.com", "big", alpn.toArray(String[]::new));
            assertThat(answer).as("the default pool, never the route").startsWith("dflt ");
            assertThat(api.served).as("the route is never taken for an oversized hello").hasSize(apiBefore);
            await().untilAsserted(() -> assertThat(sni(proxy.registry(), "small", "oversized"))
                    .as(() -> EdgeSupport.edgeCounters(proxy.registry())).isEqualTo(1.0));
            assertThat(sni(proxy.registry(), "small", "matched")).isZero();
        }
    }

    @Test
    void aSlowHelloTimesOutIsCountedAndGoesToTheDefaultPool() throws Exception {
        try (RunningWeir proxy = config("auto").start();
             Socket s = EdgeSupport.connect(proxy.address("slow"))) {
            long before = proxy.weir().backends("dflt").get(0).totalConnections();
            // A handshake record header promising 512 bytes, then nothing.
            s.getOutputStream().write(new byte[] {0x16, 0x03, 0x01, 0x02, 0x00});
            await().untilAsserted(() -> assertThat(sni(proxy.registry(), "slow", "timeout"))
                    .as(() -> EdgeSupport.edgeCounters(proxy.registry())).isEqualTo(1.0));
            // What the client sent so far is relayed to the default pool, never to a route.
            await().until(() -> proxy.weir().backends("dflt").get(0).totalConnections() == before + 1);
            assertThat(proxy.weir().backends("api").get(0).totalConnections()).isZero();
        }
    }
}
