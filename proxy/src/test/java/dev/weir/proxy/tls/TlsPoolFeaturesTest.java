package dev.weir.proxy.tls;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.weir.proxy.RunningWeir;
import dev.weir.proxy.TestConfig;
import dev.weir.proxy.api.ReloadResult;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.embedded.EmbeddedChannel;
import io.netty.handler.codec.haproxy.HAProxyMessage;
import io.netty.handler.codec.haproxy.HAProxyMessageDecoder;
import io.netty.handler.codec.haproxy.HAProxySSLTLV;
import io.netty.handler.codec.haproxy.HAProxyTLV;
import java.io.DataInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import javax.net.ssl.SNIHostName;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLParameters;
import javax.net.ssl.SSLSocket;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/** A pool's TLS with its warm pool, and with its PROXY header (which carries a terminated session's TLVs). */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class TlsPoolFeaturesTest {

    @TempDir
    static Path dir;
    private static TestPki.Issued ca;
    private static Path caFile;
    private static TestPki.Files2 weirClient;
    private static TestPki.Files2 weirClient2;
    private static TestPki.Files2 listenerCert;
    private static TestPki.Issued alice;

    @BeforeAll
    static void pki() {
        ca = TestPki.ca("pool features ca");
        caFile = ca.writeCert(dir.resolve("ca.pem"));
        weirClient = ca.issue("weir").write(dir, "weir-client");
        weirClient2 = ca.issue("weir2").write(dir, "weir-client2");
        listenerCert = ca.issue("web.test", "web.test").write(dir, "listener");
        alice = ca.issue("alice");
    }

    private static Map<String, Object> tls(TestPki.Files2 client) {
        return TestConfig.map("ca", caFile.toString(), "server-name", "backend.test",
                "cert", client.cert().toString(), "key", client.key().toString());
    }

    private static String ask(RunningWeir proxy) throws IOException {
        return ask(proxy, "a");
    }

    /** Sends {@code hi}; reads the answer of a {@link TlsEcho} called {@code name}. */
    private static String ask(RunningWeir proxy, String name) throws IOException {
        try (Socket s = proxy.connect()) {
            s.getOutputStream().write("hi\n".getBytes(StandardCharsets.US_ASCII));
            InputStream in = s.getInputStream();
            return new String(in.readNBytes((name + "\nhi\n").length()), StandardCharsets.US_ASCII);
        }
    }

    private static double counter(RunningWeir proxy, String name) {
        var c = proxy.metrics().registry().find(name).counter();
        return c == null ? 0 : c.count();
    }

    @Test
    void warmSocketsFinishTheirHandshakeBeforeAClientTakesOneAndARenewedIdentityReplacesThem() throws Exception {
        try (TlsEcho backend = new TlsEcho(ca, "a", ca.issue("backend.test", "backend.test"), true)) {
            TestConfig config = TestConfig.to(backend.address())
                    .set("pools.p.tls", tls(weirClient))
                    .set("pools.p.warm-pool", TestConfig.map("min-idle", 2, "max-idle-time", "30s"));
            try (RunningWeir proxy = config.start()) {
                // Both handshakes (with Weir's client certificate) done before any client came.
                await().until(() -> backend.clientSubjects.size() == 2);
                await().until(() -> proxy.weir().backends("p").get(0).warmIdle() == 2);
                assertThat(backend.clientSubjects).containsOnly("CN=weir");

                assertThat(ask(proxy)).isEqualTo("a\nhi\n");
                assertThat(counter(proxy, "weir.warmpool.hits")).isEqualTo(1.0);

                // Another client certificate: the idle sockets, made with the old one, are replaced.
                ReloadResult r = proxy.weir().reload(config.copy().set("pools.p.tls", tls(weirClient2)).config());
                assertThat(r.outcome()).isEqualTo(ReloadResult.Outcome.RELOADED);
                await().until(() -> backend.clientSubjects.stream().filter("CN=weir2"::equals).count() >= 2
                        && proxy.weir().backends("p").get(0).warmIdle() == 2);
                assertThat(ask(proxy)).isEqualTo("a\nhi\n");
                assertThat(counter(proxy, "weir.warmpool.hits")).isEqualTo(2.0);
            }
        }
    }

    private static dev.weir.proxy.api.BackendStatus status(RunningWeir proxy, TlsEcho backend) {
        return proxy.weir().backends("p").stream().filter(b -> b.id().equals(backend.address())).findFirst()
                .orElseThrow();
    }

    @Test
    void healthChecksSpeakThePoolsTlsAndABackendWithTheWrongCertificateIsDown() throws Exception {
        try (TlsEcho good = new TlsEcho(ca, "good", ca.issue("backend.test", "backend.test"), true);
             TlsEcho wrongCa = new TlsEcho(ca, "wrong-ca", TestPki.ca("another ca").issue("backend.test",
                     "backend.test"), false)) {
            // send-expect over TLS: the reply to "ping" is the backend's name, then the echo.
            TestConfig config = TestConfig.to(good.address(), wrongCa.address())
                    .set("pools.p.tls", tls(weirClient))
                    .pool("p", p -> p.healthCheck("send-expect", "send", "ping\n", "expect", "ping", "interval",
                            "500ms", "timeout", "500ms", "rise", 1, "fall", 1));
            try (RunningWeir proxy = config.start()) {
                await().until(() -> status(proxy, wrongCa).health().lastCheckMillis() > 0
                        && status(proxy, good).health().consecutivePasses() >= 2);
                assertThat(status(proxy, good).state()).isEqualTo(dev.weir.proxy.backend.BackendState.UP);
                assertThat(good.clientSubjects).contains("CN=weir");
                await().until(() -> status(proxy, wrongCa).state() == dev.weir.proxy.backend.BackendState.DOWN);
                assertThat(status(proxy, wrongCa).health().lastCause()).startsWith("tls: ");
                for (int i = 0; i < 4; i++) {
                    assertThat(ask(proxy, "good")).as("only the backend that passes its checks serves")
                            .isEqualTo("good\nhi\n");
                }
            }
        }
    }

    @Test
    void withTlsFalseAPoolsChecksProbeInPlaintext() throws Exception {
        try (TlsEcho backend = new TlsEcho(ca, "a", ca.issue("backend.test", "backend.test"), false);
             java.net.ServerSocket plainHealth = new java.net.ServerSocket(0, 50, InetAddress.getLoopbackAddress())) {
            CompletableFuture<String> firstBytes = CompletableFuture.supplyAsync(() -> {
                try (Socket s = plainHealth.accept()) {
                    s.setSoTimeout(10_000);
                    String line = new String(s.getInputStream().readNBytes(5), StandardCharsets.US_ASCII);
                    s.getOutputStream().write("pong\n".getBytes(StandardCharsets.US_ASCII));
                    return line;
                } catch (IOException e) {
                    throw new IllegalStateException(e);
                }
            });
            TestConfig config = TestConfig.to(backend.address())
                    .set("pools.p.tls", tls(weirClient))
                    .pool("p", p -> p.healthCheck("send-expect", "send", "ping\n", "expect", "pong", "port",
                            plainHealth.getLocalPort(), "tls", false, "interval", "500ms", "timeout", "500ms",
                            "rise", 1, "fall", 1));
            try (RunningWeir proxy = config.start()) {
                // The plaintext port read the probe's bytes as they were sent: no ClientHello.
                assertThat(firstBytes.get(10, TimeUnit.SECONDS)).isEqualTo("ping\n");
                await().until(() -> status(proxy, backend).health().consecutivePasses() >= 1);
                assertThat(ask(proxy)).isEqualTo("a\nhi\n");
            }
        }
    }

    /**
     * A backend that reads a PROXY v2 header in plaintext, then does TLS on the same socket (server side) and echoes;
     * completes with the decoded header.
     */
    private static CompletableFuture<HAProxyMessage> proxyThenTls(ServerSocket server, TestPki.Issued cert) {
        SSLContext ctx = TlsEcho.serverContext(ca, cert);
        return CompletableFuture.supplyAsync(() -> {
            try (Socket raw = server.accept()) {
                raw.setSoTimeout(10_000);
                DataInputStream in = new DataInputStream(raw.getInputStream());
                byte[] head = in.readNBytes(16);
                int length = ((head[14] & 0xff) << 8) | (head[15] & 0xff);
                byte[] rest = in.readNBytes(length);
                HAProxyMessage header = decode(head, rest);
                SSLSocket tls = (SSLSocket) ctx.getSocketFactory().createSocket(raw, null, true);
                tls.setUseClientMode(false);
                tls.startHandshake();
                byte[] buf = new byte[64];
                int n = tls.getInputStream().read(buf);
                tls.getOutputStream().write(buf, 0, n);
                tls.getOutputStream().flush();
                return header;
            } catch (IOException e) {
                throw new IllegalStateException(e);
            }
        });
    }

    private static HAProxyMessage decode(byte[] head, byte[] rest) {
        EmbeddedChannel ch = new EmbeddedChannel(new HAProxyMessageDecoder());
        ByteBuf bytes = Unpooled.buffer().writeBytes(head).writeBytes(rest);
        ch.writeInbound(bytes);
        HAProxyMessage m = ch.readInbound();
        ch.finishAndReleaseAll();
        return m;
    }

    @Test
    void theProxyHeaderGoesBeforeTheBackendHandshakeAndCarriesTheClientsTlsSession() throws Exception {
        try (ServerSocket server = new ServerSocket(0, 50, InetAddress.getLoopbackAddress())) {
            TestConfig config = TestConfig.to(TestConfig.local(server.getLocalPort()))
                    .set("pools.p.tls", tls(weirClient))
                    .set("pools.p.proxy-protocol", "v2")
                    .set("listeners.l.tls", TestConfig.map(
                            "certificates", List.of(TestConfig.map("cert", listenerCert.cert().toString(),
                                    "key", listenerCert.key().toString())),
                            "alpn", List.of("h2"),
                            "client-auth", "required",
                            "client-ca", caFile.toString()));
            try (RunningWeir proxy = config.start()) {
                CompletableFuture<HAProxyMessage> got = proxyThenTls(server, ca.issue("backend.test", "backend.test"));
                SSLSocket client = (SSLSocket) TestPki.client(ca, alice).getSocketFactory().createSocket();
                try (client) {
                    client.setSoTimeout(10_000);
                    client.connect(proxy.address(), 5_000);
                    SSLParameters p = client.getSSLParameters();
                    p.setServerNames(List.of(new SNIHostName("web.test")));
                    p.setApplicationProtocols(new String[] {"h2"});
                    p.setProtocols(new String[] {"TLSv1.3"});
                    client.setSSLParameters(p);
                    OutputStream out = client.getOutputStream();
                    out.write("ping".getBytes(StandardCharsets.US_ASCII));
                    out.flush();
                    assertThat(new String(client.getInputStream().readNBytes(4), StandardCharsets.US_ASCII))
                            .isEqualTo("ping");
                    HAProxyMessage header = got.get(10, TimeUnit.SECONDS);
                    try {
                        assertThat(header.sourcePort()).isEqualTo(client.getLocalPort());
                        Map<HAProxyTLV.Type, HAProxyTLV> tlvs = new HashMap<>();
                        header.tlvs().forEach(t -> tlvs.put(t.type(), t));
                        assertThat(text(tlvs.get(HAProxyTLV.Type.PP2_TYPE_AUTHORITY))).isEqualTo("web.test");
                        assertThat(text(tlvs.get(HAProxyTLV.Type.PP2_TYPE_ALPN))).isEqualTo("h2");
                        HAProxySSLTLV ssl = (HAProxySSLTLV) tlvs.get(HAProxyTLV.Type.PP2_TYPE_SSL);
                        assertThat(ssl.isPP2ClientSSL()).isTrue();
                        assertThat(ssl.isPP2ClientCertConn()).isTrue();
                        assertThat(ssl.verify()).isZero();
                        Map<Byte, String> inside = new HashMap<>();
                        ssl.encapsulatedTLVs().forEach(t -> inside.put(t.typeByteValue(), text(t)));
                        assertThat(inside.get((byte) 0x21)).isEqualTo("TLSv1.3");
                        assertThat(inside.get((byte) 0x22)).isEqualTo("alice");
                        assertThat(inside.get((byte) 0x23)).isEqualTo(client.getSession().getCipherSuite());
                    } finally {
                        header.release();
                    }
                }
            }
        }
    }

    @Test
    void aPlaintextListenersHeaderToATlsPoolHasNoTlsTlvs() throws Exception {
        try (ServerSocket server = new ServerSocket(0, 50, InetAddress.getLoopbackAddress())) {
            TestConfig config = TestConfig.to(TestConfig.local(server.getLocalPort()))
                    .set("pools.p.tls", tls(weirClient))
                    .set("pools.p.proxy-protocol", "v2");
            try (RunningWeir proxy = config.start()) {
                CompletableFuture<HAProxyMessage> got = proxyThenTls(server, ca.issue("backend.test", "backend.test"));
                try (Socket s = proxy.connect()) {
                    s.getOutputStream().write("ping".getBytes(StandardCharsets.US_ASCII));
                    assertThat(new String(s.getInputStream().readNBytes(4), StandardCharsets.US_ASCII))
                            .isEqualTo("ping");
                    HAProxyMessage header = got.get(10, TimeUnit.SECONDS);
                    try {
                        assertThat(header.sourcePort()).isEqualTo(s.getLocalPort());
                        assertThat(header.tlvs()).isEmpty();
                    } finally {
                        header.release();
                    }
                }
            }
        }
    }

    private static String text(HAProxyTLV tlv) {
        return tlv == null ? null : tlv.content().toString(StandardCharsets.UTF_8);
    }
}
