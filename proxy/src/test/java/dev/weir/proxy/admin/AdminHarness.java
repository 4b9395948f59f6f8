package dev.weir.proxy.admin;

import com.fasterxml.jackson.databind.JsonNode;
import dev.weir.proxy.control.Weir;
import dev.weir.proxy.config.ConfigLoader;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;

/**
 * A real Weir (from inline YAML, on a Prometheus registry) with its admin endpoint, and an HTTP
 * client for it. Close it to stop both.
 */
final class AdminHarness implements AutoCloseable {

    final Weir weir;
    final PrometheusMeterRegistry prometheus;
    final AdminServer admin;
    // One client for all tests: Java 17's HttpClient has no close(), and each one keeps a selector thread.
    static final HttpClient HTTP = HttpClient.newBuilder()
            .version(HttpClient.Version.HTTP_1_1)
            .connectTimeout(Duration.ofSeconds(5))
            .build();
    private boolean weirClosed;

    private AdminHarness(Weir weir, PrometheusMeterRegistry prometheus, AdminServer admin) {
        this.weir = weir;
        this.prometheus = prometheus;
        this.admin = admin;
    }

    static AdminHarness start(String yaml, InetSocketAddress bind, String token) throws Exception {
        return start(yaml, bind, token, null, AdminServer.IDLE_TIMEOUT);
    }

    static AdminHarness start(String yaml, InetSocketAddress bind, String token, Path configFile,
                              Duration idleTimeout) throws Exception {
        PrometheusMeterRegistry prometheus = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
        Weir weir = Weir.start(ConfigLoader.parse(yaml, Map.of()), prometheus, configFile);
        try {
            return new AdminHarness(weir, prometheus, AdminServer.start(bind, token, weir, prometheus, idleTimeout));
        } catch (Exception | Error e) {
            weir.close();
            throw e;
        }
    }

    static InetSocketAddress loopback() {
        return new InetSocketAddress("127.0.0.1", 0);
    }

    /** listener "l" on 127.0.0.1:0 to pool "p" with the given backends and pool settings. */
    static String config(String poolExtra, String... backends) {
        StringBuilder sb = new StringBuilder();
        sb.append("event-loop-threads: 2\n");
        sb.append("listeners:\n  l:\n    bind: 127.0.0.1:0\n    pool: p\n");
        sb.append("pools:\n  p:\n");
        for (String line : poolExtra.split("\n")) {
            if (!line.isBlank()) {
                sb.append("    ").append(line).append('\n');
            }
        }
        sb.append("    backends:\n");
        for (String b : backends) {
            sb.append("      - ").append(b).append('\n');
        }
        sb.append("shutdown:\n  drain-timeout: 5s\n");
        return sb.toString();
    }

    URI uri(String path) {
        InetSocketAddress a = admin.address();
        return URI.create("http://127.0.0.1:" + a.getPort() + path);
    }

    HttpResponse<String> get(String path, String... headers) {
        HttpRequest.Builder b = HttpRequest.newBuilder(uri(path)).GET();
        return send(b, headers);
    }

    HttpResponse<String> post(String path, String body, String... headers) {
        HttpRequest.Builder b = HttpRequest.newBuilder(uri(path))
                .POST(body == null ? HttpRequest.BodyPublishers.noBody() : HttpRequest.BodyPublishers.ofString(body));
        return send(b, headers);
    }

    HttpResponse<String> delete(String path, String... headers) {
        return send(HttpRequest.newBuilder(uri(path)).DELETE(), headers);
    }

    HttpResponse<String> send(HttpRequest.Builder b, String... headers) {
        b.timeout(Duration.ofSeconds(20));
        for (int i = 0; i < headers.length; i += 2) {
            b.header(headers[i], headers[i + 1]);
        }
        try {
            return HTTP.send(b.build(), HttpResponse.BodyHandlers.ofString());
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }

    static JsonNode json(HttpResponse<String> r) {
        try {
            return ApiJson.MAPPER.readTree(r.body());
        } catch (IOException e) {
            throw new AssertionError("not JSON: " + r.body(), e);
        }
    }

    /** A backend's path segment: its id, percent-encoded. */
    static String seg(String id) {
        return AdminHandler.encode(id);
    }

    /** Sends raw bytes on a new connection (for headers HttpClient will not set) and reads to EOF. */
    String raw(String request) throws IOException {
        try (Socket s = new Socket()) {
            s.setSoTimeout(10_000);
            s.connect(admin.address(), 5_000);
            s.getOutputStream().write(request.getBytes(StandardCharsets.ISO_8859_1));
            s.getOutputStream().flush();
            return readAll(s.getInputStream());
        }
    }

    static String readAll(InputStream in) throws IOException {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        in.transferTo(out);
        return out.toString(StandardCharsets.ISO_8859_1);
    }

    /** Stops Weir now (a test that shut it down itself calls {@link #weirClosed()} first). */
    void weirClosed() {
        weirClosed = true;
    }

    @Override
    public void close() {
        try {
            admin.close();
        } finally {
            if (!weirClosed) {
                weir.close();
            }
            prometheus.close();
        }
    }
}
