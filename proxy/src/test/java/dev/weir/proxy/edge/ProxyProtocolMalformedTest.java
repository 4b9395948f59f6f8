package dev.weir.proxy.edge;

import static dev.weir.proxy.edge.EdgeSupport.TCP4;
import static dev.weir.proxy.edge.EdgeSupport.TCP6;
import static dev.weir.proxy.edge.EdgeSupport.UNIX_STREAM;
import static dev.weir.proxy.edge.EdgeSupport.V2_PROXY;
import static dev.weir.proxy.edge.EdgeSupport.V2_SIGNATURE;
import static dev.weir.proxy.edge.EdgeSupport.ascii;
import static dev.weir.proxy.edge.EdgeSupport.concat;
import static dev.weir.proxy.edge.EdgeSupport.count;
import static dev.weir.proxy.edge.EdgeSupport.ipv4Block;
import static dev.weir.proxy.edge.EdgeSupport.tlv;
import static dev.weir.proxy.edge.EdgeSupport.v1;
import static dev.weir.proxy.edge.EdgeSupport.v2;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.weir.proxy.RunningWeir;
import dev.weir.proxy.TestConfig;
import dev.weir.sample.BackendSample;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import java.util.zip.CRC32C;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * The malformed PROXY headers of reliability.md §4 (Envoy's proxy_protocol_test.cc cases and the
 * CVE vectors in Netty's decoder): each closes only its own connection, with its reason counted;
 * a control connection opened before them keeps relaying byte for byte, new clients still get
 * through, nothing reaches the backend for a bad header, and no buffer leaks (LeakCheck).
 */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class ProxyProtocolMalformedTest {

    private static final String MALFORMED = "PROXY_MALFORMED";
    private static final String TIMEOUT = "PROXY_TIMEOUT";
    private static final byte[] LOOPBACK = {127, 0, 0, 1};
    private static final byte[] CLIENT = {(byte) 203, 0, 113, 7};

    private static BackendSample echo;
    private static RunningWeir proxy;
    private static Socket control;
    private static final Random random = new Random(7);

    @BeforeAll
    static void start() throws Exception {
        echo = BackendSample.start("echo", "127.0.0.1", 0, null);
        // ip-hash: the address from the header is what the balancer hashes.
        proxy = TestConfig.proxy().set("shutdown.drain-timeout", "1s")
                .listener("l", l -> l.set("bind", "127.0.0.1:0").set("pool", "p").set("proxy-protocol",
                        TestConfig.map("accept", true, "trusted", List.of("127.0.0.0/8"), "timeout", "1s")))
                .listener("u", l -> l.set("bind", "127.0.0.1:0").set("pool", "p").set("proxy-protocol",
                        TestConfig.map("accept", true, "trusted", List.of("127.0.0.1/32"), "timeout", "1s")))
                .pool("p", p -> p.set("balance", "ip-hash").backends(TestConfig.local(echo.port())))
                .start();
        control = EdgeSupport.connect(proxy.address("l"));
        control.getOutputStream().write(concat(v1("TCP4", "198.51.100.1", "127.0.0.1", 40000, 443), ascii("whoami\n")));
        assertThat(new String(EdgeSupport.readExactly(control.getInputStream(), 5), StandardCharsets.US_ASCII))
                .isEqualTo("echo\n");
    }

    @AfterAll
    static void stop() throws IOException {
        if (control != null) {
            control.close();
        }
        if (proxy != null) {
            proxy.close();
        }
        if (echo != null) {
            echo.close();
        }
    }

    /** The connection opened before every case still relays, byte for byte. */
    @AfterEach
    void othersAreUnaffected() throws Exception {
        byte[] payload = new byte[4096];
        random.nextBytes(payload);
        payload[0] = 'x'; // never a whoami line, which the echo backend answers instead of echoing
        control.getOutputStream().write(payload);
        assertThat(EdgeSupport.readExactly(control.getInputStream(), payload.length)).isEqualTo(payload);
        assertThat(whoamiWithHeader("l", v2(V2_PROXY, TCP4, ipv4Block(CLIENT, LOOPBACK, 50000, 443))))
                .isEqualTo("echo");
        assertThat(proxy.weir().activeConnections()).isGreaterThanOrEqualTo(1);
    }

    private static String whoamiWithHeader(String listener, byte[] header) throws IOException {
        try (Socket s = EdgeSupport.connect(proxy.address(listener))) {
            s.getOutputStream().write(concat(header, ascii("whoami\n")));
            byte[] answer = EdgeSupport.readExactly(s.getInputStream(), 5);
            return new String(answer, 0, 4, StandardCharsets.US_ASCII);
        }
    }

    static Stream<Arguments> malformed() {
        byte[] v4 = ipv4Block(CLIENT, LOOPBACK, 50000, 443);
        byte[] unixBlock = new byte[216];
        byte[] path = ascii("/run/weir.sock");
        System.arraycopy(path, 0, unixBlock, 0, path.length);
        System.arraycopy(path, 0, unixBlock, 108, path.length);
        byte[] flood = new byte[10_000];
        Arrays.fill(flood, (byte) 0xFF);
        return Stream.of(
                // Envoy V2ShortV4 / V2ShortAddrV4: the block is shorter than the family needs.
                Arguments.of("v2 short header: TCP4 with no address block", v2(V2_PROXY, TCP4, new byte[0]), MALFORMED),
                Arguments.of("v2 short IPv4 address block (8 of 12 bytes)", v2(V2_PROXY, TCP4, new byte[8]), MALFORMED),
                Arguments.of("v2 TCP6 with an IPv4-sized block", v2(V2_PROXY, TCP6, v4), MALFORMED),
                // Envoy V2WrongVersion: the high nibble of byte 13 must be 2.
                Arguments.of("wrong version nibble 1 in a binary header", v2(0x11, TCP4, v4), MALFORMED),
                Arguments.of("wrong version nibble 3", v2(0x31, TCP4, v4), MALFORMED),
                // Envoy V2BadCommand: only LOCAL (0) and PROXY (1) exist.
                Arguments.of("bad command 2", v2(0x22, TCP4, v4), MALFORMED),
                Arguments.of("bad command 0xF", v2(0x2F, TCP4, v4), MALFORMED),
                // Envoy V2AF_UNIX: nothing Weir can balance on.
                Arguments.of("AF_UNIX stream", v2(V2_PROXY, UNIX_STREAM, unixBlock), MALFORMED),
                Arguments.of("AF_UNIX datagram", v2(V2_PROXY, 0x32, unixBlock), MALFORMED),
                Arguments.of("UDP over IPv4", v2(V2_PROXY, 0x12, v4), MALFORMED),
                Arguments.of("undefined address family 4", v2(V2_PROXY, 0x41, v4), MALFORMED),
                // CVE-2026-55851: 0xFF must not read as "need more data".
                Arguments.of("version byte 0xFF", v2(0xFF, TCP4, v4), MALFORMED),
                Arguments.of("version byte 0xFF followed by a flood", concat(V2_SIGNATURE, flood), MALFORMED),
                // CVE-2022-41881: nesting beyond the decoder's limit, not a StackOverflowError.
                Arguments.of("nested SSL TLVs 200 deep", v2(V2_PROXY, TCP4, concat(v4, EdgeSupport.nestedSslTlvs(200))),
                        MALFORMED),
                Arguments.of("TLVs over max-tlv-size (4KiB)", v2(V2_PROXY, TCP4, concat(v4, tlv(0xE0, new byte[5000]))),
                        MALFORMED),
                // Envoy V1TooLong / go-proxyproto CVE-2021-23351: no CRLF within 107 bytes.
                Arguments.of("v1 line over 107 bytes without CRLF", ascii("PROXY TCP4 " + "1".repeat(200)), MALFORMED),
                Arguments.of("v1 ended by a lone LF", concat(ascii("PROXY TCP4 198.51.100.1 127.0.0.1 1000 443\n"),
                        ascii("x".repeat(120))), MALFORMED),
                Arguments.of("v1 unknown protocol", ascii("PROXY TCP5 198.51.100.1 127.0.0.1 1000 443\r\n"), MALFORMED),
                Arguments.of("v1 TCP4 with IPv6 addresses", ascii("PROXY TCP4 ::1 ::1 1000 443\r\n"), MALFORMED),
                Arguments.of("v1 missing ports", ascii("PROXY TCP4 198.51.100.1 127.0.0.1\r\n"), MALFORMED),
                Arguments.of("no header at all", ascii("GET / HTTP/1.1\r\nHost: example.com\r\n\r\n"), MALFORMED),
                // Bytes that never finish the header: the header timeout (1s here) closes them.
                Arguments.of("nothing at all", new byte[0], TIMEOUT),
                Arguments.of("the v2 signature only", V2_SIGNATURE, TIMEOUT),
                Arguments.of("v2 promising 100 bytes, sending 20", v2(V2_PROXY, TCP4, 100, new byte[20]), TIMEOUT),
                Arguments.of("half a v1 line", ascii("PROXY TCP4 198.51.1"), TIMEOUT));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("malformed")
    void closesOnlyThatConnectionWithItsReason(String name, byte[] bytes, String reason) throws Exception {
        assertClosedWith(bytes, reason);
    }

    /**
     * A TLV whose length runs past the end of the header. Netty's decoder throws an
     * IndexOutOfBoundsException here (not an HAProxyProtocolException), which must still count as a
     * malformed header, not as a client socket error.
     */
    @Test
    void aTlvLongerThanTheHeaderIsMalformed() throws Exception {
        byte[] v4 = ipv4Block(CLIENT, LOOPBACK, 50000, 443);
        byte[] alpnClaiming32 = {0x01, 0x00, 0x20, 'h', '2'};
        assertClosedWith(v2(V2_PROXY, TCP4, concat(v4, alpnClaiming32)), MALFORMED);
        assertThat(proxy.metrics().closedCount("CLIENT_ERROR")).isZero();
    }

    /**
     * Nested PP2_TYPE_SSL TLVs within the decoder's depth limit (the shape of CVE-2026-48059, which
     * leaked on the success path): the spec's SSL TLV holds PP2_SUBTYPE_SSL_* sub-TLVs, never
     * another SSL TLV, and the issue asks for these to be closed and counted.
     */
    @Test
    void nestedSslTlvsAreMalformed() throws Exception {
        byte[] v4 = ipv4Block(CLIENT, LOOPBACK, 50000, 443);
        assertClosedWith(v2(V2_PROXY, TCP4, concat(v4, EdgeSupport.nestedSslTlvs(3))), MALFORMED);
    }

    /**
     * A v1 source address with an IPv6 zone that names no interface: Netty's decoder accepts it as
     * a valid IPv6 literal, but it does not resolve to an address. It must be refused as malformed
     * rather than reach the balancer, limits and logs as an address-less client.
     */
    @Test
    void aV1SourceWithAnUnknownIpv6ZoneIsMalformed() throws Exception {
        assertClosedWith(ascii("PROXY TCP6 fe80::1%no-such-interface ::1 40000 443\r\n"), MALFORMED);
        assertThat(proxy.metrics().closedCount("CLIENT_ERROR")).isZero();
    }

    @Test
    void anUntrustedSourceIsClosedEvenWithAValidHeader() throws Exception {
        double before = proxy.metrics().closedCount("UNTRUSTED_PROXY");
        double rejectsBefore = count(proxy.registry(), "weir.listener.rejects", "listener", "u", "cause", "untrusted_proxy");
        long accepted = echo.connectionsAccepted();
        InetSocketAddress u = proxy.address("u");
        try (Socket s = EdgeSupport.connectFrom("127.0.0.2", u)) {
            s.getOutputStream().write(concat(v1("TCP4", "198.51.100.1", "127.0.0.1", 40000, 443), ascii("whoami\n")));
            assertThat(EdgeSupport.readToEnd(s).bytes()).isEmpty();
        }
        try (Socket s = EdgeSupport.connectFrom("127.0.0.2", u)) {
            s.getOutputStream().write(concat(v2(V2_PROXY, TCP4, ipv4Block(CLIENT, LOOPBACK, 50000, 443)),
                    ascii("whoami\n")));
            assertThat(EdgeSupport.readToEnd(s).bytes()).isEmpty();
        }
        await().untilAsserted(() -> {
            assertThat(proxy.metrics().closedCount("UNTRUSTED_PROXY")).isEqualTo(before + 2);
            assertThat(count(proxy.registry(), "weir.listener.rejects", "listener", "u", "cause", "untrusted_proxy"))
                    .isEqualTo(rejectsBefore + 2);
        });
        assertThat(echo.connectionsAccepted()).as("nothing reached the backend").isEqualTo(accepted);
        // The trusted address on the same listener gets through.
        assertThat(whoamiWithHeader("u", v1("TCP4", "198.51.100.1", "127.0.0.1", 40000, 443))).isEqualTo("echo");
    }

    /**
     * Sends {@code bytes} (without a FIN: a peer that stops sending must be timed out, not wait for
     * one) and expects Weir to close the connection with {@code reason} counted, without connecting
     * to the backend.
     */
    private static void assertClosedWith(byte[] bytes, String reason) throws Exception {
        double before = proxy.metrics().closedCount(reason);
        long accepted = echo.connectionsAccepted();
        try (Socket s = EdgeSupport.connect(proxy.address("l"))) {
            s.setSoTimeout(5_000); // the header timeout is 1s: anything open after 5s was accepted
            OutputStream out = s.getOutputStream();
            try {
                out.write(bytes);
                out.flush();
            } catch (IOException closedMidWrite) {
                // Weir may close (RST) while a large malformed input is still being written.
            }
            assertThat(EdgeSupport.closedByPeer(s)).isTrue();
        }
        await().atMost(Duration.ofSeconds(5)).untilAsserted(() -> assertThat(proxy.metrics().closedCount(reason))
                .as(() -> EdgeSupport.edgeCounters(proxy.registry())).isEqualTo(before + 1));
        assertThat(echo.connectionsAccepted()).as("nothing reached the backend").isEqualTo(accepted);
    }
}
