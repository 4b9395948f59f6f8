package dev.weir.proxy;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.weir.proxy.api.ReloadResult;
import dev.weir.proxy.config.ConfigLoader;
import dev.weir.proxy.control.Weir;
import dev.weir.sample.BackendSample;
import java.io.IOException;
import java.io.InputStream;
import java.net.Socket;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Connections that end abnormally once the relay runs, on every transport: peers that die or reset mid-transfer,
 * and the closes Weir makes itself (idle timeout, drain timeout, a reload that removes a busy backend). After each
 * path's rounds the fds are back at their baseline and the loops idle (see {@link Hygiene}).
 */
@Timeout(value = 120, unit = TimeUnit.SECONDS)
class RelayHygieneTest {

    private static final int CHUNK = 64 * 1024;

    @ParameterizedTest(name = "{0}")
    @MethodSource("dev.weir.proxy.TransportsSource#available")
    void backendKilledMidTransfer(String transport) throws Exception {
        try (ChaosBackend backend = ChaosBackend.start();
             Weir weir = Harness.start(Harness.config(transport, "", "", backend.address()))) {
            Hygiene.check("backend killed with 4 transfers under way", 5, () -> {
                backend.restart();
                List<Socket> clients = new ArrayList<>();
                try {
                    for (int i = 0; i < 4; i++) {
                        Socket c = Harness.connect(weir);
                        clients.add(c);
                        echoOnce(c, i);
                        // Half of the next echo read: the rest is in flight when the backend dies.
                        c.getOutputStream().write(new byte[CHUNK]);
                        c.getInputStream().readNBytes(CHUNK / 2);
                    }
                    backend.kill();
                    for (Socket c : clients) {
                        assertThat(Harness.closedAfterTheRest(c)).isTrue();
                    }
                } finally {
                    for (Socket c : clients) {
                        c.close();
                    }
                }
                await().atMost(Duration.ofSeconds(5)).until(() -> weir.activeConnections() == 0);
            });
        }
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("dev.weir.proxy.TransportsSource#available")
    void clientResetMidTransfer(String transport) throws Exception {
        try (ChaosBackend backend = ChaosBackend.start();
             Weir weir = Harness.start(Harness.config(transport, "", "", backend.address()))) {
            Hygiene.check("client reset with its echo unread", 10, () -> {
                try (Socket c = Harness.connect(weir)) {
                    echoOnce(c, 7);
                    // The client sends and reads nothing back, until Weir holds echo bytes for it: mid-flow, held back.
                    CompletableFuture<Void> writer = CompletableFuture.runAsync(() -> {
                        try {
                            for (int i = 0; i < 4096; i++) { // at most 256 MiB: the flow stalls long before
                                c.getOutputStream().write(new byte[CHUNK]);
                            }
                        } catch (IOException e) {
                            // reset below, while this write waits
                        }
                    });
                    await().atMost(Duration.ofSeconds(10)).until(() -> weir.bufferedBytes() > 0);
                    c.setSoLinger(true, 0);
                    c.close();
                    writer.get(10, TimeUnit.SECONDS);
                }
                await().atMost(Duration.ofSeconds(5)).until(() -> backend.activeConnections() == 0
                        && weir.activeConnections() == 0);
            });
        }
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("dev.weir.proxy.TransportsSource#available")
    void idleTimeoutCloses(String transport) throws Exception {
        BackendSample a = BackendSample.start("a", "127.0.0.1", 0, null);
        try (Weir weir = Harness.start(Harness.config(transport, "idle-timeout: 500ms", "", "127.0.0.1:" + a.port()))) {
            Hygiene.check("5 idle clients timed out", 4, () -> closeAll(whoamiClients(weir, 5)));
            assertThat(weir.metrics().closedCount("IDLE_TIMEOUT")).isEqualTo(25);
            await().atMost(Duration.ofSeconds(5)).until(() -> a.activeConnections() == 0);
        } finally {
            a.close();
        }
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("dev.weir.proxy.TransportsSource#available")
    void drainTimeoutCloses(String transport) throws Exception {
        BackendSample a = BackendSample.start("a", "127.0.0.1", 0, null);
        String id = "127.0.0.1:" + a.port();
        try (Weir weir = Harness.start(Harness.config(transport, "", "drain-timeout: 200ms\nclose-spread: 0s", id))) {
            Hygiene.check("4 clients of a drained backend closed at its drain-timeout", 3, () -> {
                weir.enable("p", id);
                List<Answered> clients = whoamiClients(weir, 4);
                weir.drain("p", id);
                closeAll(clients);
            });
            assertThat(weir.metrics().closedCount("DRAIN_TIMEOUT")).isEqualTo(16);
            await().atMost(Duration.ofSeconds(5)).until(() -> a.activeConnections() == 0);
        } finally {
            a.close();
        }
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("dev.weir.proxy.TransportsSource#available")
    void reloadRemovingABusyBackend(String transport) throws Exception {
        BackendSample a = BackendSample.start("a", "127.0.0.1", 0, null);
        BackendSample b = BackendSample.start("b", "127.0.0.1", 0, null);
        String pool = "drain-timeout: 200ms\nclose-spread: 0s";
        String both = Harness.config(transport, "", pool, "127.0.0.1:" + a.port(), "127.0.0.1:" + b.port());
        String onlyA = Harness.config(transport, "", pool, "127.0.0.1:" + a.port());
        try (Weir weir = Harness.start(both)) {
            Hygiene.check("reloads that remove a backend with 2 live clients", 3, () -> {
                assertThat(weir.reload(ConfigLoader.parse(both, Map.of())).outcome()).isNotEqualTo(ReloadResult.Outcome.FAILED);
                List<Answered> clients = whoamiClients(weir, 4);
                try {
                    assertThat(weir.reload(ConfigLoader.parse(onlyA, Map.of())).outcome())
                            .isEqualTo(ReloadResult.Outcome.RELOADED);
                    for (Answered c : clients) {
                        if (c.backend().equals("b")) {
                            assertThat(Harness.closedByPeer(c.socket())).isTrue();
                        } else {
                            assertThat(Harness.whoami(c.socket())).as("a's clients go on").isEqualTo("a");
                        }
                    }
                } finally {
                    for (Answered c : clients) {
                        c.socket().close();
                    }
                }
                await().atMost(Duration.ofSeconds(5)).until(() -> weir.backends("p").size() == 1);
            });
            assertThat(weir.metrics().closedCount("DRAIN_TIMEOUT")).isEqualTo(8);
        } finally {
            a.close();
            b.close();
        }
    }

    /** A client and the backend that answered its whoami. */
    private record Answered(Socket socket, String backend) {
    }

    private static List<Answered> whoamiClients(Weir weir, int n) throws Exception {
        List<Answered> clients = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            Socket c = Harness.connect(weir);
            clients.add(new Answered(c, Harness.whoami(c)));
        }
        return clients;
    }

    /** Each client, answered and then silent, is closed by Weir. */
    private static void closeAll(List<Answered> clients) throws Exception {
        try {
            for (Answered c : clients) {
                assertThat(c.backend()).as("answered before going silent").isNotNull();
                assertThat(Harness.closedByPeer(c.socket())).isTrue();
            }
        } finally {
            for (Answered c : clients) {
                c.socket().close();
            }
        }
    }

    /** One checked echo of a pseudo-random chunk: the relay is up and carries bytes both ways. */
    private static void echoOnce(Socket c, long seed) throws Exception {
        byte[] chunk = new byte[CHUNK];
        Harness.pseudoRandom(chunk, seed);
        c.getOutputStream().write(chunk);
        byte[] back = new byte[CHUNK];
        InputStream in = c.getInputStream();
        int got = 0;
        while (got < CHUNK) {
            int n = in.read(back, got, CHUNK - got);
            assertThat(n).as("echo cut short").isPositive();
            got += n;
        }
        assertThat(back).isEqualTo(chunk);
    }
}
