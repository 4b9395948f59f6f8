package dev.weir.sample;

import io.netty.channel.EventLoopGroup;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.nio.NioIoHandler;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.io.UncheckedIOException;
import java.net.ConnectException;
import java.net.InetSocketAddress;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.Random;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

@Timeout(30)
@ExtendWith(LeakCheck.class)
class BackendSampleTest {

    private BackendSample sample;

    @BeforeEach
    void start() throws InterruptedException {
        sample = BackendSample.start("alpha", "127.0.0.1", 0, null);
    }

    @AfterEach
    void stop() {
        sample.close();
    }

    /** Sends {@code input}, half-closes, and returns everything the server sent before its FIN. */
    private static String exchange(BackendSample server, String input) throws IOException {
        try (TestClient client = TestClient.connect(server.address())) {
            client.send(input);
            client.shutdownOutput();
            return client.readToEnd();
        }
    }

    @Test
    void listensOnTheRequestedHostAndAnEphemeralPort() {
        assertThat(sample.port()).isPositive();
        assertThat(sample.address()).isEqualTo(new InetSocketAddress("127.0.0.1", sample.port()));
        assertThat(sample.name()).isEqualTo("alpha");
    }

    @Test
    void whoamiIsAnsweredWithTheNameAndNotEchoed() throws IOException {
        assertThat(exchange(sample, "whoami\n")).isEqualTo("alpha\n");
        assertThat(exchange(sample, "whoami\r\n")).isEqualTo("alpha\n");
    }

    @Test
    void whoamiIsAnsweredOnlyAtTheStartOfALine() throws IOException {
        assertThat(exchange(sample, "hello\nwhoami\nworld\r\nwhoami\r\n xwhoami\nwhoami\n"))
                .isEqualTo("hello\nalpha\nworld\r\nalpha\n xwhoami\nalpha\n");
    }

    @ParameterizedTest
    @ValueSource(strings = {"whoami-not\n", "whoamix\n", "WHOAMI\n", "whoami\r\r\n", "whoami\rx\n", "who\n",
            "whoami", "who", "\r\n"})
    void nearMissesAreEchoedVerbatim(String input) throws IOException {
        assertThat(exchange(sample, input)).isEqualTo(input);
    }

    @Test
    void bytesAreEchoedAsTheyArrive() throws IOException {
        try (TestClient client = TestClient.connect(sample.address())) {
            client.send("hello, ");
            assertThat(client.read(7)).isEqualTo("hello, ");
            client.send("weir\n");
            assertThat(client.read(5)).isEqualTo("weir\n");
        }
    }

    @Test
    void whoamiSplitAcrossReadsIsStillAnswered() throws IOException {
        try (TestClient client = TestClient.connect(sample.address())) {
            client.send("xx\nwho");
            assertThat(client.read(3)).isEqualTo("xx\n"); // the server has read "who" and holds it
            client.send("ami\n");
            assertThat(client.read(6)).isEqualTo("alpha\n");
            client.send("whoami\r");
            client.send("\n");
            assertThat(client.read(6)).isEqualTo("alpha\n");
        }
    }

    @Test
    void fourMebibytesOfRandomBytesComeBackIntact() throws Exception {
        byte[] data = new byte[4 << 20];
        new Random(42).nextBytes(data);
        try (TestClient client = TestClient.connect(sample.address())) {
            // Written from another thread: the server stops reading while we are not reading its echo.
            CompletableFuture<Void> sent = CompletableFuture.runAsync(() -> sendInChunks(client, data));
            MessageDigest received = MessageDigest.getInstance("SHA-256");
            long count = 0;
            InputStream in = client.input();
            byte[] chunk = new byte[64 << 10];
            for (int n; (n = in.read(chunk)) >= 0; ) {
                received.update(chunk, 0, n);
                count += n;
            }
            sent.get(10, TimeUnit.SECONDS);
            assertThat(count).isEqualTo(data.length);
            assertThat(received.digest()).isEqualTo(sha256(data));
        }
    }

    private static void sendInChunks(TestClient client, byte[] data) {
        try {
            OutputStream out = client.output();
            for (int off = 0; off < data.length; off += 50_000) {
                out.write(data, off, Math.min(50_000, data.length - off));
            }
            out.flush();
            client.shutdownOutput();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private static byte[] sha256(byte[] data) throws NoSuchAlgorithmException {
        return MessageDigest.getInstance("SHA-256").digest(data);
    }

    @Test
    void halfCloseGetsTheWholeEchoThenEof() throws IOException {
        byte[] data = new byte[200_000];
        new Random(7).nextBytes(data);
        try (TestClient client = TestClient.connect(sample.address())) {
            client.send(data);
            client.shutdownOutput();
            assertThat(client.input().readAllBytes()).isEqualTo(data); // readAllBytes returns at EOF
        }
        await().atMost(10, TimeUnit.SECONDS).until(() -> sample.activeConnections() == 0);
    }

    @Test
    void bannerIsSentBeforeTheClientSpeaks() throws Exception {
        try (BackendSample smtp = BackendSample.start("beta", "127.0.0.1", 0, "220 beta ready");
             TestClient client = TestClient.connect(smtp.address())) {
            assertThat(client.read(15)).isEqualTo("220 beta ready\n");
            client.send("whoami\n");
            assertThat(client.read(5)).isEqualTo("beta\n");
        }
    }

    @Test
    void bannerEndingInANewlineIsSentAsIs() throws Exception {
        try (BackendSample greeter = BackendSample.start("gamma", "127.0.0.1", 0, "héllo\n")) {
            assertThat(exchange(greeter, "ping\n")).isEqualTo("héllo\nping\n");
        }
    }

    @Test
    @SuppressWarnings("try") // closes one client early, inside the block
    void countsAcceptedAndActiveConnections() throws IOException {
        try (TestClient a = TestClient.connect(sample.address());
             TestClient b = TestClient.connect(sample.address());
             TestClient c = TestClient.connect(sample.address())) {
            for (TestClient client : new TestClient[] {a, b, c}) {
                client.send("x");
                assertThat(client.read(1)).isEqualTo("x");
            }
            assertThat(sample.connectionsAccepted()).isEqualTo(3);
            assertThat(sample.activeConnections()).isEqualTo(3);

            a.close();
            await().atMost(10, TimeUnit.SECONDS).until(() -> sample.activeConnections() == 2);
            assertThat(sample.connectionsAccepted()).isEqualTo(3);
        }
        await().atMost(10, TimeUnit.SECONDS).until(() -> sample.activeConnections() == 0);
        assertThat(sample.connectionsAccepted()).isEqualTo(3);
    }

    @Test
    void closeEndsConnectionsAndStopsListening() throws IOException {
        InetSocketAddress address = sample.address();
        try (TestClient client = TestClient.connect(address)) {
            client.send("x");
            assertThat(client.read(1)).isEqualTo("x");

            sample.close();

            assertThat(sample.activeConnections()).isZero();
            assertThat(client.input().read()).isEqualTo(-1);
        }
        assertThatThrownBy(() -> TestClient.connect(address)).isInstanceOf(ConnectException.class);
        sample.close(); // a second close does nothing
    }

    @Test
    void closeLeavesASharedGroupRunning() throws Exception {
        EventLoopGroup group = new MultiThreadIoEventLoopGroup(1, NioIoHandler.newFactory());
        try {
            BackendSample first = BackendSample.start("one", "127.0.0.1", 0, null, group);
            try (BackendSample second = BackendSample.start("two", "127.0.0.1", 0, null, group)) {
                first.close();
                assertThat(group.isShuttingDown()).isFalse();
                assertThat(exchange(second, "whoami\n")).isEqualTo("two\n");
            }
        } finally {
            group.shutdownGracefully(0, 5, TimeUnit.SECONDS).sync();
        }
    }

    @Test
    void anUnknownHostIsReported() {
        assertThatThrownBy(() -> BackendSample.start("delta", "no.such.host.invalid", 0, null))
                .isInstanceOf(IllegalStateException.class)
                .hasMessage("cannot listen on no.such.host.invalid:0: UnresolvedAddressException");
    }

    @Test
    void aPortInUseIsReported() {
        assertThatThrownBy(() -> BackendSample.start("delta", "127.0.0.1", sample.port(), null))
                .isInstanceOf(UncheckedIOException.class)
                .hasMessageStartingWith("cannot listen on 127.0.0.1:" + sample.port() + ": ");
    }

    @Test
    void badArgumentsAreRejected() {
        assertThatThrownBy(() -> BackendSample.start("", "127.0.0.1", 0, null))
                .hasMessage("name: \"\" (expected: non-empty, without line breaks)");
        assertThatThrownBy(() -> BackendSample.start("a\nb", "127.0.0.1", 0, null))
                .isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> BackendSample.start("a", "127.0.0.1", 65536, null))
                .hasMessage("port: 65536 (expected: 0..65535)");
    }

    @Test
    void commandLineUsageErrorsExitWithStatusTwoAndOneLine() {
        assertThat(cli("--name", "a", "--port", "70000"))
                .isEqualTo("2 backend-sample: --port: 70000 (expected: 0..65535) (see --help)\n");
        assertThat(cli("--name", "", "--port", "0"))
                .isEqualTo("2 backend-sample: --name: \"\" (expected: non-empty, without line breaks) (see --help)\n");
        assertThat(cli("--port", "0")).startsWith("2 backend-sample: Missing required option: '--name=NAME'");
        assertThat(cli("--name", "a", "--port", "0", "--bogus")).startsWith("2 backend-sample: Unknown option");
    }

    @Test
    void commandLineReportsAPortInUseWithStatusOne() {
        assertThat(cli("--name", "a", "--port", String.valueOf(sample.port())))
                .startsWith("1 backend-sample: cannot listen on 127.0.0.1:" + sample.port() + ": ");
    }

    /** The exit status, a space, and what the command line printed to stderr. */
    private static String cli(String... args) {
        StringWriter err = new StringWriter();
        int status = BackendSample.run(new PrintWriter(new StringWriter()), new PrintWriter(err, true), args);
        return status + " " + err;
    }
}
