package dev.weir.proxy;

import dev.weir.proxy.admin.AdminServer;
import dev.weir.proxy.control.Weir;
import dev.weir.proxy.metrics.ProxyMetrics;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
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

/**
 * Weir running in this JVM, started from a {@link TestConfig} through the real loader, with what tests ask of it:
 * a listener's address, a {@code whoami} round trip, its meters, and HTTP calls to its admin endpoint. Close it to
 * stop Weir, the admin endpoint a test started itself, and the meter registry. The packaged jar as a child process
 * is {@link WeirProcess}.
 */
public final class RunningWeir implements AutoCloseable {

    /** Starts an admin endpoint of the test's own (settings the config cannot give), on the running Weir. */
    @FunctionalInterface
    public interface AdminStart {
        AdminServer start(Weir weir, PrometheusMeterRegistry prometheus) throws Exception;
    }

    // One client for all tests: Java 17's HttpClient has no close(), and each one keeps a selector thread.
    public static final HttpClient HTTP = HttpClient.newBuilder()
            .version(HttpClient.Version.HTTP_1_1)
            .connectTimeout(Duration.ofSeconds(5))
            .build();

    private final Weir weir;
    private final PrometheusMeterRegistry prometheus;
    private final AdminServer ownAdmin;

    private RunningWeir(Weir weir, PrometheusMeterRegistry prometheus, AdminServer ownAdmin) {
        this.weir = weir;
        this.prometheus = prometheus;
        this.ownAdmin = ownAdmin;
    }

    public static Starter with(TestConfig config) {
        return new Starter(config);
    }

    /** How to start: from the config alone, or from a file that reloads re-read, with an admin endpoint of its own. */
    public static final class Starter {

        private final TestConfig config;
        private Path file;
        private AdminStart admin;

        private Starter(TestConfig config) {
            this.config = config;
        }

        /** Writes the config to {@code file} first; {@link Weir#reloadFromFile()} re-reads it. */
        public Starter file(Path file) {
            this.file = file;
            return this;
        }

        public Starter admin(AdminStart admin) {
            this.admin = admin;
            return this;
        }

        public RunningWeir start() throws Exception {
            PrometheusMeterRegistry prometheus = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
            Weir weir = null;
            try {
                if (file != null) {
                    config.writeTo(file);
                }
                weir = Weir.start(config.config(), prometheus, file);
                return new RunningWeir(weir, prometheus, admin == null ? null : admin.start(weir, prometheus));
            } catch (Exception | Error e) {
                if (weir != null) {
                    weir.close();
                }
                prometheus.close();
                throw e;
            }
        }
    }

    /** The product's own API: reload, drain, pools, shutdown. */
    public Weir weir() {
        return weir;
    }

    public ProxyMetrics metrics() {
        return weir.metrics();
    }

    /** The registry the admin endpoint scrapes, holding every meter of this Weir. */
    public MeterRegistry registry() {
        return prometheus;
    }

    public PrometheusMeterRegistry prometheus() {
        return prometheus;
    }

    /** Listener {@code l}'s address. */
    public InetSocketAddress address() {
        return address("l");
    }

    public InetSocketAddress address(String listener) {
        return weir.listenerAddress(listener);
    }

    /** A new client connection to listener {@code l}. */
    public Socket connect() throws IOException {
        return Sockets.connect(address());
    }

    public Socket connect(String listener) throws IOException {
        return Sockets.connect(address(listener));
    }

    /** Sends {@code whoami\n} on a new connection to listener {@code l} and returns the backend's name. */
    public String whoami() throws IOException {
        return whoami("l");
    }

    public String whoami(String listener) throws IOException {
        try (Socket s = connect(listener)) {
            return Sockets.whoami(s);
        }
    }

    /** The sum of a meter's counters over every tag set that has the given {@code key, value} tags. */
    public double counted(String meter, String... tags) {
        return registry().find(meter).tags(tags).counters().stream().mapToDouble(Counter::count).sum();
    }

    // ---- the admin endpoint ----

    /** The admin endpoint's address: the test's own when it started one, else the config's. */
    public InetSocketAddress adminAddress() {
        InetSocketAddress a = ownAdmin != null ? ownAdmin.address() : weir.adminAddress();
        if (a == null) {
            throw new IllegalStateException("no admin endpoint: the config says admin.bind: off");
        }
        return a;
    }

    public URI uri(String path) {
        return URI.create("http://127.0.0.1:" + adminAddress().getPort() + path);
    }

    /** GET with headers given as name, value, name, value... */
    public HttpResponse<String> get(String path, String... headers) {
        return send(HttpRequest.newBuilder(uri(path)).GET(), headers);
    }

    /** POST; a null body sends none. */
    public HttpResponse<String> post(String path, String body, String... headers) {
        return send(HttpRequest.newBuilder(uri(path))
                .POST(body == null ? HttpRequest.BodyPublishers.noBody() : HttpRequest.BodyPublishers.ofString(body)),
                headers);
    }

    public HttpResponse<String> delete(String path, String... headers) {
        return send(HttpRequest.newBuilder(uri(path)).DELETE(), headers);
    }

    public HttpResponse<String> send(HttpRequest.Builder b, String... headers) {
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

    /** Sends raw bytes to the admin endpoint on a new connection (for headers HttpClient will not set); reads to EOF. */
    public String raw(String request) throws IOException {
        try (Socket s = new Socket()) {
            s.setSoTimeout(10_000);
            s.connect(adminAddress(), 5_000);
            s.getOutputStream().write(request.getBytes(StandardCharsets.ISO_8859_1));
            s.getOutputStream().flush();
            ByteArrayOutputStream out = new ByteArrayOutputStream();
            s.getInputStream().transferTo(out);
            return out.toString(StandardCharsets.ISO_8859_1);
        }
    }

    /** Stops the admin endpoint the test started, then Weir (at once: a test that shut it down itself is done), then the registry. */
    @Override
    public void close() {
        try {
            if (ownAdmin != null) {
                ownAdmin.close();
            }
        } finally {
            try {
                weir.close();
            } finally {
                prometheus.close();
            }
        }
    }
}
