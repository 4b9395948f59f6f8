package dev.weir.proxy;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.weir.sample.BackendSample;
import java.net.Socket;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Connects that fail, on every transport: each path runs many times, then the process's file descriptors are
 * back at their baseline and Weir's event loops are idle (see {@link Hygiene}). A client that a retry serves
 * must also get its answer.
 */
@Timeout(value = 120, unit = TimeUnit.SECONDS)
class ConnectFailureHygieneTest {

    @ParameterizedTest(name = "{0}")
    @MethodSource("dev.weir.proxy.TransportsSource#available")
    void refusedConnects(String transport) throws Exception {
        BackendSample live = BackendSample.start("a", "127.0.0.1", 0, null);
        int dead = Sockets.closedPort();
        try (RunningWeir proxy = TestConfig.to("127.0.0.1:" + live.port(), "127.0.0.1:" + dead).transport(transport)
                .set("pools.p.connect-attempts", 3).start()) {
            Hygiene.check("clients of a pool with a refusing backend", 20,
                    () -> assertThat(proxy.whoami()).isEqualTo("a"));
            assertThat(failures(proxy, "127.0.0.1:" + dead, "refused")).as("refused connects").isGreaterThanOrEqualTo(10);
        } finally {
            live.close();
        }
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("dev.weir.proxy.TransportsSource#available")
    void connectTimeouts(String transport) throws Exception {
        BackendSample live = BackendSample.start("a", "127.0.0.1", 0, null);
        try (MisbehavingBackend full = MisbehavingBackend.full();
             RunningWeir proxy = TestConfig.to("127.0.0.1:" + live.port(), full.address()).transport(transport)
                     .set("pools.p.connect-timeout", "150ms").set("pools.p.connect-attempts", 3).start()) {
            Hygiene.check("clients of a pool with a backend whose accept queue is full", 8,
                    () -> assertThat(proxy.whoami()).isEqualTo("a"));
            assertThat(failures(proxy, full.address(), "timeout")).as("timed-out connects").isGreaterThanOrEqualTo(4);
        } finally {
            live.close();
        }
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("dev.weir.proxy.TransportsSource#available")
    void backendResetsRightAfterTheHandshake(String transport) throws Exception {
        everyClientClosed(transport, MisbehavingBackend.Act.RESET, "backend resets during connect");
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("dev.weir.proxy.TransportsSource#available")
    void backendClosesRightAfterAccepting(String transport) throws Exception {
        everyClientClosed(transport, MisbehavingBackend.Act.CLOSE, "backend closes at once after accept");
    }

    /** 21 clients of a backend that does {@code act} to each connection: every one reached it and was closed. */
    private static void everyClientClosed(String transport, MisbehavingBackend.Act act, String path) throws Exception {
        try (MisbehavingBackend backend = MisbehavingBackend.start(act);
             RunningWeir proxy = TestConfig.to(backend.address()).transport(transport).start()) {
            Hygiene.check(path, 20, () -> clientIsClosed(proxy));
            assertThat(backend.accepted()).isEqualTo(21);
        }
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("dev.weir.proxy.TransportsSource#available")
    void clientResetsBeforeTheBackendConnected(String transport) throws Exception {
        try (MisbehavingBackend full = MisbehavingBackend.full();
             RunningWeir proxy = TestConfig.to(full.address()).transport(transport)
                     .set("pools.p.connect-timeout", "30s").start()) {
            Hygiene.check("client resets while its backend connect hangs", 10, () -> {
                try (Socket client = proxy.connect()) {
                    // A request first: Weir holds it for the backend, and must still notice the reset after it.
                    Sockets.write(client.getOutputStream(), "whoami\n");
                    await().atMost(Duration.ofSeconds(5)).until(() -> Hygiene.connectsInProgress(full.port()) == 1);
                    client.setSoLinger(true, 0);
                }
                await().atMost(Duration.ofSeconds(5)).until(() -> Hygiene.connectsInProgress(full.port()) == 0);
                await().atMost(Duration.ofSeconds(5)).until(() -> proxy.weir().activeConnections() == 0);
            });
            // A reset reaches Weir as an error on some transports and as a plain close on others.
            assertThat(proxy.metrics().closedCount("CLIENT_CLOSED") + proxy.metrics().closedCount("CLIENT_ERROR"))
                    .isEqualTo(11);
            assertThat(failures(proxy, full.address(), "timeout")).as("abandoned connects are no failures").isZero();
        }
    }

    /** The client's whoami gets no answer: Weir closes it, and the client closes its side too. */
    private static void clientIsClosed(RunningWeir proxy) throws Exception {
        try (Socket client = proxy.connect()) {
            Sockets.write(client.getOutputStream(), "whoami\n");
            assertThat(Sockets.closedByPeer(client)).isTrue();
        }
    }

    private static double failures(RunningWeir proxy, String backend, String cause) {
        return proxy.counted("weir.connect.failures", "backend", backend, "cause", cause);
    }
}
