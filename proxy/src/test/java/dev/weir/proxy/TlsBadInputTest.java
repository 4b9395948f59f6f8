package dev.weir.proxy;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.read.ListAppender;
import dev.weir.proxy.relay.ProxyListener;
import dev.weir.proxy.tls.TestPki;
import dev.weir.proxy.tls.TlsClients;
import dev.weir.sample.BackendSample;
import java.io.IOException;
import java.io.OutputStream;
import java.net.Socket;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.TimeUnit;
import javax.net.ssl.SSLEngine;
import javax.net.ssl.SSLException;
import javax.net.ssl.SSLSocket;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;
import org.slf4j.LoggerFactory;

/**
 * A terminating listener's bad input, on every transport: a ClientHello cut in half then silence, a 64 KiB
 * ClientHello, a client that asks to renegotiate. Each is closed with its reason and counted, a client connected
 * before stays intact (byte-exact after it), and nothing is left behind (fds, loop CPU: {@link Hygiene}; buffers:
 * the leak detector, paranoid in tests).
 */
@Timeout(value = 120, unit = TimeUnit.SECONDS)
class TlsBadInputTest {

    @TempDir
    static Path dir;
    private static TestPki.Issued ca;
    private static TestPki.Files2 web;
    private static BackendSample echo;
    /** A ClientHello record as the JDK writes it, for web.test. */
    private static byte[] hello;

    @BeforeAll
    static void start() throws Exception {
        ca = TestPki.ca("bad input ca");
        web = ca.issue("web.test", "web.test").write(dir, "web");
        echo = BackendSample.start("e", "127.0.0.1", 0, null);
        SSLEngine engine = TestPki.client(ca, null).createSSLEngine("web.test", 443);
        engine.setUseClientMode(true);
        engine.beginHandshake();
        ByteBuffer out = ByteBuffer.allocate(engine.getSession().getPacketBufferSize());
        engine.wrap(ByteBuffer.allocate(0), out);
        hello = Arrays.copyOf(out.array(), out.position());
        assertThat(hello[0]).as("a handshake record").isEqualTo((byte) 22);
    }

    @AfterAll
    static void stop() {
        echo.close();
    }

    /** A terminating listener; its handshake timeout leaves the control client time for its handshake. */
    private static RunningWeir start(String transport) throws Exception {
        return TestConfig.to(TestConfig.local(echo.port())).transport(transport).set("listeners.l.tls", TestConfig.map(
                "certificates", List.of(TestConfig.map("cert", web.cert().toString(), "key", web.key().toString())),
                "handshake-timeout", "1s")).start();
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("dev.weir.proxy.TransportsSource#available")
    void aClientHelloCutInHalfThenSilenceIsClosedAtTheHandshakeTimeout(String transport) throws Exception {
        try (RunningWeir proxy = start(transport); SSLSocket control = control(proxy)) {
            Hygiene.check("a ClientHello cut in half, then silence", 5, () -> {
                try (Socket s = proxy.connect()) {
                    s.getOutputStream().write(hello, 0, hello.length / 2);
                    long start = System.nanoTime();
                    assertThat(Sockets.closedAfterTheRest(s)).as("closed by Weir").isTrue();
                    assertThat(Duration.ofNanos(System.nanoTime() - start)).as("closed at the handshake timeout")
                            .isGreaterThanOrEqualTo(Duration.ofMillis(900));
                }
            });
            assertCounted(proxy, "timeout", 6);
            assertIntact(control);
        }
    }

    /** Over the 16 KiB a ClientHello may take before the certificate is chosen: closed, result oversized. */
    @ParameterizedTest(name = "{0}")
    @MethodSource("dev.weir.proxy.TransportsSource#available")
    void a64KibClientHelloIsClosedWithItsReason(String transport) throws Exception {
        byte[] huge = records(padded(hello, 64 * 1024));
        try (RunningWeir proxy = start(transport); SSLSocket control = control(proxy)) {
            Hygiene.check("a 64 KiB ClientHello", 10, () -> {
                try (Socket s = proxy.connect()) {
                    try {
                        s.getOutputStream().write(huge);
                    } catch (IOException closedMeanwhile) {
                        // Weir may close before the last records arrive: the end of the stream is checked below.
                    }
                    assertThat(Sockets.closedAfterTheRest(s)).as("closed by Weir").isTrue();
                }
            });
            assertCounted(proxy, "oversized", 11);
            assertIntact(control);
        }
    }

    /**
     * A TLS 1.2 client that sends a new ClientHello inside its session: BoringSSL refuses with a no_renegotiation
     * alert and the connection ends as CLIENT_ERROR (the client's protocol broke).
     */
    @ParameterizedTest(name = "{0}")
    @MethodSource("dev.weir.proxy.TransportsSource#available")
    void aRenegotiationRequestIsRefusedAndClosed(String transport) throws Exception {
        Logger listenerLog = (Logger) LoggerFactory.getLogger(ProxyListener.class);
        ListAppender<ILoggingEvent> warnings = new ListAppender<>();
        warnings.start();
        listenerLog.addAppender(warnings);
        try (RunningWeir proxy = start(transport); SSLSocket control = control(proxy)) {
            Hygiene.check("a client that asks to renegotiate TLS 1.2", 10, () -> {
                try (SSLSocket s = client(proxy, "TLSv1.2")) {
                    roundTrip(s, 1000);
                    try {
                        s.startHandshake(); // a new ClientHello inside the session
                        s.getOutputStream().write("after\n".getBytes(StandardCharsets.US_ASCII));
                        s.getOutputStream().flush();
                        assertThat(s.getInputStream().read()).as("no answer after a renegotiation").isEqualTo(-1);
                    } catch (SSLException refused) {
                        assertThat(refused).hasMessageContaining("renegotiation");
                    }
                }
            });
            await().atMost(Duration.ofSeconds(5)).until(() -> proxy.metrics().closedCount("CLIENT_ERROR") == 11);
            assertIntact(control);
            assertThat(warnings.list).as("a client's broken TLS is no warning with a trace, each time").isEmpty();
        } finally {
            listenerLog.detachAppender(warnings);
        }
    }

    /** A TLS client connected before the bad input, byte-exact before it. */
    private static SSLSocket control(RunningWeir proxy) throws Exception {
        SSLSocket s = client(proxy, "TLSv1.3");
        roundTrip(s, 64 * 1024);
        return s;
    }

    /** ...and after it, then closed normally. */
    private static void assertIntact(SSLSocket control) throws IOException {
        roundTrip(control, 64 * 1024);
        control.shutdownOutput();
        assertThat(control.getInputStream().read()).isEqualTo(-1);
    }

    private static SSLSocket client(RunningWeir proxy, String version) throws IOException {
        SSLSocket s = TlsClients.connect(proxy.address(), TestPki.client(ca, null), "web.test", version);
        s.startHandshake();
        return s;
    }

    /** Sends {@code size} pseudo-random bytes (they fit the socket buffers) and reads the same back. */
    private static void roundTrip(SSLSocket s, int size) throws IOException {
        byte[] data = new byte[size];
        Sockets.pseudoRandom(data, size);
        OutputStream out = s.getOutputStream();
        out.write(data);
        out.flush();
        assertThat(s.getInputStream().readNBytes(size)).isEqualTo(data);
    }

    private static void assertCounted(RunningWeir proxy, String result, int times) {
        await().atMost(Duration.ofSeconds(5))
                .until(() -> proxy.metrics().closedCount("TLS_HANDSHAKE_FAILED") == times);
        assertThat(proxy.counted("weir.tls.handshakes", "result", result)).isEqualTo(times);
    }

    /**
     * {@code record}'s ClientHello with a padding extension (RFC 7685) that makes the handshake message at least
     * {@code size} bytes: the handshake message alone, without the record header.
     */
    static byte[] padded(byte[] record, int size) {
        ByteBuffer in = ByteBuffer.wrap(record, 5, record.length - 5);
        byte[] message = new byte[in.remaining()];
        in.get(message);
        // type(1) length(3) version(2) random(32) session_id(1+n) ciphers(2+n) compression(1+n) extensions(2+n)
        int at = 4 + 2 + 32;
        at += 1 + (message[at] & 0xff);
        at += 2 + (((message[at] & 0xff) << 8) | (message[at + 1] & 0xff));
        at += 1 + (message[at] & 0xff);
        int extensions = ((message[at] & 0xff) << 8) | (message[at + 1] & 0xff);
        int pad = Math.min(size - message.length - 4, 0xffff - extensions - 4);
        ByteBuffer out = ByteBuffer.allocate(message.length + 4 + pad);
        out.put(message, 0, at);
        out.putShort((short) (extensions + 4 + pad));
        out.put(message, at + 2, message.length - at - 2);
        out.putShort((short) 21).putShort((short) pad).put(new byte[pad]);
        byte[] result = out.array();
        int body = result.length - 4;
        result[1] = (byte) (body >>> 16);
        result[2] = (byte) (body >>> 8);
        result[3] = (byte) body;
        return result;
    }

    /** A handshake message cut into TLS records of at most 16 KiB each. */
    static byte[] records(byte[] message) {
        int n = (message.length + 16383) / 16384;
        ByteBuffer out = ByteBuffer.allocate(message.length + 5 * n);
        for (int off = 0; off < message.length; off += 16384) {
            int len = Math.min(16384, message.length - off);
            out.put((byte) 22).putShort((short) 0x0301).putShort((short) len).put(message, off, len);
        }
        return out.array();
    }
}
