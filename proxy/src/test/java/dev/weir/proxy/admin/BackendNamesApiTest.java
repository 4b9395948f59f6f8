package dev.weir.proxy.admin;

import static dev.weir.proxy.admin.AdminCalls.json;
import static dev.weir.proxy.admin.AdminCalls.seg;
import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import dev.weir.proxy.RunningWeir;
import dev.weir.proxy.TestConfig;
import dev.weir.sample.BackendSample;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * A backend with a {@code name} is shown by it ({@code id} and {@code name}) and answers in API paths to its name and
 * to its {@code host:port}; a name that matches nothing is a 404 naming it.
 */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class BackendNamesApiTest {

    private static BackendSample a;
    private static BackendSample b;

    @TempDir
    Path dir;

    @BeforeAll
    static void start() throws Exception {
        a = BackendSample.start("a", "127.0.0.1", 0, null);
        b = BackendSample.start("b", "127.0.0.1", 0, null);
    }

    @AfterAll
    static void stop() {
        a.close();
        b.close();
    }

    private static TestConfig config() {
        return TestConfig.to(TestConfig.map("address", TestConfig.local(a.port()), "name", "alpha"),
                TestConfig.local(b.port())).admin(null);
    }

    private static String path(String id) {
        return "/api/v1/pools/p/backends/" + seg(id);
    }

    @Test
    void aNamedBackendIsShownByItsNameAndAnswersToItAndToItsAddress() throws Exception {
        try (RunningWeir h = config().start()) {
            JsonNode byName = json(h.get(path("alpha")));
            assertThat(byName.get("id").asText()).isEqualTo("alpha");
            assertThat(byName.get("name").asText()).isEqualTo("alpha");
            assertThat(byName.get("address").asText()).isEqualTo(TestConfig.local(a.port()));
            HttpResponse<String> byAddress = h.get(path(TestConfig.local(a.port())));
            assertThat(byAddress.statusCode()).as(byAddress.body()).isEqualTo(200);
            assertThat(json(byAddress).get("id").asText()).isEqualTo("alpha");

            JsonNode unnamed = json(h.get(path(TestConfig.local(b.port()))));
            assertThat(unnamed.get("id").asText()).isEqualTo(TestConfig.local(b.port()));
            assertThat(unnamed.get("name").isNull()).isTrue();

            HttpResponse<String> drained = h.post(path(TestConfig.local(a.port())) + "/drain", null);
            assertThat(drained.statusCode()).as(drained.body()).isEqualTo(200);
            assertThat(json(drained).get("id").asText()).isEqualTo("alpha");
            assertThat(json(h.get(path("alpha"))).get("state").asText()).isEqualTo("DRAINING");
            assertThat(h.post(path("alpha") + "/enable", null).statusCode()).isEqualTo(200);
            assertThat(json(h.get(path(TestConfig.local(a.port())))).get("state").asText()).isEqualTo("UP");
        }
    }

    @Test
    void aNameThatMatchesNothingIsA404NamingIt() throws Exception {
        try (RunningWeir h = config().start()) {
            for (HttpResponse<String> r : new HttpResponse[] {h.get(path("zulu")), h.post(path("zulu") + "/drain", null)}) {
                assertThat(r.statusCode()).as(r.body()).isEqualTo(404);
                assertThat(json(r).get("detail").asText()).contains("\"zulu\"", "pool \"p\"");
            }
        }
    }

    @Test
    void aChangeByAddressIsOverriddenByTheFileUnderTheBackendsName() throws Exception {
        try (RunningWeir h = RunningWeir.with(config()).file(dir.resolve("weir.yaml")).start()) {
            assertThat(h.post(path(TestConfig.local(a.port())) + "/disable", null).statusCode()).isEqualTo(200);
            HttpResponse<String> reload = h.post("/api/v1/reload", null);
            assertThat(reload.statusCode()).as(reload.body()).isEqualTo(200);
            assertThat(json(reload).get("overridden").toString()).isEqualTo("[\"p/alpha\"]");
            assertThat(json(h.get(path("alpha"))).get("state").asText()).isEqualTo("UP");
        }
    }

    @Test
    void anAddedBackendsNameFollowsTheConfigsRuleSoThatItNeverReadsAsAnAddress() throws Exception {
        try (RunningWeir h = config().start()) {
            HttpResponse<String> r = h.post("/api/v1/pools/p/backends",
                    "{\"address\": \"127.0.0.1:1\", \"name\": \"" + TestConfig.local(b.port()) + "\"}");
            assertThat(r.statusCode()).as(r.body()).isEqualTo(400);
            assertThat(json(r).get("detail").asText()).startsWith("name: \"127.0.0.1:")
                    .contains("(expected: a name made of A-Z a-z 0-9 . _ -)");
            HttpResponse<String> ok = h.post("/api/v1/pools/p/backends", "{\"address\": \"127.0.0.1:1\", \"name\": \"delta\"}");
            assertThat(ok.statusCode()).as(ok.body()).isEqualTo(201);
            assertThat(h.get(path("127.0.0.1:1")).statusCode()).isEqualTo(200);
        }
    }
}
