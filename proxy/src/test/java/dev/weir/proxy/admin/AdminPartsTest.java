package dev.weir.proxy.admin;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.JsonNode;
import dev.weir.proxy.config.AdminConfig;
import dev.weir.proxy.config.HostPort;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** The admin endpoint's pieces without a server: path decoding, Host checks, config JSON. */
@Timeout(value = 10, unit = TimeUnit.SECONDS)
class AdminPartsTest {

    @Test
    void pathSegmentsArePercentDecodedOneByOne() throws Exception {
        assertThat(AdminHandler.segments("/")).isEmpty();
        assertThat(AdminHandler.segments("/api/v1/pools/")).containsExactly("api", "v1", "pools");
        assertThat(AdminHandler.segments("/api/v1/pools/p/backends/127.0.0.1%3A9001/drain?x=1"))
                .containsExactly("api", "v1", "pools", "p", "backends", "127.0.0.1:9001", "drain");
        assertThat(AdminHandler.segments("/api/v1/pools/p/backends/[::1]:9001"))
                .endsWith("[::1]:9001");
        assertThat(AdminHandler.segments("/api/v1/pools/p/backends/%5B%3A%3A1%5D%3A9001"))
                .endsWith("[::1]:9001");
        assertThat(AdminHandler.segments("/a%2Fb/c+d/e%20f")).containsExactly("a/b", "c+d", "e f");
        assertThat(AdminHandler.segments("/a//b")).containsExactly("a", "", "b");
        assertThatThrownBy(() -> AdminHandler.segments("/a%zz")).isInstanceOf(ApiException.class)
                .hasMessageContaining("malformed percent-encoding");
    }

    @Test
    void encodedIdsRoundTrip() throws Exception {
        for (String id : new String[] {"127.0.0.1:9001", "[::1]:9001", "web 1", "a+b", "ü/x"}) {
            assertThat(AdminHandler.segments("/" + AdminHandler.encode(id))).containsExactly(id);
        }
    }

    @Test
    void onlyLocalHostNamesAndIpLiteralsCountAsLocal() {
        assertThat(AdminAuth.localHost("127.0.0.1:9090")).isTrue();
        assertThat(AdminAuth.localHost("localhost:9090")).isTrue();
        assertThat(AdminAuth.localHost("LOCALHOST")).isTrue();
        assertThat(AdminAuth.localHost("weir.localhost:9090")).isTrue();
        assertThat(AdminAuth.localHost("[::1]:9090")).isTrue();
        assertThat(AdminAuth.localHost("10.0.0.5")).isTrue();
        assertThat(AdminAuth.localHost("evil.example:9090")).isFalse();
        assertThat(AdminAuth.localHost("localhost.evil.example")).isFalse();
        assertThat(AdminAuth.localHost("[nonsense]:1")).isFalse();
    }

    @Test
    void configJsonMasksSecretsAndWritesDurationsAsInYaml() {
        JsonNode admin = ApiJson.config(new AdminConfig(new HostPort("::1", 9090), "hunter2"));
        assertThat(admin.get("bind").asText()).isEqualTo("[::1]:9090");
        assertThat(admin.get("token").asText()).isEqualTo("****");
        assertThat(ApiJson.config(new AdminConfig(null, "")).get("token").asText()).isEmpty();
        assertThat(ApiJson.duration(Duration.ofMillis(250))).isEqualTo("250ms");
        assertThat(ApiJson.duration(Duration.ofSeconds(5))).isEqualTo("5s");
        assertThat(ApiJson.duration(Duration.ofSeconds(90))).isEqualTo("90s");
        assertThat(ApiJson.duration(Duration.ofMinutes(5))).isEqualTo("5m");
        assertThat(ApiJson.duration(Duration.ofHours(1))).isEqualTo("1h");
        assertThat(ApiJson.duration(Duration.ZERO)).isEqualTo("0s");
        assertThat(ApiJson.kebab("eventLoopThreads")).isEqualTo("event-loop-threads");
    }

    @Test
    void tokensAreComparedAsDigests() {
        assertThat(AdminAuth.sha256("a")).hasSize(32).isEqualTo(AdminAuth.sha256("a"));
        assertThat(AdminAuth.sha256("a")).isNotEqualTo(AdminAuth.sha256("a "));
    }
}
