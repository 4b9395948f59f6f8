package dev.weir.proxy;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code weir demo} as a process when its ports are taken, and on SIGHUP. Its defaults (8080, 8081, 8405) are not
 * the test's to take: each test runs config/demo.yaml with those defaults replaced by ports it holds.
 */
@Timeout(value = 120, unit = TimeUnit.SECONDS)
class DemoProcessIT {

    @TempDir
    Path dir;

    /** config/demo.yaml, its three default addresses replaced. */
    private Path demoConfig(String web, String sticky, String admin) throws IOException {
        String yaml = Files.readString(Path.of("../config/demo.yaml"));
        for (String[] r : new String[][] {{"127.0.0.1:8080", web}, {"127.0.0.1:8081", sticky}, {"127.0.0.1:8405", admin}}) {
            assertThat(yaml).contains(":-" + r[0] + "}");
            yaml = yaml.replace(":-" + r[0] + "}", ":-" + r[1] + "}");
        }
        Path file = dir.resolve("demo.yaml");
        Files.writeString(file, yaml);
        return file;
    }

    private static ServerSocket hold() throws IOException {
        return new ServerSocket(0, 50, InetAddress.getLoopbackAddress());
    }

    @Test
    void takenDefaultPortsMoveToFreeOnesThatTheDemoPrints() throws Exception {
        try (ServerSocket web = hold(); ServerSocket admin = hold()) {
            String webDefault = "127.0.0.1:" + web.getLocalPort();
            String adminDefault = "127.0.0.1:" + admin.getLocalPort();
            Path cfg = demoConfig(webDefault, "127.0.0.1:0", adminDefault);
            try (WeirProcess demo = WeirProcess.start(Map.of(), "demo", "-c", cfg.toString())) {
                int port = Integer.parseInt(demo.awaitGroup("The default address of listener demo, "
                        + webDefault + ", is taken: it took 127.0.0.1:(\\d+) instead \\(WEIR_DEMO_BIND sets it\\)\\.",
                        Duration.ofSeconds(30)));
                int adminPort = Integer.parseInt(demo.awaitGroup("The default address of the admin endpoint, "
                        + adminDefault + ", is taken: it took 127.0.0.1:(\\d+) instead \\(WEIR_DEMO_ADMIN_BIND sets it\\)\\.",
                        Duration.ofSeconds(5)));
                assertThat(demo.output()).doesNotContain("WEIR_DEMO_STICKY_BIND");
                assertThat(port).isNotEqualTo(web.getLocalPort()).isEqualTo(demo.listenerPort("demo"));
                assertThat(whoami(port)).isIn("alpha", "bravo", "charlie");
                HttpResponse<String> health = HttpClient.newHttpClient().send(
                        HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + adminPort + "/healthz")).build(),
                        HttpResponse.BodyHandlers.ofString());
                assertThat(health.statusCode()).isEqualTo(200);
                demo.signal("TERM");
                assertThat(demo.process().waitFor(30, TimeUnit.SECONDS)).isTrue();
                assertThat(demo.process().exitValue()).as(demo.output()).isZero();
            }
        }
    }

    /** An address the user chose is not moved: the demo stops before binding anything, naming the variable. */
    @Test
    void aTakenAddressThatWasSetIsAnErrorNamingItsVariable() throws Exception {
        try (ServerSocket admin = hold()) {
            String taken = "127.0.0.1:" + admin.getLocalPort();
            Map<String, String> env = Map.of("WEIR_DEMO_BIND", "127.0.0.1:0", "WEIR_DEMO_STICKY_BIND", "127.0.0.1:0",
                    "WEIR_DEMO_ADMIN_BIND", taken);
            try (WeirProcess demo = WeirProcess.start(env, "demo")) {
                assertThat(demo.process().waitFor(30, TimeUnit.SECONDS)).isTrue();
                assertThat(demo.process().exitValue()).as(demo.output()).isEqualTo(1);
                demo.awaitGroup("(weir demo: WEIR_DEMO_ADMIN_BIND=" + taken + ": cannot bind " + taken
                        + " \\(Address already in use\\); set WEIR_DEMO_ADMIN_BIND to another address, or unset it"
                        + " to take a free port)", Duration.ofSeconds(5));
                assertThat(demo.output()).doesNotContain("listener bound");
            }
        }
    }

    /** SIGHUP used to end the demo with status 129 and no word: it is logged, and the demo serves on. */
    @Test
    void sighupIsLoggedAndTheDemoServesOn() throws Exception {
        Map<String, String> env = Map.of("WEIR_DEMO_BIND", "127.0.0.1:0", "WEIR_DEMO_STICKY_BIND", "127.0.0.1:0",
                "WEIR_DEMO_ADMIN_BIND", "off");
        try (WeirProcess demo = WeirProcess.start(env, "demo")) {
            int port = demo.listenerPort("demo");
            demo.awaitGroup("(Weir demo is running)", Duration.ofSeconds(30));
            demo.signal("HUP");
            demo.awaitGroup("signal received signal=SIGHUP action=(none) \\(no config file to reload",
                    Duration.ofSeconds(10));
            assertThat(demo.process().isAlive()).isTrue();
            assertThat(whoami(port)).isIn("alpha", "bravo", "charlie");
            demo.signal("TERM");
            assertThat(demo.process().waitFor(30, TimeUnit.SECONDS)).isTrue();
            assertThat(demo.process().exitValue()).as(demo.output()).isZero();
        }
    }

    private static String whoami(int port) throws IOException {
        try (Socket s = Sockets.connect(new InetSocketAddress("127.0.0.1", port))) {
            return Sockets.whoami(s);
        }
    }
}
