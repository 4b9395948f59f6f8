package dev.weir.proxy.admin;

import static dev.weir.proxy.admin.AdminCalls.json;
import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import dev.weir.proxy.RunningWeir;
import dev.weir.proxy.TestConfig;
import dev.weir.proxy.api.ReloadResult;
import dev.weir.proxy.tls.TestPki;
import dev.weir.sample.BackendSample;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code GET /api/v1/certificates} over real HTTP: every certificate the proxy presents, with its expiry, and those
 * that expire within 30 days (or have expired) flagged for the status page.
 */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class CertificatesApiTest {

    @TempDir
    Path dir;

    private static Map<String, Object> cert(TestPki.Files2 f) {
        return TestConfig.map("cert", f.cert().toString(), "key", f.key().toString());
    }

    private static JsonNode entry(JsonNode answer, String usedBy) {
        for (JsonNode c : answer.get("certificates")) {
            if (c.get("used_by").asText().equals(usedBy)) {
                return c;
            }
        }
        throw new AssertionError("no certificate used by " + usedBy + " in " + answer);
    }

    @Test
    void listsServedAndClientCertificatesFlagsThoseThatExpireWithin30DaysAndFollowsARenewal() throws Exception {
        TestPki.Issued ca = TestPki.ca("weir test ca");
        TestPki.Issued year = ca.issue("year.test", Duration.ofDays(365), "year.test");
        TestPki.Issued soon = ca.issue("soon.test", Duration.ofDays(10), "soon.test");
        TestPki.Issued expired = ca.issueExpired("weir client");
        TestPki.Files2 yearFiles = year.write(dir, "year");
        TestPki.Files2 soonFiles = soon.write(dir, "soon");
        TestPki.Files2 clientFiles = expired.write(dir, "client");
        try (BackendSample echo = BackendSample.start("e", "127.0.0.1", 0, null)) {
            TestConfig config = TestConfig.to(TestConfig.local(echo.port()))
                    .listener("plain", "p")
                    .set("listeners.l.tls.certificates", List.of(cert(yearFiles), cert(soonFiles)))
                    .set("pools.p.tls", TestConfig.map("ca", ca.writeCert(dir.resolve("ca.pem")).toString(),
                            "cert", clientFiles.cert().toString(), "key", clientFiles.key().toString()))
                    .admin(null);
            try (RunningWeir h = config.start()) {
                HttpResponse<String> r = h.get("/api/v1/certificates");
                assertThat(r.statusCode()).as(r.body()).isEqualTo(200);
                JsonNode answer = json(r);
                assertThat(answer.get("warning_days").asInt()).isEqualTo(30);
                assertThat(answer.get("certificates")).as("the plaintext listener serves none").hasSize(3);

                JsonNode y = entry(answer, "listeners.l.tls.certificates[0]");
                assertThat(y.get("listener").asText()).isEqualTo("l");
                assertThat(y.get("pool").isNull()).isTrue();
                assertThat(y.get("path").asText()).isEqualTo(yearFiles.cert().toString());
                assertThat(y.get("subject").asText()).isEqualTo("CN=year.test");
                assertThat(y.get("serial").asText()).isEqualTo(year.serial().toString(16));
                assertThat(y.get("not_after").asText()).isEqualTo(year.cert().getNotAfter().toInstant().toString());
                assertThat(y.get("days_left").asLong()).isBetween(364L, 365L);
                assertThat(y.get("expires_soon").asBoolean()).isFalse();
                assertThat(y.get("expired").asBoolean()).isFalse();

                JsonNode s = entry(answer, "listeners.l.tls.certificates[1]");
                assertThat(s.get("path").asText()).isEqualTo(soonFiles.cert().toString());
                assertThat(s.get("subject").asText()).isEqualTo("CN=soon.test");
                assertThat(s.get("not_after_ms").asLong()).isEqualTo(soon.cert().getNotAfter().getTime());
                assertThat(s.get("days_left").asLong()).isBetween(9L, 10L);
                assertThat(s.get("expires_soon").asBoolean()).isTrue();
                assertThat(s.get("expired").asBoolean()).isFalse();

                JsonNode c = entry(answer, "pools.p.tls.cert");
                assertThat(c.get("pool").asText()).isEqualTo("p");
                assertThat(c.get("listener").isNull()).isTrue();
                assertThat(c.get("path").asText()).isEqualTo(clientFiles.cert().toString());
                assertThat(c.get("subject").asText()).isEqualTo("CN=weir client");
                assertThat(c.get("days_left").asLong()).isNegative();
                assertThat(c.get("expired").asBoolean()).isTrue();
                assertThat(c.get("expires_soon").asBoolean()).isTrue();

                // Renewed in place: a reload loads the new file, and the API shows what is served now.
                TestPki.Issued renewed = ca.issue("soon.test", Duration.ofDays(90), "soon.test");
                renewed.write(dir, "soon");
                assertThat(h.weir().reload(config.config()).outcome()).isEqualTo(ReloadResult.Outcome.RELOADED);
                JsonNode after = entry(json(h.get("/api/v1/certificates")), "listeners.l.tls.certificates[1]");
                assertThat(after.get("serial").asText()).isEqualTo(renewed.serial().toString(16));
                assertThat(after.get("days_left").asLong()).isBetween(89L, 90L);
                assertThat(after.get("expires_soon").asBoolean()).isFalse();
            }
        }
    }

    @Test
    void withoutTlsTheListIsEmpty() throws Exception {
        try (BackendSample echo = BackendSample.start("e", "127.0.0.1", 0, null);
             RunningWeir h = TestConfig.to(TestConfig.local(echo.port())).admin(null).start()) {
            JsonNode answer = json(h.get("/api/v1/certificates"));
            assertThat(answer.get("certificates")).isEmpty();
        }
    }
}
