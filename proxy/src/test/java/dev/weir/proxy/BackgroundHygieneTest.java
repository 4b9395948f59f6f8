package dev.weir.proxy;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.weir.proxy.control.Weir;
import dev.weir.sample.BackendSample;
import io.micrometer.core.instrument.Gauge;
import java.net.Socket;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
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
             Weir weir = Harness.start(Harness.config(transport, "", "warm-pool: {min-idle: 4}", backend.address()))) {
            await().atMost(Duration.ofSeconds(10)).until(() -> warmIdle(weir) == 4 && backend.activeConnections() == 4);
            int baseline = Hygiene.settledFds();
            backend.kill();
            await().atMost(Duration.ofSeconds(5)).until(() -> warmIdle(weir) == 0);
            int dead = Hygiene.settledFds();
            // Refills are refused and back off (100 ms, doubling): none may count as idle, none may stay open.
            await().pollDelay(Duration.ZERO).during(Duration.ofMillis(1500)).atMost(Duration.ofSeconds(5))
                    .untilAsserted(() -> {
                        assertThat(warmIdle(weir)).as("idle warm sockets to a dead backend").isZero();
                        assertThat(Hygiene.openFds()).as("fds while refills fail (%d once it died)", dead)
                                .isLessThanOrEqualTo(dead);
                    });
            Hygiene.assertLoopsIdle("refills against a dead backend");
            backend.restart();
            await().atMost(Duration.ofSeconds(15)).until(() -> warmIdle(weir) == 4 && backend.activeConnections() == 4);
            Hygiene.assertClean(baseline, "a warm pool refilled after its backend came back");
            assertThat(warmRefills(weir)).isGreaterThanOrEqualTo(8);
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
        int dead = Harness.closedPort();
        try (MisbehavingBackend full = MisbehavingBackend.full();
             MisbehavingBackend silent = MisbehavingBackend.start(MisbehavingBackend.Act.SILENT)) {
            String[] backends = {"127.0.0.1:" + dead, full.address(), silent.address()};
            String[] types = {"{type: tcp", "{type: send-expect, send: \"PING\\r\\n\", expect: \"+PONG\"",
                    "{type: http, path: /healthz"};
            try (Weir weir = Harness.start(probed(transport, live.port(), backends, types, false))) {
                assertThat(Harness.whoami(weir)).isEqualTo("live");
                int baseline = Hygiene.settledFds();
                int kinds = 8; // a silent backend accepts: a tcp probe of it passes, as it should, and is left out
                weir.reload(dev.weir.proxy.config.ConfigLoader.parse(
                        probed(transport, live.port(), backends, types, true), java.util.Map.of()));
                await().atMost(Duration.ofSeconds(20)).untilAsserted(() -> {
                    for (int pool = 0; pool < kinds; pool++) {
                        assertThat(Harness.counted(weir, "weir.health.checks", "pool", "p" + pool, "result", "fail"))
                                .as("failed probes of pool p%d", pool).isGreaterThanOrEqualTo(20);
                    }
                });
                weir.reload(dev.weir.proxy.config.ConfigLoader.parse(
                        probed(transport, live.port(), backends, types, false), java.util.Map.of()));
                Hygiene.assertClean(baseline, "20 failed probes of each of " + kinds + " kinds");
                assertThat(Harness.whoami(weir)).isEqualTo("live");
            }
        } finally {
            live.close();
        }
    }

    /** Pool "live" for the listener, and a pool per probe type and bad backend, probed every 50 ms when on. */
    private static String probed(String transport, int livePort, String[] backends, String[] types, boolean on) {
        StringBuilder yaml = new StringBuilder("transport: " + transport + "\nevent-loop-threads: 2\n"
                + "admin: {bind: \"off\"}\nlisteners:\n  l: {bind: 127.0.0.1:0, pool: live}\npools:\n"
                + "  live: {backends: [127.0.0.1:" + livePort + "]}\n");
        int pool = 0;
        for (String type : types) {
            for (String backend : backends) {
                if (type.contains("tcp") && backend.equals(backends[2])) {
                    continue;
                }
                yaml.append("  p").append(pool++).append(": {backends: [").append(backend).append(']');
                if (on) {
                    yaml.append(", health-check: ").append(type)
                            .append(", interval: 50ms, timeout: 40ms, rise: 1, fall: 1, jitter: 0%}");
                }
                yaml.append("}\n");
            }
        }
        return yaml.toString();
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("dev.weir.proxy.TransportsSource#available")
    void proxyHeaderTimeouts(String transport) throws Exception {
        silentClientsTimeOut(transport, "proxy-protocol: {accept: true, trusted: [127.0.0.1/32], timeout: 150ms}",
                "their PROXY header", "PROXY_TIMEOUT");
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("dev.weir.proxy.TransportsSource#available")
    void sniTimeouts(String transport) throws Exception {
        silentClientsTimeOut(transport, "sni: {routes: {\"a.example\": p}, timeout: 150ms}", "their TLS hello",
                "SNI_REJECTED");
    }

    /** Rounds of 5 clients that never send {@code what} the listener waits for: each closed with {@code reason}. */
    private static void silentClientsTimeOut(String transport, String listener, String what, String reason)
            throws Exception {
        BackendSample a = BackendSample.start("a", "127.0.0.1", 0, null);
        try (Weir weir = Harness.start(Harness.config(transport, listener, "", "127.0.0.1:" + a.port()))) {
            Hygiene.check("5 clients that never send " + what, 4, () -> silentClientsClosed(weir, 5));
            assertThat(weir.metrics().closedCount(reason)).isEqualTo(25);
            assertThat(a.connectionsAccepted()).isZero();
        } finally {
            a.close();
        }
    }

    /** {@code n} clients connect and send nothing; Weir closes each of them. */
    private static void silentClientsClosed(Weir weir, int n) throws Exception {
        List<Socket> clients = new ArrayList<>();
        try {
            for (int i = 0; i < n; i++) {
                clients.add(Harness.connect(weir));
            }
            for (Socket c : clients) {
                assertThat(Harness.closedByPeer(c)).isTrue();
            }
        } finally {
            for (Socket c : clients) {
                c.close();
            }
        }
    }

    private static double warmIdle(Weir weir) {
        return weir.metrics().registry().find("weir.warmpool.idle").gauges().stream().mapToDouble(Gauge::value).sum();
    }

    private static double warmRefills(Weir weir) {
        return Harness.counted(weir, "weir.warmpool.refills");
    }
}
