package dev.weir.proxy.admin;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.weir.proxy.RunningWeir;
import dev.weir.proxy.TestConfig;
import dev.weir.proxy.api.ReloadResult;
import dev.weir.sample.BackendSample;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.ByteBuffer;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * Issue 17: clients that connect to the admin endpoint and send nothing, or half a request, cannot lock out health
 * probes. A request must arrive within {@code admin.header-timeout}; one source holds at most
 * {@code admin.max-connections-per-client}; and a new connection past a limit pushes out the one that has waited
 * longest for a request, so only connections being answered can fill the endpoint. Clients come from several
 * loopback addresses (127.0.0.0/8 is all loopback on Linux), each a source of its own.
 */
@Timeout(value = 120, unit = TimeUnit.SECONDS)
class AdminLockTest {

    /** Far below the 60 s idle timeout, which closed idle connections before the header timeout did. */
    private static final Duration CLOSED_WITHIN = Duration.ofSeconds(20);
    private static final String QUIET = "127.0.2.1"; // a source no test floods from

    private static BackendSample backend;

    @TempDir
    Path dir;

    @BeforeAll
    static void backend() throws Exception {
        backend = BackendSample.start("a", "127.0.0.1", 0, null);
    }

    @AfterAll
    static void stop() {
        backend.close();
    }

    private static TestConfig config() {
        return TestConfig.to(TestConfig.local(backend.port())).admin(null);
    }

    @Test
    void silentAndHalfSentClientsNeitherLockOutProbesNorStay() throws Exception {
        List<SocketChannel> idlers = new ArrayList<>();
        try (RunningWeir h = config().set("admin.header-timeout", "1s").start()) {
            InetSocketAddress admin = h.adminAddress();
            // 200 that send nothing: 100 from 127.0.0.1, 10 each from 127.0.0.2..11; 50 that send half a request
            // line, 10 each from 127.0.1.1..5. 16 sources: their per-client limits alone would let 256 in.
            for (int i = 0; i < 250; i++) {
                String source = i < 100 ? "127.0.0.1" : i < 200 ? "127.0.0." + (2 + (i - 100) / 10)
                        : "127.0.1." + (1 + (i - 200) / 10);
                idlers.add(open(source, admin, i < 200 ? null : "GET /heal"));
                if (i % 25 == 24) {
                    assertProbesAnswered(admin, "127.0.0.1"); // a source that floods too
                    assertProbesAnswered(admin, QUIET);
                }
            }
            await().atMost(CLOSED_WITHIN).untilAsserted(() ->
                    assertThat(idlers).as("connections that sent no whole request").allMatch(AdminLockTest::closed));
            assertProbesAnswered(admin, "127.0.0.1");
        } finally {
            for (SocketChannel ch : idlers) {
                ch.close();
            }
        }
    }

    @Test
    void aRequestStartedOnAKeepAliveConnectionMustArriveWithinTheHeaderTimeout() throws Exception {
        try (RunningWeir h = config().set("admin.header-timeout", "1s").start();
             Socket s = connect("127.0.0.1", h.adminAddress())) {
            s.getOutputStream().write(request("/healthz", false));
            InputStream in = s.getInputStream();
            assertThat(readHead(in)).startsWith("HTTP/1.1 200 ").doesNotContain("connection: close");
            assertThat(new String(in.readNBytes(3), StandardCharsets.US_ASCII)).isEqualTo("ok\n");
            s.getOutputStream().write("GET /heal".getBytes(StandardCharsets.US_ASCII));
            s.setSoTimeout((int) CLOSED_WITHIN.toMillis());
            assertThat(in.read()).as("closed, no answer").isEqualTo(-1);
        }
    }

    @Test
    void anApiCallAnsweredLaterThanTheHeaderTimeoutIsStillAnswered() throws Exception {
        CountDownLatch release = new CountDownLatch(1);
        try (RunningWeir h = config().set("admin.header-timeout", "1s").start();
             Socket call = connect("127.0.0.1", h.adminAddress())) {
            h.weir().controlExecutor().execute(() -> {
                try {
                    release.await(60, TimeUnit.SECONDS); // the API call waits behind this, as behind a long reload
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
            });
            call.getOutputStream().write(request("/api/v1/pools", false));
            SocketChannel silent = open("127.0.0.1", h.adminAddress(), null);
            try {
                await().atMost(CLOSED_WITHIN).until(() -> closed(silent)); // a header timeout has passed
            } finally {
                silent.close();
                release.countDown();
            }
            assertThat(readHead(call.getInputStream())).startsWith("HTTP/1.1 200 ");
        }
    }

    @Test
    void aClientPastItsLimitPushesOutItsOwnLongestWaitingConnection() throws Exception {
        List<SocketChannel> held = new ArrayList<>();
        try (RunningWeir h = config().set("admin.max-connections-per-client", 4).set("admin.header-timeout", "1h")
                .start()) {
            InetSocketAddress admin = h.adminAddress();
            SocketChannel other = open("127.0.0.8", admin, null);
            held.add(other);
            for (int i = 0; i < 4; i++) {
                held.add(open("127.0.0.7", admin, null));
            }
            assertThat(probe("127.0.0.7", admin, "/healthz")).as("the fifth from 127.0.0.7").startsWith("HTTP/1.1 200 ");
            await().atMost(CLOSED_WITHIN).until(() -> closed(held.get(1)));
            assertThat(held.subList(2, 5)).as("the newer ones wait on").noneMatch(AdminLockTest::closed);
            assertThat(closed(other)).as("another client's connection is not touched").isFalse();
        } finally {
            for (SocketChannel ch : held) {
                ch.close();
            }
        }
    }

    @Test
    void connectionsBeingAnsweredAreNeverPushedOutAndTheNextIsRefused() throws Exception {
        List<Socket> busy = new ArrayList<>();
        try (RunningWeir h = config().set("admin.max-connections-per-client", 4).set("admin.header-timeout", "1h")
                .start()) {
            InetSocketAddress admin = h.adminAddress();
            for (int i = 0; i < 4; i++) {
                busy.add(busy("127.0.0.9", admin));
            }
            assertThat(refused("127.0.0.9", admin)).as("a fifth from 127.0.0.9").isTrue();
            assertProbesAnswered(admin, QUIET);
            busy.remove(0).close();
            await().atMost(CLOSED_WITHIN).ignoreExceptions()
                    .until(() -> probe("127.0.0.9", admin, "/healthz").startsWith("HTTP/1.1 200 "));
        } finally {
            for (Socket s : busy) {
                s.close();
            }
        }
    }

    @Test
    void atMost64ConnectionsWhereAWaitingOneMakesRoomAndABusyOneDoesNot() throws Exception {
        List<Socket> busy = new ArrayList<>();
        SocketChannel silent = null;
        try (RunningWeir h = config().set("admin.max-connections-per-client", 64).set("admin.header-timeout", "1h")
                .start()) {
            InetSocketAddress admin = h.adminAddress();
            silent = open("127.0.0.1", admin, null);
            for (int i = 0; i < AdminServer.MAX_CONNECTIONS - 1; i++) {
                busy.add(busy("127.0.0.1", admin));
            }
            assertProbesAnswered(admin, QUIET); // the first pushes out the silent one
            assertThat(closed(silent)).isTrue();
            busy.add(busy("127.0.0.1", admin));
            assertThat(refused(QUIET, admin)).as("the 65th, with 64 being answered").isTrue();
            busy.remove(0).close();
            await().atMost(CLOSED_WITHIN).ignoreExceptions()
                    .until(() -> probe(QUIET, admin, "/healthz").startsWith("HTTP/1.1 200 "));
        } finally {
            for (Socket s : busy) {
                s.close();
            }
            if (silent != null) {
                silent.close();
            }
        }
    }

    @Test
    void aReloadTakesNewLimits() throws Exception {
        Path file = dir.resolve("weir.yaml");
        try (RunningWeir h = RunningWeir.with(config().set("admin.header-timeout", "1h")).file(file).start();
             Socket before = connect("127.0.0.1", h.adminAddress())) {
            InetSocketAddress admin = h.adminAddress();
            config().set("admin.header-timeout", "1s").set("admin.max-connections-per-client", 1).writeTo(file);
            ReloadResult r = h.weir().reloadFromFile();
            assertThat(r.outcome()).as(r.toString()).isEqualTo(ReloadResult.Outcome.RELOADED);
            assertThat(h.adminAddress()).isEqualTo(admin);
            try (Socket after = connect("127.0.0.1", admin)) {
                after.setSoTimeout((int) CLOSED_WITHIN.toMillis());
                assertThat(after.getInputStream().read()).as("closed by the new header timeout").isEqualTo(-1);
            }
            assertThat(before.getInputStream().read()).as("pushed out: one per client now").isEqualTo(-1);
        }
    }

    // ---- clients ----

    private static void assertProbesAnswered(InetSocketAddress admin, String source) throws IOException {
        assertThat(probe(source, admin, "/healthz")).as("/healthz from " + source).startsWith("HTTP/1.1 200 ")
                .endsWith("ok\n");
        assertThat(probe(source, admin, "/readyz")).as("/readyz from " + source).startsWith("HTTP/1.1 200 ")
                .endsWith("ready\n");
        assertThat(probe(source, admin, "/metrics")).as("/metrics from " + source).startsWith("HTTP/1.1 200 ")
                .contains("weir_connections_active");
    }

    /** One request on a new connection from {@code source}, as a probe sends it; the answer read to EOF. */
    private static String probe(String source, InetSocketAddress admin, String path) throws IOException {
        try (Socket s = connect(source, admin)) {
            s.getOutputStream().write(request(path, true));
            ByteArrayOutputStream out = new ByteArrayOutputStream();
            s.getInputStream().transferTo(out);
            return out.toString(StandardCharsets.ISO_8859_1);
        }
    }

    /** True when a connection from {@code source} is closed without an answer (an RST may surface as an error). */
    private static boolean refused(String source, InetSocketAddress admin) {
        try {
            return probe(source, admin, "/healthz").isEmpty();
        } catch (IOException e) {
            return true;
        }
    }

    /**
     * A connection that owes an answer: a POST head with {@code Expect: 100-continue}, its body never sent. The
     * {@code 100 Continue} shows the head was read.
     */
    private static Socket busy(String source, InetSocketAddress admin) throws IOException {
        Socket s = connect(source, admin);
        try {
            s.getOutputStream().write(("POST /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Length: 2\r\n"
                    + "Expect: 100-continue\r\n\r\n").getBytes(StandardCharsets.US_ASCII));
            assertThat(readHead(s.getInputStream())).startsWith("HTTP/1.1 100 Continue");
            return s;
        } catch (IOException | AssertionError e) {
            s.close();
            throw e;
        }
    }

    private static byte[] request(String path, boolean close) {
        return ("GET " + path + " HTTP/1.1\r\nHost: 127.0.0.1\r\n" + (close ? "Connection: close\r\n" : "") + "\r\n")
                .getBytes(StandardCharsets.US_ASCII);
    }

    private static Socket connect(String source, InetSocketAddress admin) throws IOException {
        Socket s = new Socket();
        try {
            s.setSoTimeout(30_000);
            s.bind(new InetSocketAddress(source, 0));
            s.connect(admin, 5_000);
            return s;
        } catch (IOException e) {
            s.close();
            throw e;
        }
    }

    /** A connection from {@code source} that sends {@code text} (null: nothing) and is then only watched. */
    private static SocketChannel open(String source, InetSocketAddress admin, String text) throws IOException {
        SocketChannel ch = SocketChannel.open();
        try {
            ch.bind(new InetSocketAddress(source, 0));
            ch.connect(admin);
            if (text != null) {
                ch.write(ByteBuffer.wrap(text.getBytes(StandardCharsets.US_ASCII)));
            }
            ch.configureBlocking(false);
            return ch;
        } catch (IOException e) {
            ch.close();
            throw e;
        }
    }

    /** True once the server closed {@code ch}: EOF, or an RST. Never blocks. */
    private static boolean closed(SocketChannel ch) {
        ByteBuffer b = ByteBuffer.allocate(512);
        try {
            int n;
            while ((n = ch.read(b)) > 0) {
                b.clear();
            }
            return n < 0;
        } catch (IOException e) {
            return true;
        }
    }

    /** The response head, up to its blank line; header names and values lower-cased. */
    private static String readHead(InputStream in) throws IOException {
        ByteArrayOutputStream head = new ByteArrayOutputStream();
        int c;
        while ((c = in.read()) != -1) {
            head.write(c);
            String h = head.toString(StandardCharsets.ISO_8859_1);
            if (h.endsWith("\r\n\r\n")) {
                int line = h.indexOf("\r\n");
                return h.substring(0, line) + h.substring(line).toLowerCase(Locale.ROOT);
            }
        }
        return head.toString(StandardCharsets.ISO_8859_1);
    }
}
