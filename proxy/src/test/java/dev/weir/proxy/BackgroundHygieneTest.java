package dev.weir.proxy;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.weir.sample.BackendSample;
import io.micrometer.core.instrument.Gauge;
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
 * What Weir does on its own, without a client to notice: warm-pool refills and health probes against dead and
 * hanging backends, and the timers of clients that never finish their PROXY header or TLS hello. On every
 * transport the fds come back to their baseline and the loops are idle (see {@link Hygiene}).
 */
@Timeout(value = 120, unit = TimeUnit.SECONDS)
class BackgroundHygieneTest {

    @ParameterizedTest(name = "{0}")
    @MethodSource("dev.weir.proxy.TransportsSource#available")
    void warmPoolRefillsAgainstAKilledBackend(String transport) throws Exception {
        try (ChaosBackend backend = ChaosBackend.start();
             RunningWeir proxy = TestConfig.to(backend.address()).transport(transport)
                     .set("pools.p.warm-pool", TestConfig.map("min-idle", 4)).start()) {
            await().atMost(Duration.ofSeconds(10)).until(() -> warmIdle(proxy) == 4 && backend.activeConnections() == 4);
            int baseline = Hygiene.settledFds();
            backend.kill();
            await().atMost(Duration.ofSeconds(5)).until(() -> warmIdle(proxy) == 0);
            int dead = Hygiene.settledFds();
            // Refills are refused and back off (100 ms, doubling): none may count as idle, none may stay open.
            await().pollDelay(Duration.ZERO).during(Duration.ofMillis(1500)).atMost(Duration.ofSeconds(5))
                    .untilAsserted(() -> {
                        assertThat(warmIdle(proxy)).as("idle warm sockets to a dead backend").isZero();
                        assertThat(Hygiene.openFds()).as("fds while refills fail (%d once it died)", dead)
                                .isLessThanOrEqualTo(dead);
                    });
            Hygiene.assertLoopsIdle("refills against a dead backend");
            backend.restart();
            await().atMost(Duration.ofSeconds(15)).until(() -> warmIdle(proxy) == 4 && backend.activeConnections() == 4);
            Hygiene.assertClean(baseline, "a warm pool refilled after its backend came back");
            assertThat(warmRefills(proxy)).isGreaterThanOrEqualTo(8);
        }
    }

    /**
     * Every probe type against a refusing, a hanging (full accept queue) and a silent backend, in one proxy. The
     * probes are turned on by a reload and off by another, so that the fds are compared while none is in flight.
     */
    @ParameterizedTest(name = "{0}")
    @MethodSource("dev.weir.proxy.TransportsSource#available")
    void healthProbesOfEveryTypeAgainstDeadAndHangingBackends(String transport) throws Exception {
        BackendSample live = BackendSample.start("live", "127.0.0.1", 0, null);
        int dead = Sockets.closedPort();
        try (MisbehavingBackend full = MisbehavingBackend.full();
             MisbehavingBackend silent = MisbehavingBackend.start(MisbehavingBackend.Act.SILENT)) {
            String[] backends = {"127.0.0.1:" + dead, full.address(), silent.address()};
            List<Map<String, Object>> types = List.of(TestConfig.map("type", "tcp"),
                    TestConfig.map("type", "send-expect", "send", "PING\r\n", "expect", "+PONG"),
                    TestConfig.map("type", "http", "path", "/healthz"));
            try (RunningWeir proxy = probed(transport, live.port(), backends, types, false).start()) {
                assertThat(proxy.whoami()).isEqualTo("live");
                int baseline = Hygiene.settledFds();
                int kinds = 8; // a silent backend accepts: a tcp probe of it passes, as it should, and is left out
                proxy.weir().reload(probed(transport, live.port(), backends, types, true).config());
                await().atMost(Duration.ofSeconds(20)).untilAsserted(() -> {
                    for (int pool = 0; pool < kinds; pool++) {
                        assertThat(proxy.counted("weir.health.checks", "pool", "p" + pool, "result", "fail"))
                                .as("failed probes of pool p%d", pool).isGreaterThanOrEqualTo(20);
                    }
                });
                proxy.weir().reload(probed(transport, live.port(), backends, types, false).config());
                Hygiene.assertClean(baseline, "20 failed probes of each of " + kinds + " kinds");
                assertThat(proxy.whoami()).isEqualTo("live");
            }
        } finally {
            live.close();
        }
    }

    /** Pool "live" for the listener, and a pool per probe type and bad backend, probed every 50 ms when on. */
    private static TestConfig probed(String transport, int livePort, String[] backends, List<Map<String, Object>> types,
                                     boolean on) {
        TestConfig config = TestConfig.proxy().transport(transport)
                .listener("l", "live").pool("live", TestConfig.local(livePort));
        int pool = 0;
        for (Map<String, Object> type : types) {
            for (String backend : backends) {
                if (type.get("type").equals("tcp") && backend.equals(backends[2])) {
                    continue;
                }
                config.pool("p" + pool++, p -> {
                    p.backends(backend);
                    if (on) {
                        p.set("health-check", type).set("health-check.interval", "50ms").set("health-check.timeout", "40ms")
                                .set("health-check.rise", 1).set("health-check.fall", 1).set("health-check.jitter", "0%");
                    }
                });
            }
        }
        return config;
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("dev.weir.proxy.TransportsSource#available")
    void proxyHeaderTimeouts(String transport) throws Exception {
        silentClientsTimeOut(transport, "proxy-protocol",
                TestConfig.map("accept", true, "trusted", List.of("127.0.0.1/32"), "timeout", "150ms"),
                "their PROXY header", "PROXY_TIMEOUT");
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("dev.weir.proxy.TransportsSource#available")
    void sniTimeouts(String transport) throws Exception {
        silentClientsTimeOut(transport, "sni", TestConfig.map("routes", Map.of("a.example", "p"), "timeout", "150ms"),
                "their TLS hello",
                "SNI_REJECTED");
    }

    /** Rounds of 5 clients that never send {@code what} the listener waits for: each closed with {@code reason}. */
    private static void silentClientsTimeOut(String transport, String key, Object value, String what, String reason)
            throws Exception {
        BackendSample a = BackendSample.start("a", "127.0.0.1", 0, null);
        try (RunningWeir proxy = TestConfig.to("127.0.0.1:" + a.port())
                .transport(transport).set("listeners.l." + key, value).start()) {
            Hygiene.check("5 clients that never send " + what, 4, () -> silentClientsClosed(proxy, 5));
            assertThat(proxy.metrics().closedCount(reason)).isEqualTo(25);
            assertThat(a.connectionsAccepted()).isZero();
        } finally {
            a.close();
        }
    }

    /** {@code n} clients connect and send nothing; Weir closes each of them. */
    private static void silentClientsClosed(RunningWeir proxy, int n) throws Exception {
        List<Socket> clients = new ArrayList<>();
        try {
            for (int i = 0; i < n; i++) {
                clients.add(proxy.connect());
            }
            for (Socket c : clients) {
                assertThat(Sockets.closedByPeer(c)).isTrue();
            }
        } finally {
            for (Socket c : clients) {
                c.close();
            }
        }
    }

    private static double warmIdle(RunningWeir proxy) {
        return proxy.metrics().registry().find("weir.warmpool.idle").gauges().stream().mapToDouble(Gauge::value).sum();
    }

    private static double warmRefills(RunningWeir proxy) {
        return proxy.counted("weir.warmpool.refills");
    }
}
