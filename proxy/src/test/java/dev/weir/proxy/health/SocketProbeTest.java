package dev.weir.proxy.health;

import static dev.weir.proxy.health.Checks.http;
import static dev.weir.proxy.health.Checks.sendExpect;
import static dev.weir.proxy.health.Checks.tcp;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.weir.proxy.config.HealthCheckConfig;
import dev.weir.proxy.transport.Transport;
import dev.weir.sample.BackendSample;
import io.netty.channel.EventLoop;
import io.netty.channel.EventLoopGroup;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/** One probe of each type against real sockets, on every transport this machine has. */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class SocketProbeTest {

    private static final Map<Transport, EventLoopGroup> GROUPS = new LinkedHashMap<>();

    @BeforeAll
    static void startLoops() {
        for (Transport t : Transport.available()) {
            GROUPS.put(t, t.newGroup(1, "probe-test-" + t.name()));
        }
    }

    @AfterAll
    static void stopLoops() {
        GROUPS.values().forEach(g -> g.shutdownGracefully(0, 5, TimeUnit.SECONDS).awaitUninterruptibly());
    }

    static List<Transport> transports() {
        return Transport.available();
    }

    private static Prober.Result probe(Transport t, InetSocketAddress target, HealthCheckConfig check)
            throws Exception {
        EventLoop loop = GROUPS.get(t).next();
        SocketProber prober = new SocketProber(loop, t);
        CompletableFuture<Prober.Result> result = new CompletableFuture<>();
        loop.execute(() -> prober.probe(target, check, result::complete));
        return result.get(10, TimeUnit.SECONDS);
    }

    private static InetSocketAddress closedPort() throws Exception {
        try (ServerSocket s = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            return new InetSocketAddress(s.getInetAddress(), s.getLocalPort());
        }
    }

    @ParameterizedTest
    @MethodSource("transports")
    void tcpPassesWhenTheConnectSucceedsAndClosesTheConnection(Transport t) throws Exception {
        BackendSample sample = BackendSample.start("alpha", "127.0.0.1", 0, "banner");
        try {
            Prober.Result r = probe(t, sample.address(), tcp(1000, 1000, 2, 3));
            assertThat(r.ok()).isTrue();
            assertThat(r.cause()).isNull();
            await().atMost(5, TimeUnit.SECONDS).until(() -> sample.activeConnections() == 0);
            assertThat(sample.connectionsAccepted()).isEqualTo(1);
        } finally {
            sample.close();
        }
    }

    @ParameterizedTest
    @MethodSource("transports")
    void tcpFailsOnARefusedConnect(Transport t) throws Exception {
        Prober.Result r = probe(t, closedPort(), tcp(1000, 1000, 2, 3));
        assertThat(r.ok()).isFalse();
        assertThat(r.cause()).isEqualTo("connection refused");
    }

    @ParameterizedTest
    @MethodSource("transports")
    void sendExpectPassesWhenTheReplyContainsTheExpectedBytes(Transport t) throws Exception {
        BackendSample sample = BackendSample.start("alpha", "127.0.0.1", 0, null);
        try {
            assertThat(probe(t, sample.address(), sendExpect("whoami\n", "alpha", 1000)).ok()).isTrue();
            assertThat(probe(t, sample.address(), sendExpect("+PING\r\n", "PING", 1000)).ok()).isTrue();
        } finally {
            sample.close();
        }
        BackendSample banner = BackendSample.start("beta", "127.0.0.1", 0, "+OK ready");
        try {
            assertThat(probe(t, banner.address(), sendExpect(null, "+OK", 1000)).ok())
                    .as("expect alone checks the banner").isTrue();
        } finally {
            banner.close();
        }
    }

    @ParameterizedTest
    @MethodSource("transports")
    void sendExpectFailsOnAWrongReply(Transport t) throws Exception {
        try (Responder redis = Responder.replying("-ERR unknown command\r\n")) {
            Prober.Result r = probe(t, redis.address(), sendExpect("PING\r\n", "+PONG", 2000));
            assertThat(r.ok()).isFalse();
            assertThat(r.cause()).isEqualTo("expect \"+PONG\" not found in reply");
            assertThat(redis.requests).containsExactly("PING\r\n");
        }
    }

    @ParameterizedTest
    @MethodSource("transports")
    void sendExpectFailsByTimeoutWhenTheBackendNeverAnswers(Transport t) throws Exception {
        // Listening with a backlog but never accepting: the kernel completes the connect, nobody reads.
        try (ServerSocket silent = new ServerSocket(0, 50, InetAddress.getLoopbackAddress())) {
            InetSocketAddress target = new InetSocketAddress(silent.getInetAddress(), silent.getLocalPort());
            Prober.Result r = probe(t, target, sendExpect("PING\r\n", "+PONG", 300));
            assertThat(r.ok()).isFalse();
            assertThat(r.cause()).isEqualTo("timed out after 300ms");
            assertThat(r.durationMillis()).isBetween(290L, 5000L);
        }
    }

    @ParameterizedTest
    @MethodSource("transports")
    void sendExpectGivesUpOnAReplyLargerThanTheCap(Transport t) throws Exception {
        byte[] flood = new byte[ProbeHandler.MAX_REPLY + 4096];
        Arrays.fill(flood, (byte) 'x');
        try (Responder chatty = Responder.replying(flood)) {
            Prober.Result r = probe(t, chatty.address(), sendExpect("PING\r\n", "+PONG", 5000));
            assertThat(r.ok()).isFalse();
            assertThat(r.cause()).isEqualTo("expect \"+PONG\" not found in first 65536 bytes of reply");
        }
    }

    @ParameterizedTest
    @MethodSource("transports")
    void httpPassesOnA200AndSendsThePath(Transport t) throws Exception {
        try (Responder web = Responder.http(200)) {
            Prober.Result r = probe(t, web.address(), http("/healthz?full=1", 200, 399, 2000));
            assertThat(r.ok()).isTrue();
            assertThat(web.requests).singleElement().isEqualTo("GET /healthz?full=1 HTTP/1.1\r\n"
                    + "Host: 127.0.0.1\r\nConnection: close\r\nUser-Agent: weir-health\r\n\r\n");
        }
    }

    @ParameterizedTest
    @MethodSource("transports")
    void httpFailsOnAStatusOutsideTheRange(Transport t) throws Exception {
        try (Responder web = Responder.http(503)) {
            Prober.Result r = probe(t, web.address(), http("/", 200, 399, 2000));
            assertThat(r.ok()).isFalse();
            assertThat(r.cause()).isEqualTo("status 503");
        }
        try (Responder web = Responder.http(204)) {
            assertThat(probe(t, web.address(), http("/", 200, 399, 2000)).ok()).isTrue();
            Prober.Result narrow = probe(t, web.address(), http("/", 200, 200, 2000));
            assertThat(narrow.ok()).isFalse();
            assertThat(narrow.cause()).isEqualTo("status 204");
        }
    }

    @ParameterizedTest
    @MethodSource("transports")
    void httpFailsOnSomethingThatIsNotHttp(Transport t) throws Exception {
        try (Responder smtp = Responder.replying("220 mail.example.com ESMTP\r\n")) {
            Prober.Result r = probe(t, smtp.address(), http("/", 200, 399, 2000));
            assertThat(r.ok()).isFalse();
            assertThat(r.cause()).isEqualTo("bad status line \"220 mail.example.com ESMTP\"");
        }
        try (Responder mute = Responder.replying("")) {
            Prober.Result r = probe(t, mute.address(), http("/", 200, 399, 2000));
            assertThat(r.cause()).isEqualTo("connection closed without a reply");
        }
    }
}
