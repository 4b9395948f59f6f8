package dev.weir.proxy;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.weir.proxy.api.ReloadResult;
import dev.weir.sample.BackendSample;
import java.io.IOException;
import java.io.InputStream;
import java.net.Socket;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
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
             RunningWeir proxy = TestConfig.to(backend.address()).transport(transport).start()) {
            Hygiene.check("backend killed with 4 transfers under way", 5, () -> {
                backend.restart();
                List<Socket> clients = new ArrayList<>();
                try {
                    for (int i = 0; i < 4; i++) {
                        Socket c = proxy.connect();
                        clients.add(c);
                        echoOnce(c, i);
                        // Half of the next echo read: the rest is in flight when the backend dies.
                        c.getOutputStream().write(new byte[CHUNK]);
                        c.getInputStream().readNBytes(CHUNK / 2);
                    }
                    backend.kill();
                    for (Socket c : clients) {
                        assertThat(Sockets.closedAfterTheRest(c)).isTrue();
                    }
                } finally {
                    for (Socket c : clients) {
                        c.close();
                    }
                }
                await().atMost(Duration.ofSeconds(5)).until(() -> proxy.weir().activeConnections() == 0);
            });
        }
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("dev.weir.proxy.TransportsSource#available")
    void clientResetMidTransfer(String transport) throws Exception {
        try (ChaosBackend backend = ChaosBackend.start();
             RunningWeir proxy = TestConfig.to(backend.address()).transport(transport).start()) {
            Hygiene.check("client reset with its echo unread", 10, () -> {
                try (Socket c = proxy.connect()) {
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
                    await().atMost(Duration.ofSeconds(10)).until(() -> proxy.weir().bufferedBytes() > 0);
                    c.setSoLinger(true, 0);
                    c.close();
                    writer.get(10, TimeUnit.SECONDS);
                }
                await().atMost(Duration.ofSeconds(5)).until(() -> backend.activeConnections() == 0
                        && proxy.weir().activeConnections() == 0);
            });
        }
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("dev.weir.proxy.TransportsSource#available")
    void idleTimeoutCloses(String transport) throws Exception {
        BackendSample a = BackendSample.start("a", "127.0.0.1", 0, null);
        try (RunningWeir proxy = TestConfig.to("127.0.0.1:" + a.port()).transport(transport)
                .set("listeners.l.idle-timeout", "500ms").start()) {
            Hygiene.check("5 idle clients timed out", 4, () -> closeAll(whoamiClients(proxy, 5)));
            assertThat(proxy.metrics().closedCount("IDLE_TIMEOUT")).isEqualTo(25);
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
        try (RunningWeir proxy = TestConfig.to(id).transport(transport).set("pools.p.drain-timeout", "200ms")
                .set("pools.p.close-spread", "0s").start()) {
            Hygiene.check("4 clients of a drained backend closed at its drain-timeout", 3, () -> {
                proxy.weir().enable("p", id);
                List<Answered> clients = whoamiClients(proxy, 4);
                proxy.weir().drain("p", id);
                closeAll(clients);
            });
            assertThat(proxy.metrics().closedCount("DRAIN_TIMEOUT")).isEqualTo(16);
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
        TestConfig both = TestConfig.to("127.0.0.1:" + a.port(), "127.0.0.1:" + b.port())
                .transport(transport).set("pools.p.drain-timeout", "200ms").set("pools.p.close-spread", "0s");
        TestConfig onlyA = both.copy().pool("p", p -> p.backends("127.0.0.1:" + a.port()));
        try (RunningWeir proxy = both.start()) {
            Hygiene.check("reloads that remove a backend with 2 live clients", 3, () -> {
                assertThat(proxy.weir().reload(both.config()).outcome()).isNotEqualTo(ReloadResult.Outcome.FAILED);
                List<Answered> clients = whoamiClients(proxy, 4);
                try {
                    assertThat(proxy.weir().reload(onlyA.config()).outcome())
                            .isEqualTo(ReloadResult.Outcome.RELOADED);
                    for (Answered c : clients) {
                        if (c.backend().equals("b")) {
                            assertThat(Sockets.closedByPeer(c.socket())).isTrue();
                        } else {
                            assertThat(Sockets.whoami(c.socket())).as("a's clients go on").isEqualTo("a");
                        }
                    }
                } finally {
                    for (Answered c : clients) {
                        c.socket().close();
                    }
                }
                await().atMost(Duration.ofSeconds(5)).until(() -> proxy.weir().backends("p").size() == 1);
            });
            assertThat(proxy.metrics().closedCount("DRAIN_TIMEOUT")).isEqualTo(8);
        } finally {
            a.close();
            b.close();
        }
    }

    /** A client and the backend that answered its whoami. */
    private record Answered(Socket socket, String backend) {
    }

    private static List<Answered> whoamiClients(RunningWeir proxy, int n) throws Exception {
        List<Answered> clients = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            Socket c = proxy.connect();
            clients.add(new Answered(c, Sockets.whoami(c)));
        }
        return clients;
    }

    /** Each client, answered and then silent, is closed by Weir. */
    private static void closeAll(List<Answered> clients) throws Exception {
        try {
            for (Answered c : clients) {
                assertThat(c.backend()).as("answered before going silent").isNotNull();
                assertThat(Sockets.closedByPeer(c.socket())).isTrue();
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
        Sockets.pseudoRandom(chunk, seed);
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
