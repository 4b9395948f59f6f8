package dev.weir.proxy.discovery;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.weir.proxy.api.BackendStatus;
import dev.weir.proxy.control.Weir;
import dev.weir.proxy.backend.BackendState;
import dev.weir.proxy.config.ConfigLoader;
import dev.weir.sample.BackendSample;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.io.ByteArrayOutputStream;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.HashSet;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** A pool fed by DNS through the whole proxy: clients reach whatever the name resolves to. */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class DiscoveryIntegrationTest {

    @Test
    void thePoolFollowsTheDnsAnswersAndKeepsTheLastSetWhenDnsFails() throws Exception {
        BackendSample one = BackendSample.start("one", "127.0.0.1", 0, null);
        int port = one.port();
        BackendSample two = BackendSample.start("two", "127.0.0.2", port, null);
        try (TestDnsServer dns = new TestDnsServer()) {
            dns.answer("svc.test", "127.0.0.1");
            String yaml = """
                    admin: {bind: "off"}
                    listeners:
                      l: {bind: 127.0.0.1:0, pool: p}
                    pools:
                      p:
                        discovery: {dns: svc.test, port: %d, refresh: 200ms, resolvers: ['%s']}
                    """.formatted(port, dns.hostPort());
            try (Weir weir = Weir.start(ConfigLoader.parse(yaml, Map.of()), new SimpleMeterRegistry())) {
                assertThat(ids(weir)).containsExactly("127.0.0.1:" + port);
                assertThat(whoami(weir)).isEqualTo("one");

                dns.answer("svc.test", "127.0.0.1", "127.0.0.2");
                await().until(() -> ids(weir).size() == 2);
                Set<String> seen = new HashSet<>();
                for (int i = 0; i < 4; i++) {
                    seen.add(whoami(weir));
                }
                assertThat(seen).containsExactlyInAnyOrder("one", "two");

                dns.mode(TestDnsServer.Mode.SERVFAIL);
                int before = dns.queries();
                await().until(() -> dns.queries() >= before + 4);
                assertThat(ids(weir)).as("a failed lookup keeps the last good set").hasSize(2);

                dns.mode(TestDnsServer.Mode.ANSWER);
                dns.answer("svc.test", "127.0.0.2");
                // The vanished address drains and, with no connection left, leaves the pool.
                await().atMost(Duration.ofSeconds(10)).until(() -> ids(weir).equals(Set.of("127.0.0.2:" + port)));
                // The vanished one may still be draining its last connection: look at the one that stays.
                assertThat(weir.backends("p").stream().filter(b -> !b.removed()).findFirst().orElseThrow().state())
                        .isEqualTo(BackendState.UP);
                for (int i = 0; i < 3; i++) {
                    assertThat(whoami(weir)).isEqualTo("two");
                }
            }
        } finally {
            one.close();
            two.close();
        }
    }

    private static Set<String> ids(Weir weir) {
        return weir.backends("p").stream().filter(b -> !b.removed()).map(BackendStatus::id).collect(Collectors.toSet());
    }

    private static String whoami(Weir weir) throws Exception {
        try (Socket s = new Socket()) {
            s.setSoTimeout(10_000);
            s.connect(weir.listenerAddress("l"), 5_000);
            s.getOutputStream().write("whoami\n".getBytes(StandardCharsets.US_ASCII));
            ByteArrayOutputStream line = new ByteArrayOutputStream();
            int c;
            while ((c = s.getInputStream().read()) != -1 && c != '\n') {
                line.write(c);
            }
            return line.toString(StandardCharsets.UTF_8);
        }
    }
}
