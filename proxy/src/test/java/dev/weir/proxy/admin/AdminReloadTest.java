package dev.weir.proxy.admin;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.weir.proxy.control.Weir;
import dev.weir.proxy.config.ConfigLoader;
import dev.weir.sample.BackendSample;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
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

    private static String yaml(String admin, String moreListeners) {
        return "event-loop-threads: 2\n"
                + "admin: " + admin + "\n"
                + "listeners:\n  l: {bind: 127.0.0.1:0, pool: p}\n" + moreListeners
                + "pools:\n  p: {backends: [127.0.0.1:" + backend.port() + "]}\n";
    }

    private Weir start(String yaml) throws Exception {
        Path file = dir.resolve("weir.yaml");
        Files.writeString(file, yaml);
        return Weir.start(ConfigLoader.load(file), new PrometheusMeterRegistry(PrometheusConfig.DEFAULT), file);
    }

    private static HttpResponse<String> send(InetSocketAddress admin, String method, String path, String token)
            throws Exception {
        HttpRequest.Builder b = HttpRequest.newBuilder(URI.create("http://" + admin.getAddress().getHostAddress() + ":"
                + admin.getPort() + path)).timeout(Duration.ofSeconds(10)).method(method, HttpRequest.BodyPublishers.noBody());
        if (token != null) {
            b.header("Authorization", "Bearer " + token);
        }
        return AdminHarness.HTTP.send(b.build(), HttpResponse.BodyHandlers.ofString());
    }

    private static String drain() {
        return "/api/v1/pools/p/backends/" + AdminHarness.seg("127.0.0.1:" + backend.port()) + "/drain";
    }

    @Test
    void healthReadinessAndMetricsAnswerWhileAReloadIsHeld() throws Exception {
        try (Weir weir = start(yaml("{bind: 127.0.0.1:0}", ""))) {
            InetSocketAddress admin = weir.adminAddress();
            // The config file becomes a FIFO: the reload waits in its read until this test writes the file.
            Path file = dir.resolve("weir.yaml");
            Files.delete(file);
            Process mkfifo = new ProcessBuilder("mkfifo", file.toString()).inheritIO().start();
            assertThat(mkfifo.waitFor()).as("mkfifo (coreutils)").isZero();
            CompletableFuture<HttpResponse<String>> reload = AdminHarness.HTTP.sendAsync(HttpRequest.newBuilder(
                    // Percent-encoded, as routing accepts it: it must not be taken for a path served on the admin loop.
                    URI.create("http://127.0.0.1:" + admin.getPort() + "/%61pi/v1/reload"))
                    .timeout(Duration.ofSeconds(30)).POST(HttpRequest.BodyPublishers.noBody()).build(),
                    HttpResponse.BodyHandlers.ofString());
            await().atMost(Duration.ofSeconds(10)).until(AdminReloadTest::aReloadReadsItsFile);

            assertThat(send(admin, "GET", "/healthz", null).statusCode()).isEqualTo(200);
            assertThat(send(admin, "GET", "/readyz", null).statusCode()).isEqualTo(200);
            assertThat(send(admin, "GET", "/metrics", null).body()).contains("weir_connections_active");
            assertThat(reload).as("the reload is still held").isNotDone();

            Files.writeString(file, yaml("{bind: 127.0.0.1:0}", ""));
            HttpResponse<String> answered = reload.get(20, TimeUnit.SECONDS);
            assertThat(answered.statusCode()).as(answered.body()).isEqualTo(200);
            assertThat(AdminHarness.json(answered).get("result").asText()).isIn("UNCHANGED", "RELOADED");
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
        try (Weir weir = start(yaml("{bind: 127.0.0.1:0, token: old-token}", ""))) {
            InetSocketAddress before = weir.adminAddress();
            Files.writeString(dir.resolve("weir.yaml"), yaml("{bind: 127.0.0.2:0, token: new-token}", ""));

            HttpResponse<String> r = send(before, "POST", "/api/v1/reload", "old-token");
            assertThat(r.statusCode()).as(r.body()).isEqualTo(200);
            assertThat(AdminHarness.json(r).get("result").asText()).isEqualTo("RELOADED");

            InetSocketAddress after = weir.adminAddress();
            assertThat(after.getAddress().getHostAddress()).isEqualTo("127.0.0.2");
            assertThat(send(after, "GET", "/healthz", null).statusCode()).isEqualTo(200);
            assertThat(send(after, "POST", drain(), "old-token").statusCode()).isEqualTo(401);
            assertThat(send(after, "POST", drain(), "new-token").statusCode()).isEqualTo(200);
            await().atMost(Duration.ofSeconds(10)).until(() -> refuses(before));
        }
    }

    @Test
    void aReloadThatChangesOnlyTheTokenKeepsTheAddress() throws Exception {
        try (Weir weir = start(yaml("{bind: 127.0.0.1:0, token: old-token}", ""))) {
            InetSocketAddress admin = weir.adminAddress();
            Files.writeString(dir.resolve("weir.yaml"), yaml("{bind: 127.0.0.1:0, token: new-token}", ""));

            HttpResponse<String> r = send(admin, "POST", "/api/v1/reload", "old-token");
            assertThat(r.statusCode()).as(r.body()).isEqualTo(200);
            assertThat(AdminHarness.json(r).get("result").asText()).isEqualTo("RELOADED");
            assertThat(weir.adminAddress()).isEqualTo(admin);
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
             Weir weir = start(yaml("{bind: 127.0.0.1:0, token: old-token}", ""))) {
            InetSocketAddress admin = weir.adminAddress();
            InetSocketAddress listener = weir.listenerAddress("l");
            // A new token, a new listener, and last the move of listener l to a port that is taken.
            Files.writeString(dir.resolve("weir.yaml"), yaml("{bind: 127.0.0.1:0, token: new-token}",
                    "  l2: {bind: 127.0.0.1:" + free + ", pool: p}\n").replace("l: {bind: 127.0.0.1:0,",
                    "l: {bind: 127.0.0.1:" + taken.getLocalPort() + ","));

            HttpResponse<String> r = send(admin, "POST", "/api/v1/reload", "old-token");
            assertThat(r.statusCode()).as(r.body()).isEqualTo(422);
            assertThat(AdminHarness.json(r).get("errors").get(0).asText()).contains("listeners.l.bind");

            try (Socket client = new Socket()) {
                client.setSoTimeout(10_000);
                client.connect(listener, 5_000);
                client.getOutputStream().write("whoami\n".getBytes(java.nio.charset.StandardCharsets.US_ASCII));
                assertThat(new String(client.getInputStream().readNBytes(2), java.nio.charset.StandardCharsets.US_ASCII))
                        .as("l still serves where it was").isEqualTo("a\n");
            }
            assertThat(weir.adminAddress()).isEqualTo(admin);
            assertThat(send(admin, "POST", drain(), "new-token").statusCode()).isEqualTo(401);
            assertThat(send(admin, "POST", drain(), "old-token").statusCode()).isEqualTo(200);
            assertThat(weir.config().listeners()).containsOnlyKeys("l");
            assertThat(weir.listenerAddress("l")).isEqualTo(listener);
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
