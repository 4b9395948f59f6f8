package dev.weir.proxy.admin;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.weir.proxy.RunningWeir;
import dev.weir.proxy.TestConfig;
import dev.weir.sample.BackendSample;
import java.io.IOException;
import java.lang.management.ManagementFactory;
import java.lang.management.ThreadInfo;
import java.net.ConnectException;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.URI;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Arrays;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * Reloads asked through the admin endpoint: they run off its event loop, so health, readiness and metrics answer
 * while one is held; a reload that moves the endpoint or changes its token answers first and then the new address
 * and token work and the old ones do not; a reload that fails leaves the endpoint as it was.
 */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class AdminReloadTest {

    private static BackendSample backend;

    @TempDir
    Path dir;

    @BeforeAll
    static void startBackend() throws Exception {
        backend = BackendSample.start("a", "127.0.0.1", 0, null);
    }

    @AfterAll
    static void stopBackend() {
        backend.close();
    }

    /** Listener l to the backend, the admin endpoint on {@code bind} with {@code token}. */
    private static TestConfig config(String bind, String token) {
        return TestConfig.to(TestConfig.local(backend.port())).set("admin.bind", bind).set("admin.token", token);
    }

    private RunningWeir start(TestConfig config) throws Exception {
        return RunningWeir.with(config).file(file()).start();
    }

    private Path file() {
        return dir.resolve("weir.yaml");
    }

    private static HttpResponse<String> send(InetSocketAddress admin, String method, String path, String token)
            throws Exception {
        HttpRequest.Builder b = HttpRequest.newBuilder(URI.create("http://" + admin.getAddress().getHostAddress() + ":"
                + admin.getPort() + path)).timeout(Duration.ofSeconds(10)).method(method, HttpRequest.BodyPublishers.noBody());
        if (token != null) {
            b.header("Authorization", "Bearer " + token);
        }
        return RunningWeir.HTTP.send(b.build(), HttpResponse.BodyHandlers.ofString());
    }

    private static String drain() {
        return "/api/v1/pools/p/backends/" + AdminCalls.seg("127.0.0.1:" + backend.port()) + "/drain";
    }

    @Test
    void healthReadinessAndMetricsAnswerWhileAReloadIsHeld() throws Exception {
        try (RunningWeir proxy = start(TestConfig.to(TestConfig.local(backend.port())).admin(null))) {
            InetSocketAddress admin = proxy.adminAddress();
            // The config file becomes a FIFO: the reload waits in its read until this test writes the file.
            Path file = file();
            Files.delete(file);
            Process mkfifo = new ProcessBuilder("mkfifo", file.toString()).inheritIO().start();
            assertThat(mkfifo.waitFor()).as("mkfifo (coreutils)").isZero();
            CompletableFuture<HttpResponse<String>> reload = RunningWeir.HTTP.sendAsync(HttpRequest.newBuilder(
                    // Percent-encoded, as routing accepts it: it must not be taken for a path served on the admin loop.
                    URI.create("http://127.0.0.1:" + admin.getPort() + "/%61pi/v1/reload"))
                    .timeout(Duration.ofSeconds(30)).POST(HttpRequest.BodyPublishers.noBody()).build(),
                    HttpResponse.BodyHandlers.ofString());
            await().atMost(Duration.ofSeconds(10)).until(AdminReloadTest::aReloadReadsItsFile);

            assertThat(send(admin, "GET", "/healthz", null).statusCode()).isEqualTo(200);
            assertThat(send(admin, "GET", "/readyz", null).statusCode()).isEqualTo(200);
            assertThat(send(admin, "GET", "/metrics", null).body()).contains("weir_connections_active");
            assertThat(reload).as("the reload is still held").isNotDone();

            TestConfig.to(TestConfig.local(backend.port())).admin(null).writeTo(file);
            HttpResponse<String> answered = reload.get(20, TimeUnit.SECONDS);
            assertThat(answered.statusCode()).as(answered.body()).isEqualTo(200);
            assertThat(AdminCalls.json(answered).get("result").asText()).isIn("UNCHANGED", "RELOADED");
        }
    }

    /** Some thread is inside the config loader's read of the file (here: waiting for the FIFO's writer). */
    private static boolean aReloadReadsItsFile() {
        for (ThreadInfo t : ManagementFactory.getThreadMXBean().dumpAllThreads(false, false)) {
            if (Arrays.stream(t.getStackTrace()).anyMatch(f -> f.getClassName().endsWith("ConfigLoader")
                    && f.getMethodName().equals("load"))) {
                return true;
            }
        }
        return false;
    }

    @Test
    void aReloadThatMovesTheEndpointAndChangesItsTokenAnswersThenTheNewOnesWork() throws Exception {
        try (RunningWeir proxy = start(config("127.0.0.1:0", "old-token"))) {
            InetSocketAddress before = proxy.adminAddress();
            config("127.0.0.2:0", "new-token").writeTo(file());

            HttpResponse<String> r = send(before, "POST", "/api/v1/reload", "old-token");
            assertThat(r.statusCode()).as(r.body()).isEqualTo(200);
            assertThat(AdminCalls.json(r).get("result").asText()).isEqualTo("RELOADED");

            InetSocketAddress after = proxy.adminAddress();
            assertThat(after.getAddress().getHostAddress()).isEqualTo("127.0.0.2");
            assertThat(send(after, "GET", "/healthz", null).statusCode()).isEqualTo(200);
            assertThat(send(after, "POST", drain(), "old-token").statusCode()).isEqualTo(401);
            assertThat(send(after, "POST", drain(), "new-token").statusCode()).isEqualTo(200);
            await().atMost(Duration.ofSeconds(10)).until(() -> refuses(before));
        }
    }

    @Test
    void aReloadThatChangesOnlyTheTokenKeepsTheAddress() throws Exception {
        try (RunningWeir proxy = start(config("127.0.0.1:0", "old-token"))) {
            InetSocketAddress admin = proxy.adminAddress();
            config("127.0.0.1:0", "new-token").writeTo(file());

            HttpResponse<String> r = send(admin, "POST", "/api/v1/reload", "old-token");
            assertThat(r.statusCode()).as(r.body()).isEqualTo(200);
            assertThat(AdminCalls.json(r).get("result").asText()).isEqualTo("RELOADED");
            assertThat(proxy.adminAddress()).isEqualTo(admin);
            assertThat(send(admin, "POST", drain(), "old-token").statusCode()).isEqualTo(401);
            assertThat(send(admin, "POST", drain(), "new-token").statusCode()).isEqualTo(200);
        }
    }

    @Test
    void aReloadWhoseLastStepFailsLeavesTheProxyAsItWas() throws Exception {
        int free;
        try (ServerSocket s = new ServerSocket(0)) {
            free = s.getLocalPort();
        }
        try (ServerSocket taken = new ServerSocket(0, 50, java.net.InetAddress.getByName("127.0.0.1"));
             RunningWeir proxy = start(config("127.0.0.1:0", "old-token"))) {
            InetSocketAddress admin = proxy.adminAddress();
            InetSocketAddress listener = proxy.address();
            // A new token, a new listener, and last the move of listener l to a port that is taken.
            config("127.0.0.1:0", "new-token").set("listeners.l.bind", TestConfig.local(taken.getLocalPort()))
                    .listener("l2", l -> l.set("bind", TestConfig.local(free)).set("pool", "p"))
                    .writeTo(file());

            HttpResponse<String> r = send(admin, "POST", "/api/v1/reload", "old-token");
            assertThat(r.statusCode()).as(r.body()).isEqualTo(422);
            assertThat(AdminCalls.json(r).get("errors").get(0).asText()).contains("listeners.l.bind");

            try (Socket client = new Socket()) {
                client.setSoTimeout(10_000);
                client.connect(listener, 5_000);
                client.getOutputStream().write("whoami\n".getBytes(java.nio.charset.StandardCharsets.US_ASCII));
                assertThat(new String(client.getInputStream().readNBytes(2), java.nio.charset.StandardCharsets.US_ASCII))
                        .as("l still serves where it was").isEqualTo("a\n");
            }
            assertThat(proxy.adminAddress()).isEqualTo(admin);
            assertThat(send(admin, "POST", drain(), "new-token").statusCode()).isEqualTo(401);
            assertThat(send(admin, "POST", drain(), "old-token").statusCode()).isEqualTo(200);
            assertThat(proxy.weir().config().listeners()).containsOnlyKeys("l");
            assertThat(proxy.address()).isEqualTo(listener);
            assertThat(refuses(new InetSocketAddress("127.0.0.1", free))).as("l2's port is not bound").isTrue();
        }
    }

    private static boolean refuses(InetSocketAddress address) {
        try (Socket s = new Socket()) {
            s.connect(address, 2_000);
            return false;
        } catch (ConnectException e) {
            return true;
        } catch (IOException e) {
            return false;
        }
    }
}
