package dev.weir.it;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;

import java.io.IOException;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.Map;

/** Weir's admin endpoint on 127.0.0.1, as an operator's script uses it. */
final class Admin {

    private static final ObjectMapper JSON = new ObjectMapper();

    private final int port;
    private final String token;
    private final HttpClient http = HttpClient.newBuilder()
            .version(HttpClient.Version.HTTP_1_1).connectTimeout(Duration.ofSeconds(2)).build();

    Admin(int port, String token) {
        this.port = port;
        this.token = token;
    }

    /** The status of a GET, or -1 when nothing answers. */
    int status(String path) {
        try {
            return http.send(request(path).GET().build(), HttpResponse.BodyHandlers.discarding()).statusCode();
        } catch (IOException e) {
            return -1;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return -1;
        }
    }

    String text(String path) {
        return send(request(path).GET().build(), 200);
    }

    JsonNode get(String path) {
        return parse(send(request(path).GET().build(), 200));
    }

    /** A POST with the bearer token; expects 200. */
    JsonNode post(String path) {
        return parse(send(request(path).header("Authorization", "Bearer " + token)
                .POST(HttpRequest.BodyPublishers.noBody()).build(), 200));
    }

    JsonNode pool(String pool) {
        return get("/api/v1/pools/" + enc(pool));
    }

    /** The pool's backends as id -> JSON, in the API's order. */
    Map<String, JsonNode> backends(String pool) {
        Map<String, JsonNode> out = new LinkedHashMap<>();
        for (JsonNode b : pool(pool).path("backends")) {
            out.put(b.path("id").asText(), b);
        }
        return out;
    }

    /** id -> state (UP, DOWN, DRAINING, DISABLED). */
    Map<String, String> states(String pool) {
        Map<String, String> out = new LinkedHashMap<>();
        backends(pool).forEach((id, b) -> out.put(id, b.path("state").asText()));
        return out;
    }

    JsonNode backend(String pool, String id) {
        JsonNode b = backends(pool).get(id);
        if (b == null) {
            throw new AssertionError("no backend " + id + " in pool " + pool + ": " + backends(pool).keySet());
        }
        return b;
    }

    String state(String pool, String id) {
        return backend(pool, id).path("state").asText();
    }

    JsonNode drain(String pool, String id) {
        return post("/api/v1/pools/" + enc(pool) + "/backends/" + enc(id) + "/drain");
    }

    private HttpRequest.Builder request(String path) {
        return HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + path)).timeout(Duration.ofSeconds(10));
    }

    private String send(HttpRequest request, int expected) {
        try {
            HttpResponse<String> r = http.send(request, HttpResponse.BodyHandlers.ofString());
            if (r.statusCode() != expected) {
                throw new AssertionError(request.method() + " " + request.uri().getPath() + ": " + r.statusCode() + " "
                        + r.body());
            }
            return r.body();
        } catch (IOException e) {
            throw new AssertionError(request.method() + " " + request.uri() + ": " + e, e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new AssertionError("interrupted", e);
        }
    }

    private static JsonNode parse(String body) {
        try {
            return JSON.readTree(body);
        } catch (IOException e) {
            throw new AssertionError("not JSON: " + body, e);
        }
    }

    private static String enc(String s) {
        return URLEncoder.encode(s, StandardCharsets.UTF_8).replace("+", "%20");
    }
}
