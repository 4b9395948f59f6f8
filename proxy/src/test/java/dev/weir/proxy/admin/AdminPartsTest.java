package dev.weir.proxy.admin;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

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
    void tokensAreComparedAsDigests() {
        assertThat(AdminAuth.sha256("a")).hasSize(32).isEqualTo(AdminAuth.sha256("a"));
        assertThat(AdminAuth.sha256("a")).isNotEqualTo(AdminAuth.sha256("a "));
    }
}
