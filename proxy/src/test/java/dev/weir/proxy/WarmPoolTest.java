package dev.weir.proxy;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.weir.proxy.api.BackendStatus;
import dev.weir.proxy.backend.BackendState;
import dev.weir.sample.BackendSample;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.time.Duration;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** Pre-connected upstream sockets: used when there, never handed out dead, following the backend's state. */
@Timeout(value = 120, unit = TimeUnit.SECONDS)
class WarmPoolTest {

    private static BackendStatus status(RunningWeir proxy, int port) {
        return proxy.weir().backends("p").stream().filter(s -> s.id().equals("127.0.0.1:" + port)).findFirst().orElseThrow();
    }

    private static double counter(RunningWeir proxy, String name) {
        var c = proxy.metrics().registry().find(name).counter();
        return c == null ? 0 : c.count();
    }

    @Test
    void theFirstClientIsServedByAPreConnectedSocketAndThePoolRefills() throws Exception {
        BackendSample a = BackendSample.start("a", "127.0.0.1", 0, null);
        try (RunningWeir proxy = TestConfig.to("127.0.0.1:" + a.port())
                .set("pools.p.warm-pool", TestConfig.map("min-idle", 2, "max-idle-time", "30s")).start()) {
            await().until(() -> status(proxy, a.port()).warmIdle() == 2);
            assertThat(a.connectionsAccepted()).as("the backend saw both connects before any client").isEqualTo(2);
            assertThat(proxy.whoami()).isEqualTo("a");
            assertThat(counter(proxy, "weir.warmpool.hits")).isEqualTo(1.0);
            assertThat(counter(proxy, "weir.warmpool.misses")).isZero();
            await().until(() -> status(proxy, a.port()).warmIdle() == 2);
            assertThat(a.connectionsAccepted()).isEqualTo(3);
        } finally {
            a.close();
        }
    }

    @Test
    void aBannerSentWhileIdleReachesTheClientFirstAndWhole() throws Exception {
        BackendSample smtp = BackendSample.start("mail", "127.0.0.1", 0, "220 mail.example ESMTP ready");
        try (RunningWeir proxy = TestConfig.to("127.0.0.1:" + smtp.port())
                .set("pools.p.warm-pool", TestConfig.map("min-idle", 2)).start()) {
            await().until(() -> status(proxy, smtp.port()).warmIdle() == 2);
            for (int i = 0; i < 5; i++) {
                try (Socket s = proxy.connect()) {
                    assertThat(Sockets.readLine(s.getInputStream())).isEqualTo("220 mail.example ESMTP ready");
                    assertThat(Sockets.whoami(s)).isEqualTo("mail");
                }
            }
            assertThat(counter(proxy, "weir.warmpool.hits")).isGreaterThanOrEqualTo(1.0);
        } finally {
            smtp.close();
        }
    }

    @Test
    void socketsTheBackendClosedAreNeverHandedOut() throws Exception {
        // A backend that closes connections idle for 1 s (as many databases and caches do).
        try (ServerSocket backend = new ServerSocket(0, 512, InetAddress.getLoopbackAddress())) {
            ExecutorService threads = Executors.newCachedThreadPool();
            threads.submit(() -> {
                while (!backend.isClosed()) {
                    Socket s = backend.accept();
                    threads.submit(() -> serveUntilIdle(s));
                }
                return null;
            });
            try (RunningWeir proxy = TestConfig.to("127.0.0.1:" + backend.getLocalPort())
                    .set("pools.p.warm-pool", TestConfig.map("min-idle", 4, "max-idle-time", "30s")).start()) {
                int served = 0;
                // 500 connections in 5 bursts; between bursts the backend closes every idle socket.
                for (int burst = 0; burst < 5; burst++) {
                    await().until(() -> status(proxy, backend.getLocalPort()).warmIdle() == 4);
                    for (int i = 0; i < 100; i++) {
                        try (Socket s = proxy.connect()) {
                            Sockets.write(s.getOutputStream(), "ping " + i + "\n");
                            assertThat(Sockets.readLine(s.getInputStream())).isEqualTo("ping " + i);
                            served++;
                        }
                    }
                    long next = System.nanoTime() + Duration.ofMillis(1300).toNanos();
                    await().atMost(Duration.ofSeconds(5)).until(() -> System.nanoTime() >= next);
                }
                assertThat(served).isEqualTo(500);
                assertThat(counter(proxy, "weir.warmpool.stale")).as("the backend's closes were seen").isGreaterThan(0);
                assertThat(proxy.metrics().closedCount("BACKEND_CLOSED") + proxy.metrics().closedCount("BACKEND_ERROR"))
                        .as("no client was handed a dead socket").isZero();
            } finally {
                threads.shutdownNow();
            }
        }
    }

    private static Void serveUntilIdle(Socket s) {
        try (s) {
            s.setSoTimeout(1000);
            InputStream in = s.getInputStream();
            OutputStream out = s.getOutputStream();
            byte[] buf = new byte[4096];
            int n;
            while ((n = in.read(buf)) != -1) {
                out.write(buf, 0, n);
            }
        } catch (SocketTimeoutException idle) {
            // idle for 1 s: close, like the servers this imitates
        } catch (IOException e) {
            // client went away
        }
        return null;
    }

    @Test
    void idleSocketsFollowTheBackendsState() throws Exception {
        BackendSample a = BackendSample.start("a", "127.0.0.1", 0, null);
        ServerSocket side = new ServerSocket(0, 50, InetAddress.getLoopbackAddress());
        int sidePort = side.getLocalPort();
        String id = "127.0.0.1:" + a.port();
        TestConfig config = TestConfig.to(id).pool("p", p -> p.set("warm-pool.min-idle", 2)
                .healthCheck("tcp", "port", sidePort, "interval", "200ms", "timeout", "100ms", "rise", 1, "fall", 1));
        try (RunningWeir proxy = config.start()) {
            await().until(() -> status(proxy, a.port()).warmIdle() == 2 && a.activeConnections() == 2);

            proxy.weir().drain("p", id);
            await().until(() -> status(proxy, a.port()).warmIdle() == 0 && a.activeConnections() == 0);
            await().during(Duration.ofMillis(500)).atMost(Duration.ofSeconds(2)).until(() -> a.activeConnections() == 0);
            proxy.weir().enable("p", id);
            await().until(() -> status(proxy, a.port()).warmIdle() == 2 && a.activeConnections() == 2);

            side.close();
            await().atMost(Duration.ofSeconds(3)).until(() -> status(proxy, a.port()).state() == BackendState.DOWN);
            await().until(() -> a.activeConnections() == 0);
            await().during(Duration.ofMillis(500)).atMost(Duration.ofSeconds(2)).until(() -> a.activeConnections() == 0);
            side = new ServerSocket(sidePort, 50, InetAddress.getLoopbackAddress());
            await().atMost(Duration.ofSeconds(3)).until(() -> status(proxy, a.port()).state() == BackendState.UP);
            await().until(() -> status(proxy, a.port()).warmIdle() == 2 && a.activeConnections() == 2);
        } finally {
            side.close();
            a.close();
        }
    }

    @Test
    void tenThousandConnectionsLeakNoSocket() throws Exception {
        BackendSample a = BackendSample.start("a", "127.0.0.1", 0, null);
        try (RunningWeir proxy = TestConfig.to("127.0.0.1:" + a.port())
                .set("pools.p.warm-pool", TestConfig.map("min-idle", 4)).start()) {
            await().until(() -> status(proxy, a.port()).warmIdle() == 4);
            long before = Hygiene.openFds();
            ExecutorService clients = Executors.newFixedThreadPool(8);
            AtomicInteger ok = new AtomicInteger();
            try {
                for (int i = 0; i < 10_000; i++) {
                    clients.submit(() -> {
                        if (proxy.whoami().equals("a")) {
                            ok.incrementAndGet();
                        }
                        return null;
                    });
                }
                clients.shutdown();
                assertThat(clients.awaitTermination(90, TimeUnit.SECONDS)).isTrue();
            } finally {
                clients.shutdownNow();
            }
            assertThat(ok.get()).isEqualTo(10_000);
            await().atMost(Duration.ofSeconds(20)).until(() -> proxy.weir().activeConnections() == 0
                    && status(proxy, a.port()).warmIdle() == 4 && a.activeConnections() == 4);
            await().atMost(Duration.ofSeconds(20)).until(() -> Hygiene.openFds() <= before + 2);
            assertThat(counter(proxy, "weir.warmpool.hits")).isGreaterThan(0);
        } finally {
            a.close();
        }
    }
}
