package dev.weir.proxy;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.weir.proxy.config.ConfigLoader;
import dev.weir.sample.BackendSample;
import java.io.InputStream;
import java.net.Socket;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
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
                    }
                    backend.kill();
                    for (Socket c : clients) {
                        assertThat(Harness.closedByPeer(c)).isTrue();
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
                    // More than the buffers between here and the backend hold: the relay is mid-flow and held back.
                    c.getOutputStream().write(new byte[4 * 1024 * 1024 / 16]);
                    c.setSoLinger(true, 0);
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
        try (Weir weir = Harness.start(Harness.config(transport, "idle-timeout: 200ms", "", "127.0.0.1:" + a.port()))) {
            Hygiene.check("5 idle clients timed out", 4, () -> closedAfterWhoami(weir, 5));
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
                List<Socket> clients = whoamiClients(weir, 4);
                try {
                    weir.drain("p", id);
                    for (Socket c : clients) {
                        assertThat(Harness.closedByPeer(c)).isTrue();
                    }
                } finally {
                    for (Socket c : clients) {
                        c.close();
                    }
                }
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
                List<Socket> clients = whoamiClients(weir, 4);
                try {
                    assertThat(weir.reload(ConfigLoader.parse(onlyA, Map.of())).outcome())
                            .isEqualTo(ReloadResult.Outcome.RELOADED);
                    for (Socket c : clients) {
                        if (answeredBy(c).equals("b")) {
                            assertThat(Harness.closedByPeer(c)).isTrue();
                        } else {
                            assertThat(Harness.whoami(c)).as("a's clients go on").isEqualTo("a");
                        }
                    }
                } finally {
                    for (Socket c : clients) {
                        c.close();
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

    /** The backend each whoami client was answered by, kept on the socket's first answer. */
    private static final Map<Socket, String> answers = new java.util.concurrent.ConcurrentHashMap<>();

    private static String answeredBy(Socket c) {
        return answers.remove(c);
    }

    private static List<Socket> whoamiClients(Weir weir, int n) throws Exception {
        List<Socket> clients = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            Socket c = Harness.connect(weir);
            clients.add(c);
            answers.put(c, Harness.whoami(c));
        }
        return clients;
    }

    /** {@code n} clients are answered, go silent, and are closed by Weir. */
    private static void closedAfterWhoami(Weir weir, int n) throws Exception {
        List<Socket> clients = whoamiClients(weir, n);
        try {
            for (Socket c : clients) {
                answers.remove(c);
                assertThat(Harness.closedByPeer(c)).isTrue();
            }
        } finally {
            for (Socket c : clients) {
                c.close();
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
