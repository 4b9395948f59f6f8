package dev.weir.proxy.control;

import static org.assertj.core.api.Assertions.assertThat;

import dev.weir.proxy.RunningWeir;
import dev.weir.proxy.TestConfig;
import dev.weir.proxy.api.ReloadResult;
import dev.weir.proxy.config.Config;
import dev.weir.sample.BackendSample;
import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
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

    private static BackendSample backend;

    @BeforeAll
    static void startBackend() throws Exception {
        backend = BackendSample.start("a", "127.0.0.1", 0, null);
    }

    @AfterAll
    static void stopBackend() {
        backend.close();
    }

    /** The running config with two new listeners (l2 to a new pool q on {@code l2Port}, l3 on {@code l3Port}). */
    private static Config twoNewListeners(TestConfig running, int l2Port, int l3Port) {
        return running.copy().admin("new-token")
                .pool("q", TestConfig.local(backend.port()))
                .listener("l2", "q").set("listeners.l2.bind", TestConfig.local(l2Port))
                .listener("l3", "p").set("listeners.l3.bind", TestConfig.local(l3Port))
                .config();
    }

    @Test
    void whenTheSecondOfTwoNewListenersCannotBindNothingChanges() throws Exception {
        int free;
        try (ServerSocket s = new ServerSocket(0, 50, InetAddress.getLoopbackAddress())) {
            free = s.getLocalPort();
        }
        TestConfig running = TestConfig.to(TestConfig.local(backend.port())).admin("old-token");
        try (ServerSocket taken = new ServerSocket(0, 50, InetAddress.getLoopbackAddress());
             RunningWeir proxy = RunningWeir.with(running).start()) {
            Weir weir = proxy.weir();
            InetSocketAddress admin = weir.adminAddress();
            Config before = weir.config();

            ReloadResult r = weir.reload(twoNewListeners(running, free, taken.getLocalPort()));

            assertThat(r.outcome()).isEqualTo(ReloadResult.Outcome.FAILED);
            assertThat(r.errors()).singleElement().asString().startsWith("listeners.l3.bind: cannot bind");
            assertThat(weir.config()).isSameAs(before);
            assertThat(weir.poolNames()).containsExactly("p");
            assertThat(refuses(new InetSocketAddress("127.0.0.1", free))).as("the first new listener is not bound").isTrue();
            assertThat(weir.adminAddress()).isEqualTo(admin);
            assertThat(enable(proxy, "new-token")).as("the new token is not in force").isEqualTo(401);
            assertThat(enable(proxy, "old-token")).as("the admin endpoint answers with its old token").isEqualTo(200);
            assertThat(proxy.whoami()).isEqualTo("a");

            // The same plan, once the port is free, applies whole.
            int l3 = taken.getLocalPort();
            taken.close();
            ReloadResult ok = weir.reload(twoNewListeners(running, free, l3));
            assertThat(ok.outcome()).as(String.valueOf(ok.errors())).isEqualTo(ReloadResult.Outcome.RELOADED);
            assertThat(ok.changes()).containsExactly("admin: on 127.0.0.1:0", "pool q: added",
                    "listener l2: added on 127.0.0.1:" + free, "listener l3: added on 127.0.0.1:" + l3);
            assertThat(proxy.whoami("l2")).isEqualTo("a");
            assertThat(enable(proxy, "new-token")).isEqualTo(200);
        }
    }

    private static int enable(RunningWeir proxy, String token) {
        String id = URLEncoder.encode(TestConfig.local(backend.port()), StandardCharsets.UTF_8);
        return proxy.post("/api/v1/pools/p/backends/" + id + "/enable", null, "Authorization", "Bearer " + token)
                .statusCode();
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
