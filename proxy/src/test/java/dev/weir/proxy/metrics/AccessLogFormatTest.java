package dev.weir.proxy.metrics;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** The access log's two formats for a TLS session and for a failed handshake (lines logged end to end elsewhere). */
@Timeout(value = 10, unit = TimeUnit.SECONDS)
class AccessLogFormatTest {

    @Test
    void aFailedHandshakeNamesItsCauseInBothFormats() {
        AccessLog.Entry failed = new AccessLog.Entry("l", "127.0.0.1", 4000, "p", null, -1, 2, 0, 0,
                "TLS_HANDSHAKE_FAILED", null, "no_certificate", null);
        assertThat(AccessLog.text(failed)).endsWith(" reason=TLS_HANDSHAKE_FAILED tls_error=no_certificate");
        assertThat(AccessLog.json(failed)).contains("\"reason\":\"TLS_HANDSHAKE_FAILED\",\"tls_error\":\"no_certificate\"}");
    }

    @Test
    void aSessionIsAnObjectInJsonAndPlaintextHasNeither() {
        AccessLog.Entry tls = new AccessLog.Entry("l", "::1", 4000, "p", "b", 1, 2, 3, 4, "CLIENT_CLOSED",
                new AccessLog.Tls("TLSv1.3", "TLS_AES_128_GCM_SHA256", "web.test", null, "CN=alice"), null, null);
        assertThat(AccessLog.json(tls)).contains("\"tls\":{\"version\":\"TLSv1.3\",\"cipher\":\"TLS_AES_128_GCM_SHA256\","
                + "\"sni\":\"web.test\",\"alpn\":null,\"client_cert\":\"CN=alice\"}").doesNotContain("tls_error");
        AccessLog.Entry plain = new AccessLog.Entry("l", "127.0.0.1", 4000, "p", "b", 1, 2, 3, 4, "CLIENT_CLOSED");
        assertThat(AccessLog.text(plain)).endsWith(" reason=CLIENT_CLOSED");
        assertThat(AccessLog.json(plain)).doesNotContain("tls");
    }

    @Test
    void aConnectionThatGotNoBackendSaysWhyItsLastConnectFailed() {
        AccessLog.Entry refused = new AccessLog.Entry("l", "127.0.0.1", 4000, "p", null, -1, 2, 0, 0,
                "CONNECT_FAILED", null, null, "connection refused");
        assertThat(AccessLog.text(refused)).endsWith(" reason=CONNECT_FAILED connect_error=\"connection refused\"");
        assertThat(AccessLog.json(refused)).endsWith("\"reason\":\"CONNECT_FAILED\",\"connect_error\":\"connection refused\"}");
    }
}
