package dev.weir.proxy.discovery;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.weir.proxy.RunningWeir;
import dev.weir.proxy.TestConfig;
import dev.weir.proxy.api.BackendStatus;
import dev.weir.proxy.backend.BackendState;
import dev.weir.sample.BackendSample;
import java.time.Duration;
import java.util.HashSet;
import java.util.List;
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
            TestConfig config = TestConfig.proxy().listener("l", "p").pool("p", p -> p.set("discovery",
                    TestConfig.map("dns", "svc.test", "port", port, "refresh", "200ms", "resolvers", List.of(dns.hostPort().toString()))));
            try (RunningWeir proxy = config.start()) {
                assertThat(ids(proxy)).containsExactly("127.0.0.1:" + port);
                assertThat(proxy.whoami()).isEqualTo("one");

                dns.answer("svc.test", "127.0.0.1", "127.0.0.2");
                await().until(() -> ids(proxy).size() == 2);
                Set<String> seen = new HashSet<>();
                for (int i = 0; i < 4; i++) {
                    seen.add(proxy.whoami());
                }
                assertThat(seen).containsExactlyInAnyOrder("one", "two");

                dns.mode(TestDnsServer.Mode.SERVFAIL);
                int before = dns.queries();
                await().until(() -> dns.queries() >= before + 4);
                assertThat(ids(proxy)).as("a failed lookup keeps the last good set").hasSize(2);

                dns.mode(TestDnsServer.Mode.ANSWER);
                dns.answer("svc.test", "127.0.0.2");
                // The vanished address drains and, with no connection left, leaves the pool.
                await().atMost(Duration.ofSeconds(10)).until(() -> ids(proxy).equals(Set.of("127.0.0.2:" + port)));
                // The vanished one may still be draining its last connection: look at the one that stays.
                assertThat(proxy.weir().backends("p").stream().filter(b -> !b.removed()).findFirst().orElseThrow().state())
                        .isEqualTo(BackendState.UP);
                for (int i = 0; i < 3; i++) {
                    assertThat(proxy.whoami()).isEqualTo("two");
                }
            }
        } finally {
            one.close();
            two.close();
        }
    }

    private static Set<String> ids(RunningWeir proxy) {
        return proxy.weir().backends("p").stream().filter(b -> !b.removed()).map(BackendStatus::id).collect(Collectors.toSet());
    }
}
