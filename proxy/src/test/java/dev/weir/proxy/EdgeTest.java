package dev.weir.proxy;

import static dev.weir.proxy.TestConfig.local;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.weir.sample.BackendSample;
import java.io.ByteArrayOutputStream;
import java.io.DataInputStream;
import java.io.InputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** PROXY protocol out and in, access lists, per-client and per-backend limits, lifetime cap. */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class EdgeTest {

    private static final byte[] V2_SIGNATURE = {0x0D, 0x0A, 0x0D, 0x0A, 0x00, 0x0D, 0x0A, 0x51, 0x55, 0x49, 0x54, 0x0A};

    /** A backend that records the first bytes of one connection (the PROXY header, then the payload). */
    private static CompletableFuture<byte[]> recordOne(ServerSocket backend, int bytes) {
        return CompletableFuture.supplyAsync(() -> {
            try (Socket s = backend.accept()) {
                s.setSoTimeout(10_000);
                byte[] got = new DataInputStream(s.getInputStream()).readNBytes(bytes);
                s.getOutputStream().write("ok\n".getBytes(StandardCharsets.US_ASCII));
                return got;
            } catch (Exception e) {
                throw new IllegalStateException(e);
            }
        });
    }

    private static Socket from(String sourceIp, InetSocketAddress target) throws Exception {
        Socket s = new Socket();
        s.setSoTimeout(10_000);
        s.bind(new InetSocketAddress(sourceIp, 0));
        s.connect(target, 5_000);
        return s;
    }

    @Test
    void proxyProtocolV1IsSentBeforeTheFirstByte() throws Exception {
        try (ServerSocket backend = new ServerSocket(0, 50, InetAddress.getLoopbackAddress())) {
            try (RunningWeir proxy = TestConfig.to("127.0.0.1:" + backend.getLocalPort())
                    .set("pools.p.proxy-protocol", "v1").start()) {
                InetSocketAddress l = proxy.address("l");
                try (Socket c = from("127.0.0.7", l)) {
                    String expected = "PROXY TCP4 127.0.0.7 127.0.0.1 " + c.getLocalPort() + " " + l.getPort() + "\r\nhello";
                    CompletableFuture<byte[]> got = recordOne(backend, expected.length());
                    c.getOutputStream().write("hello".getBytes(StandardCharsets.US_ASCII));
                    assertThat(new String(got.get(10, TimeUnit.SECONDS), StandardCharsets.US_ASCII)).isEqualTo(expected);
                    assertThat(Sockets.readLine(c.getInputStream())).isEqualTo("ok");
                }
            }
        }
    }

    @Test
    void proxyProtocolV2ForIpv4AndIpv6Clients() throws Exception {
        try (ServerSocket backend = new ServerSocket(0, 50, InetAddress.getLoopbackAddress())) {
            TestConfig config = TestConfig.to("127.0.0.1:" + backend.getLocalPort()).set("pools.p.proxy-protocol", "v2")
                    .set("listeners.l.bind", "[::]:0");
            try (RunningWeir proxy = config.start()) {
                int port = proxy.address("l").getPort();
                // IPv4 client on a dual-stack listener: both ends are IPv4 to Java, so TCP4.
                try (Socket c = from("127.0.0.9", new InetSocketAddress("127.0.0.1", port))) {
                    CompletableFuture<byte[]> got = recordOne(backend, 16 + 12 + 2);
                    c.getOutputStream().write("hi".getBytes(StandardCharsets.US_ASCII));
                    byte[] b = got.get(10, TimeUnit.SECONDS);
                    assertThat(Arrays.copyOfRange(b, 0, 12)).isEqualTo(V2_SIGNATURE);
                    assertThat(b[12]).isEqualTo((byte) 0x21);          // version 2, PROXY
                    assertThat(b[13]).isEqualTo((byte) 0x11);          // AF_INET, STREAM
                    assertThat(((b[14] & 0xff) << 8) | (b[15] & 0xff)).isEqualTo(12);
                    assertThat(InetAddress.getByAddress(Arrays.copyOfRange(b, 16, 20)).getHostAddress()).isEqualTo("127.0.0.9");
                    int srcPort = ((b[24] & 0xff) << 8) | (b[25] & 0xff);
                    assertThat(srcPort).isEqualTo(c.getLocalPort());
                    assertThat(new String(b, 28, 2, StandardCharsets.US_ASCII)).isEqualTo("hi");
                }
                try (Socket c = new Socket()) {
                    c.setSoTimeout(10_000);
                    c.connect(new InetSocketAddress("::1", port), 5_000);
                    CompletableFuture<byte[]> got = recordOne(backend, 16 + 36 + 2);
                    c.getOutputStream().write("v6".getBytes(StandardCharsets.US_ASCII));
                    byte[] b = got.get(10, TimeUnit.SECONDS);
                    assertThat(b[13]).isEqualTo((byte) 0x21);
                    assertThat(InetAddress.getByAddress(Arrays.copyOfRange(b, 16, 32))).isEqualTo(InetAddress.getByName("::1"));
                    assertThat(new String(b, 52, 2, StandardCharsets.US_ASCII)).isEqualTo("v6");
                }
            }
        }
    }

    @Test
    void aTrustedProxyHeaderNamesTheClientForBalancingAndTheOutgoingHeader() throws Exception {
        try (ServerSocket backend = new ServerSocket(0, 50, InetAddress.getLoopbackAddress())) {
            TestConfig config = TestConfig.to("127.0.0.1:" + backend.getLocalPort())
                    .listener("l", l -> l.set("proxy-protocol",
                                    TestConfig.map("accept", true, "trusted", List.of("127.0.0.1/32"), "timeout", "2s"))
                            .set("deny", List.of("192.0.2.66/32")))
                    .set("pools.p.proxy-protocol", "v1");
            try (RunningWeir proxy = config.start()) {
                InetSocketAddress l = proxy.address("l");
                try (Socket c = from("127.0.0.1", l)) {
                    String out = "PROXY TCP4 198.51.100.7 203.0.113.1 40000 443\r\n";
                    CompletableFuture<byte[]> got = recordOne(backend, out.length() + 4);
                    c.getOutputStream().write(("PROXY TCP4 198.51.100.7 203.0.113.1 40000 443\r\ndata").getBytes(StandardCharsets.US_ASCII));
                    assertThat(new String(got.get(10, TimeUnit.SECONDS), StandardCharsets.US_ASCII)).isEqualTo(out + "data");
                }
                // The ACL sees the address from the header, not the proxy's.
                try (Socket c = from("127.0.0.1", l)) {
                    c.getOutputStream().write("PROXY TCP4 192.0.2.66 203.0.113.1 40000 443\r\nx".getBytes(StandardCharsets.US_ASCII));
                    assertThat(Sockets.closedByPeer(c)).isTrue();
                }
                await().until(() -> proxy.metrics().closedCount("ACL_DENIED") == 1.0);
                // Untrusted source: closed, never guessed.
                try (Socket c = from("127.0.0.2", l)) {
                    c.getOutputStream().write("PROXY TCP4 198.51.100.7 203.0.113.1 40000 443\r\n".getBytes(StandardCharsets.US_ASCII));
                    assertThat(Sockets.closedByPeer(c)).isTrue();
                }
                await().until(() -> proxy.metrics().closedCount("UNTRUSTED_PROXY") == 1.0);
            }
        }
    }

    @Test
    void accessListMatrix() throws Exception {
        BackendSample a = BackendSample.start("a", "127.0.0.1", 0, null);
        TestConfig config = TestConfig.to("127.0.0.1:" + a.port()).listener("l", l -> l.set("bind", "[::]:0")
                .set("allow", List.of("127.0.0.0/8", "::1/128")).set("deny", List.of("127.0.0.66/32", "127.1.0.0/16")));
        try (RunningWeir proxy = config.start()) {
            int port = proxy.address("l").getPort();
            InetSocketAddress v4 = new InetSocketAddress("127.0.0.1", port);
            record Case(String source, InetSocketAddress target, boolean allowed) {
            }
            List<Case> cases = List.of(
                    new Case("127.0.0.1", v4, true),
                    new Case("127.0.0.65", v4, true),
                    new Case("127.0.0.66", v4, false),        // denied host inside an allowed block: deny wins
                    new Case("127.1.2.3", v4, false),         // denied block
                    new Case("::1", new InetSocketAddress("::1", port), true));
            int denied = 0;
            for (Case c : cases) {
                try (Socket s = from(c.source(), c.target())) {
                    if (c.allowed()) {
                        assertThat(Sockets.whoami(s)).as(c.source()).isEqualTo("a");
                    } else {
                        assertThat(Sockets.closedByPeer(s)).as(c.source()).isTrue();
                        denied++;
                    }
                }
            }
            int expected = denied;
            await().until(() -> proxy.metrics().closedCount("ACL_DENIED") == expected);
            assertThat(a.connectionsAccepted()).isEqualTo(3);
        } finally {
            a.close();
        }
        // allow-only without ::1: an IPv6 client not in the list is denied.
        BackendSample b = BackendSample.start("b", "127.0.0.1", 0, null);
        try (RunningWeir proxy = TestConfig.to("127.0.0.1:" + b.port()).set("listeners.l.allow", List.of("127.0.0.0/8"))
                .set("listeners.l.bind", "[::]:0").start()) {
            int port = proxy.address("l").getPort();
            try (Socket s = from("::1", new InetSocketAddress("::1", port))) {
                assertThat(Sockets.closedByPeer(s)).isTrue();
            }
            try (Socket s = from("127.0.0.1", new InetSocketAddress("127.0.0.1", port))) {
                assertThat(Sockets.whoami(s)).isEqualTo("b");
            }
        } finally {
            b.close();
        }
    }

    @Test
    void perClientMaxConnectionsAndConnectRate() throws Exception {
        BackendSample a = BackendSample.start("a", "127.0.0.1", 0, null);
        try (RunningWeir proxy = TestConfig.to("127.0.0.1:" + a.port())
                .set("listeners.l.per-client", TestConfig.map("max-connections", 2)).start()) {
            InetSocketAddress l = proxy.address("l");
            List<Socket> held = new ArrayList<>();
            try {
                for (int i = 0; i < 2; i++) {
                    Socket s = from("127.0.3.1", l);
                    held.add(s);
                    assertThat(Sockets.whoami(s)).isEqualTo("a");
                }
                try (Socket third = from("127.0.3.1", l)) {
                    assertThat(Sockets.closedByPeer(third)).isTrue();
                }
                try (Socket other = from("127.0.3.2", l)) {
                    assertThat(Sockets.whoami(other)).as("another source is not limited").isEqualTo("a");
                }
                held.remove(0).close();
                await().until(() -> a.activeConnections() == 1);
                try (Socket again = from("127.0.3.1", l)) {
                    assertThat(Sockets.whoami(again)).isEqualTo("a");
                }
                await().until(() -> proxy.metrics().closedCount("CLIENT_LIMIT") == 1.0);
            } finally {
                for (Socket s : held) {
                    s.close();
                }
            }
        } finally {
            a.close();
        }
        BackendSample b = BackendSample.start("b", "127.0.0.1", 0, null);
        try (RunningWeir proxy = TestConfig.to("127.0.0.1:" + b.port())
                .set("listeners.l.per-client", TestConfig.map("connect-rate", "5/s")).start()) {
            InetSocketAddress l = proxy.address("l");
            int served = 0;
            int refused = 0;
            for (int i = 0; i < 20; i++) {
                try (Socket s = from("127.0.4.1", l)) {
                    s.getOutputStream().write("whoami\n".getBytes(StandardCharsets.US_ASCII));
                    String line = Sockets.readLine(s.getInputStream());
                    if ("b".equals(line)) {
                        served++;
                    } else {
                        refused++;
                    }
                } catch (java.net.SocketException reset) {
                    refused++;
                }
            }
            // A burst of 20 at 5/s: the bucket holds 5, plus what refilled while the burst ran.
            assertThat(served).isBetween(5, 10);
            assertThat(refused).isEqualTo(20 - served);
            int expectedRefused = refused;
            await().until(() -> proxy.metrics().closedCount("CLIENT_RATE") == expectedRefused);
            try (Socket s = from("127.0.4.2", l)) {
                assertThat(Sockets.whoami(s)).as("other sources keep their own rate").isEqualTo("b");
            }
        } finally {
            b.close();
        }
    }

    @Test
    void perBackendMaxConnectionsSkipsAFullBackendForEveryBalancer() throws Exception {
        BackendSample a = BackendSample.start("a", "127.0.0.1", 0, null);
        BackendSample b = BackendSample.start("b", "127.0.0.1", 0, null);
        for (String balance : List.of("round-robin", "ip-hash", "least-connections", "random-two")) {
            try (RunningWeir proxy = TestConfig.to(TestConfig.map("address", local(a.port()), "max-connections", 1),
                    TestConfig.map("address", local(b.port()), "max-connections", 2)).set("pools.p.balance", balance)
                    .start()) {
                List<Socket> held = new ArrayList<>();
                try {
                    List<String> names = new ArrayList<>();
                    for (int i = 0; i < 3; i++) {
                        Socket s = proxy.connect();
                        held.add(s);
                        names.add(Sockets.whoami(s));
                    }
                    assertThat(names).as(balance).containsExactlyInAnyOrder("a", "b", "b");
                    try (Socket fourth = proxy.connect()) {
                        assertThat(Sockets.closedByPeer(fourth)).as(balance).isTrue();
                    }
                    await().until(() -> proxy.metrics().closedCount("BACKENDS_FULL") == 1.0);
                } finally {
                    for (Socket s : held) {
                        s.close();
                    }
                }
            }
        }
        a.close();
        b.close();
    }

    @Test
    void maxConnectionDurationClosesLongConnections() throws Exception {
        BackendSample a = BackendSample.start("a", "127.0.0.1", 0, null);
        try (RunningWeir proxy = TestConfig.to("127.0.0.1:" + a.port())
                .set("listeners.l.max-connection-duration", "300ms").start();
             Socket s = proxy.connect()) {
            assertThat(Sockets.whoami(s)).isEqualTo("a");
            InputStream in = s.getInputStream();
            ByteArrayOutputStream rest = new ByteArrayOutputStream();
            in.transferTo(rest);
            assertThat(rest.size()).isZero();
            await().until(() -> proxy.metrics().closedCount("MAX_DURATION") == 1.0);
        } finally {
            a.close();
        }
    }

    @Test
    void healthChecksSendALocalHeaderOnlyWhenAsked() throws Exception {
        try (ServerSocket backend = new ServerSocket(0, 50, InetAddress.getLoopbackAddress())) {
            TestConfig config = TestConfig.to("127.0.0.1:" + backend.getLocalPort()).pool("p", p -> p
                    .set("proxy-protocol", "v2")
                    .healthCheck("tcp", "interval", "200ms", "timeout", "100ms", "proxy-protocol", true));
            try (RunningWeir proxy = config.start()) {
                // A probe closes with an RST right after writing, which can beat our read: take the
                // first probe whose bytes we managed to read.
                byte[] probe = null;
                for (int i = 0; i < 50 && probe == null; i++) {
                    try (Socket s = backend.accept()) {
                        s.setSoTimeout(5_000);
                        byte[] b = new DataInputStream(s.getInputStream()).readNBytes(16);
                        probe = b.length == 16 ? b : null;
                    } catch (java.net.SocketException reset) {
                        // next probe
                    }
                }
                assertThat(probe).isNotNull();
                assertThat(Arrays.copyOfRange(probe, 0, 12)).isEqualTo(V2_SIGNATURE);
                assertThat(probe[12]).as("version 2, LOCAL").isEqualTo((byte) 0x20);
                assertThat(probe[13]).as("AF_UNSPEC").isEqualTo((byte) 0x00);
                assertThat(probe[14] | probe[15]).isZero();
            }
        }
    }
}
