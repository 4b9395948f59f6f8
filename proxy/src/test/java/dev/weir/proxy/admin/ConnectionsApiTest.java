package dev.weir.proxy.admin;

import static dev.weir.proxy.admin.AdminCalls.json;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import dev.weir.proxy.RunningWeir;
import dev.weir.proxy.Sockets;
import dev.weir.proxy.TestConfig;
import dev.weir.proxy.tls.TestPki;
import dev.weir.sample.BackendSample;
import java.io.IOException;
import java.net.Socket;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import javax.net.ssl.SNIHostName;
import javax.net.ssl.SSLParameters;
import javax.net.ssl.SSLSocket;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code GET /api/v1/listeners/{name}/connections} over real HTTP: plaintext and terminated TLS clients on loopback,
 * each listed with its addresses, backend, state, bytes and TLS session, and gone once closed; the limit and errors.
 */
@Timeout(value = 120, unit = TimeUnit.SECONDS)
class ConnectionsApiTest {

    @TempDir
    static Path dir;
    private static TestPki.Issued ca;
    private static TestPki.Files2 web;
    private static Path clientCa;
    private static BackendSample echo;

    @BeforeAll
    static void start() throws Exception {
        ca = TestPki.ca("weir test ca");
        web = ca.issue("web.test", "web.test").write(dir, "web");
        clientCa = ca.writeCert(dir.resolve("clients-ca.pem"));
        echo = BackendSample.start("e", "127.0.0.1", 0, null);
    }

    @AfterAll
    static void stop() {
        echo.close();
    }

    /** Listener {@code l} plaintext, {@code secure} terminating TLS (client certificates optional, ALPN offered). */
    private static RunningWeir weir() throws Exception {
        return TestConfig.to(TestConfig.local(echo.port()))
                .listener("secure", "p")
                .set("listeners.secure.tls", TestConfig.map(
                        "certificates", List.of(TestConfig.map("cert", web.cert().toString(), "key", web.key().toString())),
                        "client-auth", "optional", "client-ca", clientCa.toString(), "alpn", List.of("h2", "x-weir")))
                .admin(null).start();
    }

    private static SSLSocket tlsClient(RunningWeir h, TestPki.Issued clientCert) throws IOException {
        SSLSocket s = (SSLSocket) TestPki.client(ca, clientCert).getSocketFactory().createSocket();
        s.setSoTimeout(10_000);
        s.connect(h.address("secure"), 5_000);
        SSLParameters p = s.getSSLParameters();
        p.setServerNames(List.of(new SNIHostName("web.test")));
        p.setProtocols(new String[] {"TLSv1.3"});
        p.setApplicationProtocols(new String[] {"x-weir"});
        s.setSSLParameters(p);
        return s;
    }

    private static JsonNode connections(RunningWeir h, String listener) {
        HttpResponse<String> r = h.get("/api/v1/listeners/" + listener + "/connections");
        assertThat(r.statusCode()).as(r.body()).isEqualTo(200);
        return json(r);
    }

    private static String local(Socket s) {
        return "127.0.0.1:" + s.getLocalPort();
    }

    @Test
    void listsPlaintextAndTlsConnectionsWithTheirSessionUntilTheyClose() throws Exception {
        String backend = TestConfig.local(echo.port());
        try (RunningWeir h = weir()) {
            Socket plain = h.connect("l");
            SSLSocket tls = tlsClient(h, ca.issue("alice"));
            try {
                assertThat(Sockets.whoami(plain)).isEqualTo("e");
                tls.getOutputStream().write("whoami\n".getBytes(StandardCharsets.US_ASCII));
                assertThat(new String(tls.getInputStream().readNBytes(2), StandardCharsets.US_ASCII)).isEqualTo("e\n");

                JsonNode l = connections(h, "l");
                assertThat(l.get("listener").asText()).isEqualTo("l");
                assertThat(l.get("total").asInt()).isEqualTo(1);
                assertThat(l.get("complete").asBoolean()).isTrue();
                JsonNode p = l.get("connections").get(0);
                assertThat(p.get("client").asText()).isEqualTo(local(plain));
                assertThat(p.get("destination").asText()).isEqualTo("127.0.0.1:" + h.address("l").getPort());
                assertThat(p.get("state").asText()).isEqualTo("RELAYING");
                assertThat(p.get("pool").asText()).isEqualTo("p");
                assertThat(p.get("backend").asText()).isEqualTo(backend);
                assertThat(p.get("bytes_from_client").asLong()).isEqualTo("whoami\n".length());
                assertThat(p.get("bytes_from_backend").asLong()).isEqualTo("e\n".length());
                assertThat(p.get("age_ms").asLong()).isGreaterThanOrEqualTo(0);
                assertThat(p.get("started_at_ms").asLong()).isBetween(System.currentTimeMillis() - 60_000,
                        System.currentTimeMillis());
                assertThat(p.has("tls")).as("a plaintext connection has no tls: %s", p).isFalse();

                JsonNode s = connections(h, "secure");
                assertThat(s.get("total").asInt()).isEqualTo(1);
                JsonNode t = s.get("connections").get(0);
                assertThat(t.get("client").asText()).isEqualTo(local(tls));
                assertThat(t.get("state").asText()).isEqualTo("RELAYING");
                assertThat(t.get("backend").asText()).isEqualTo(backend);
                assertThat(t.get("bytes_from_client").asLong()).isEqualTo("whoami\n".length());
                assertThat(t.get("bytes_from_backend").asLong()).isEqualTo("e\n".length());
                JsonNode session = t.get("tls");
                assertThat(session.get("version").asText()).isEqualTo("TLSv1.3");
                assertThat(session.get("cipher").asText()).isEqualTo(tls.getSession().getCipherSuite());
                assertThat(session.get("sni").asText()).isEqualTo("web.test");
                assertThat(session.get("alpn").asText()).isEqualTo("x-weir");
                assertThat(session.get("client_subject").asText()).isEqualTo("CN=alice");

                h.weir().drain("p", backend);
                assertThat(connections(h, "l").get("connections").get(0).get("state").asText()).isEqualTo("DRAINING");
            } finally {
                plain.close();
                tls.close();
            }
            await().atMost(Duration.ofSeconds(10)).untilAsserted(() -> {
                for (String listener : List.of("l", "secure")) {
                    JsonNode after = connections(h, listener);
                    assertThat(after.get("total").asInt()).as(listener).isZero();
                    assertThat(after.get("connections")).as(listener).isEmpty();
                }
            });
        }
    }

    @Test
    void aClientWithoutCertificateOrSniHasNoSubjectAndOneMidHandshakeIsHandshaking() throws Exception {
        try (RunningWeir h = weir(); Socket silent = Sockets.connect(h.address("secure"))) {
            await().atMost(Duration.ofSeconds(10)).until(() -> connections(h, "secure").get("total").asInt() == 1);
            JsonNode c = connections(h, "secure").get("connections").get(0);
            assertThat(c.get("client").asText()).isEqualTo(local(silent));
            assertThat(c.get("state").asText()).isEqualTo("HANDSHAKING");
            assertThat(c.get("backend").isNull()).isTrue();
            assertThat(c.has("tls")).isFalse();

            try (SSLSocket anonymous = tlsClient(h, null)) {
                SSLParameters p = anonymous.getSSLParameters();
                p.setServerNames(List.of());
                p.setApplicationProtocols(new String[0]);
                anonymous.setSSLParameters(p);
                anonymous.getOutputStream().write("whoami\n".getBytes(StandardCharsets.US_ASCII));
                assertThat(anonymous.getInputStream().readNBytes(2)).isEqualTo("e\n".getBytes(StandardCharsets.US_ASCII));
                JsonNode both = connections(h, "secure");
                assertThat(both.get("total").asInt()).isEqualTo(2);
                JsonNode session = both.get("connections").get(1).get("tls");
                assertThat(both.get("connections").get(1).get("client").asText()).isEqualTo(local(anonymous));
                assertThat(session.get("version").asText()).isEqualTo("TLSv1.3");
                assertThat(session.get("sni").isNull()).isTrue();
                assertThat(session.get("alpn").isNull()).isTrue();
                assertThat(session.get("client_subject").isNull()).isTrue();
            }
        }
    }

    @Test
    void aClientBehindAProxyHeaderIsOpeningUntilItThenListedAsTheRealClient() throws Exception {
        try (RunningWeir h = TestConfig.to(TestConfig.local(echo.port()))
                .listener("l", l -> l.set("proxy-protocol",
                        TestConfig.map("accept", true, "trusted", List.of("127.0.0.1/32"), "timeout", "20s")))
                .admin(null).start();
             Socket c = h.connect("l")) {
            await().atMost(Duration.ofSeconds(10)).until(() -> connections(h, "l").get("total").asInt() == 1);
            JsonNode waiting = connections(h, "l").get("connections").get(0);
            assertThat(waiting.get("state").asText()).isEqualTo("OPENING");
            assertThat(waiting.get("client").asText()).isEqualTo(local(c));

            c.getOutputStream().write("PROXY TCP4 198.51.100.7 203.0.113.1 40000 443\r\n".getBytes(StandardCharsets.US_ASCII));
            assertThat(Sockets.whoami(c)).isEqualTo("e");
            JsonNode relayed = connections(h, "l").get("connections").get(0);
            assertThat(relayed.get("state").asText()).isEqualTo("RELAYING");
            assertThat(relayed.get("client").asText()).isEqualTo("198.51.100.7:40000");
            assertThat(relayed.get("destination").asText()).isEqualTo("203.0.113.1:443");
        }
    }

    @Test
    void theLimitBoundsTheAnswerOldestFirstAndTheTotalCountsAll() throws Exception {
        try (RunningWeir h = weir()) {
            List<Socket> clients = new ArrayList<>();
            try {
                for (int i = 0; i < 3; i++) {
                    Socket s = h.connect("l");
                    clients.add(s);
                    assertThat(Sockets.whoami(s)).isEqualTo("e"); // accepted in this order
                }
                HttpResponse<String> r = h.get("/api/v1/listeners/l/connections?limit=2");
                assertThat(r.statusCode()).as(r.body()).isEqualTo(200);
                JsonNode page = json(r);
                assertThat(page.get("total").asInt()).isEqualTo(3);
                assertThat(page.get("limit").asInt()).isEqualTo(2);
                assertThat(page.get("connections")).hasSize(2);
                assertThat(page.get("connections").get(0).get("client").asText()).isEqualTo(local(clients.get(0)));
                assertThat(page.get("connections").get(1).get("client").asText()).isEqualTo(local(clients.get(1)));
                assertThat(connections(h, "l").get("connections")).hasSize(3);
            } finally {
                for (Socket s : clients) {
                    s.close();
                }
            }
        }
    }

    @Test
    void anUnknownListenerIs404AndABadLimitIs400NamingIt() throws Exception {
        try (RunningWeir h = weir()) {
            HttpResponse<String> missing = h.get("/api/v1/listeners/nope/connections");
            assertError(missing, 404, "not_found", "no listener \"nope\"");
            assertThat(json(missing).get("detail").asText()).contains("l", "secure");
            for (String bad : List.of("0", "1001", "abc", "-1", "99999999999")) {
                assertError(h.get("/api/v1/listeners/l/connections?limit=" + bad), 400, "bad_request",
                        "limit: " + (bad.equals("abc") || bad.length() > 10 ? "\"" + bad + "\"" : bad) + " (expected: 1..1000)");
            }
            assertError(h.get("/api/v1/listeners/l/connections?limit=1&limit=2"), 400, "bad_request",
                    "limit: given 2 times");
            assertError(h.get("/api/v1/listeners/l/connections?lmit=5"), 400, "bad_request",
                    "lmit: unknown parameter (expected: limit)");
            assertError(h.post("/api/v1/listeners/l/connections", null), 405, "method_not_allowed", "allowed: GET");
        }
    }

    private static void assertError(HttpResponse<String> r, int status, String code, String detailContains) {
        assertThat(r.statusCode()).as(r.body()).isEqualTo(status);
        JsonNode e = json(r);
        assertThat(e.get("error").asText()).isEqualTo(code);
        assertThat(e.get("detail").asText()).contains(detailContains);
    }
}
