package dev.weir.proxy.control;

import static org.assertj.core.api.Assertions.assertThat;

import dev.weir.proxy.api.ReloadResult;
import dev.weir.proxy.config.Config;
import dev.weir.proxy.config.ConfigLoader;
import dev.weir.sample.BackendSample;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * A reload is prepared whole before anything running changes: when its last step fails, the proxy is as it was.
 * Here the second of two new listeners finds its port taken, after a new pool and a new admin token were prepared.
 */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class ReloadPlanTest {

    private static final HttpClient HTTP = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();
    private static BackendSample backend;

    @BeforeAll
    static void startBackend() throws Exception {
        backend = BackendSample.start("a", "127.0.0.1", 0, null);
    }

    @AfterAll
    static void stopBackend() {
        backend.close();
    }

    private static Config config(String token, String moreListeners, String morePools) throws Exception {
        return ConfigLoader.parse("event-loop-threads: 2\n"
                + "admin: {bind: 127.0.0.1:0, token: " + token + "}\n"
                + "listeners:\n  l: {bind: 127.0.0.1:0, pool: p}\n" + moreListeners
                + "pools:\n  p: {backends: [127.0.0.1:" + backend.port() + "]}\n" + morePools, Map.of());
    }

    @Test
    void whenTheSecondOfTwoNewListenersCannotBindNothingChanges() throws Exception {
        int free;
        try (ServerSocket s = new ServerSocket(0, 50, InetAddress.getLoopbackAddress())) {
            free = s.getLocalPort();
        }
        try (ServerSocket taken = new ServerSocket(0, 50, InetAddress.getLoopbackAddress());
             Weir weir = Weir.start(config("old-token", "", ""), new SimpleMeterRegistry())) {
            InetSocketAddress admin = weir.adminAddress();
            Config before = weir.config();

            ReloadResult r = weir.reload(config("new-token",
                    "  l2: {bind: 127.0.0.1:" + free + ", pool: q}\n"
                            + "  l3: {bind: 127.0.0.1:" + taken.getLocalPort() + ", pool: p}\n",
                    "  q: {backends: [127.0.0.1:" + backend.port() + "]}\n"));

            assertThat(r.outcome()).isEqualTo(ReloadResult.Outcome.FAILED);
            assertThat(r.errors()).singleElement().asString().startsWith("listeners.l3.bind: cannot bind");
            assertThat(weir.config()).isSameAs(before);
            assertThat(weir.poolNames()).containsExactly("p");
            assertThat(refuses(new InetSocketAddress("127.0.0.1", free))).as("the first new listener is not bound").isTrue();
            assertThat(weir.adminAddress()).isEqualTo(admin);
            assertThat(drain(admin, "new-token")).as("the new token is not in force").isEqualTo(401);
            assertThat(drain(admin, "old-token")).as("the admin endpoint answers with its old token").isEqualTo(200);
            assertThat(whoami(weir.listenerAddress("l"))).isEqualTo("a");

            // The same plan, once the port is free, applies whole.
            taken.close();
            ReloadResult ok = weir.reload(config("new-token",
                    "  l2: {bind: 127.0.0.1:" + free + ", pool: q}\n"
                            + "  l3: {bind: 127.0.0.1:" + taken.getLocalPort() + ", pool: p}\n",
                    "  q: {backends: [127.0.0.1:" + backend.port() + "]}\n"));
            assertThat(ok.outcome()).as(String.valueOf(ok.errors())).isEqualTo(ReloadResult.Outcome.RELOADED);
            assertThat(ok.changes()).containsExactly("admin: on 127.0.0.1:0", "pool q: added",
                    "listener l2: added on 127.0.0.1:" + free, "listener l3: added on 127.0.0.1:" + taken.getLocalPort());
            assertThat(whoami(new InetSocketAddress("127.0.0.1", free))).isEqualTo("a");
            assertThat(drain(admin, "new-token")).isEqualTo(200);
        }
    }

    private static int drain(InetSocketAddress admin, String token) throws Exception {
        String id = java.net.URLEncoder.encode("127.0.0.1:" + backend.port(), StandardCharsets.UTF_8);
        HttpRequest req = HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + admin.getPort()
                        + "/api/v1/pools/p/backends/" + id + "/enable"))
                .timeout(Duration.ofSeconds(10)).header("Authorization", "Bearer " + token)
                .POST(HttpRequest.BodyPublishers.noBody()).build();
        return HTTP.send(req, HttpResponse.BodyHandlers.ofString()).statusCode();
    }

    private static String whoami(InetSocketAddress at) throws IOException {
        try (Socket s = new Socket()) {
            s.setSoTimeout(10_000);
            s.connect(at, 5_000);
            s.getOutputStream().write("whoami\n".getBytes(StandardCharsets.US_ASCII));
            return new String(s.getInputStream().readNBytes(1), StandardCharsets.US_ASCII);
        }
    }

    private static boolean refuses(InetSocketAddress at) {
        try (Socket s = new Socket()) {
            s.connect(at, 2_000);
            return false;
        } catch (IOException e) {
            return true;
        }
    }
}
