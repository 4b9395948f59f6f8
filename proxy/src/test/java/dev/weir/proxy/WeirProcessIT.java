package dev.weir.proxy;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import dev.weir.proxy.control.Weir;
import dev.weir.sample.BackendSample;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.time.Duration;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/** The packaged weir.jar as a process: signals, exit codes, the demo. */
@Timeout(value = 120, unit = TimeUnit.SECONDS)
class WeirProcessIT {

    private static BackendSample echo;

    @TempDir
    Path dir;

    @BeforeAll
    static void backend() throws Exception {
        echo = BackendSample.start("echo", "127.0.0.1", 0, null);
    }

    @AfterAll
    static void stop() {
        echo.close();
    }

    private Path config(String drainTimeout) throws IOException {
        return config(drainTimeout, "auto");
    }

    private Path config(String drainTimeout, String transport) throws IOException {
        Path cfg = dir.resolve("weir.yaml");
        Files.writeString(cfg, """
                transport: %s
                admin: {bind: 127.0.0.1:0}
                listeners:
                  web:
                    bind: 127.0.0.1:0
                    pool: web
                pools:
                  web:
                    backends: [127.0.0.1:%d]
                shutdown:
                  drain-timeout: %s
                """.formatted(transport, echo.port(), drainTimeout));
        return cfg;
    }

    static Stream<String> autoAndNativeTransports() {
        return Stream.concat(Stream.of("auto"), TransportsSource.available().filter(t -> !t.equals("nio")));
    }

    /**
     * On every native transport: the client's FIN often arrives while Weir has paused reading it,
     * which with Netty 4.2.18's epoll used to cost the end of the echo about half the time (docs/operations.md,
     * "Epoll and half-closed connections").
     */
    @ParameterizedTest
    @MethodSource("autoAndNativeTransports")
    void sigtermLetsATransferInFlightCompleteThenExits0(String transport) throws Exception {
        try (WeirProcess weir = WeirProcess.start(Map.of(), "run", "-c", config("30s", transport).toString())) {
            int port = weir.listenerPort("web");
            byte[] data = new byte[16 << 20];
            new Random(7).nextBytes(data);
            data[0] = 'x';
            for (int i = 1; i < data.length; i++) {
                if (data[i - 1] == '\n' && data[i] == 'w') {
                    data[i] = 'x';
                }
            }
            try (Socket s = Sockets.connect(new InetSocketAddress("127.0.0.1", port))) {
                AtomicLong received = new AtomicLong();
                CompletableFuture<byte[]> reader = CompletableFuture.supplyAsync(() -> {
                    try {
                        MessageDigest md = MessageDigest.getInstance("SHA-256");
                        InputStream in = s.getInputStream();
                        byte[] buf = new byte[64 * 1024];
                        int n;
                        while ((n = in.read(buf)) != -1) {
                            md.update(buf, 0, n);
                            received.addAndGet(n);
                        }
                        return md.digest();
                    } catch (Exception e) {
                        throw new IllegalStateException(e);
                    }
                });
                OutputStream out = s.getOutputStream();
                int half = data.length / 2;
                out.write(data, 0, half);
                await().until(() -> received.get() > 0);
                weir.signal("TERM");
                weir.awaitGroup("(shutdown started)", Duration.ofSeconds(10));
                // New clients are refused once shutdown started, while the transfer goes on.
                assertThatThrownBy(() -> new Socket("127.0.0.1", port).close()).isInstanceOf(IOException.class);
                out.write(data, half, data.length - half);
                s.shutdownOutput();
                byte[] got = reader.get(60, TimeUnit.SECONDS);
                assertThat(received.get()).isEqualTo(data.length);
                assertThat(got).isEqualTo(MessageDigest.getInstance("SHA-256").digest(data));
            }
            assertThat(weir.process().waitFor(30, TimeUnit.SECONDS)).isTrue();
            assertThat(weir.process().exitValue()).as(weir.output()).isZero();
            assertThat(weir.output()).contains("shutdown complete closed_at_deadline=0");
        }
    }

    /**
     * The same over a terminating listener: the TLS transfer in flight finishes byte-exact during the drain, new
     * clients are refused, and Weir exits 0. (The client reads the whole echo, then closes: it does not half-close,
     * which a TLS 1.3 client's close_notify would make a full close, docs/tls.md.)
     */
    @Test
    void sigtermLetsATlsTransferInFlightCompleteThenExits0() throws Exception {
        dev.weir.proxy.tls.TestPki.Issued ca = dev.weir.proxy.tls.TestPki.ca("process ca");
        dev.weir.proxy.tls.TestPki.Files2 web = ca.issue("web.test", "web.test").write(dir, "web");
        Path cfg = dir.resolve("weir.yaml");
        Files.writeString(cfg, """
                admin: {bind: 127.0.0.1:0}
                listeners:
                  web:
                    bind: 127.0.0.1:0
                    pool: web
                    tls:
                      certificates: [{cert: "%s", key: "%s"}]
                pools:
                  web:
                    backends: [127.0.0.1:%d]
                shutdown:
                  drain-timeout: 30s
                """.formatted(web.cert(), web.key(), echo.port()));
        try (WeirProcess weir = WeirProcess.start(Map.of(), "run", "-c", cfg.toString())) {
            int port = weir.listenerPort("web");
            byte[] data = new byte[16 << 20];
            Sockets.pseudoRandom(data, 7);
            for (int i = 0; i < data.length; i++) {
                if (data[i] == '\n') {
                    data[i] = 'n'; // no line can start with "whoami": every byte is echoed
                }
            }
            javax.net.ssl.SSLSocket s = (javax.net.ssl.SSLSocket) dev.weir.proxy.tls.TestPki.client(ca, null)
                    .getSocketFactory().createSocket();
            try (s) {
                s.setSoTimeout(30_000);
                s.connect(new InetSocketAddress("127.0.0.1", port), 5_000);
                javax.net.ssl.SSLParameters p = s.getSSLParameters();
                p.setServerNames(List.of(new javax.net.ssl.SNIHostName("web.test")));
                s.setSSLParameters(p);
                s.startHandshake();
                AtomicLong received = new AtomicLong();
                CompletableFuture<byte[]> reader = CompletableFuture.supplyAsync(() -> {
                    try {
                        MessageDigest md = MessageDigest.getInstance("SHA-256");
                        InputStream in = s.getInputStream();
                        byte[] buf = new byte[64 * 1024];
                        for (int n; received.get() < data.length && (n = in.read(buf)) != -1; ) {
                            md.update(buf, 0, n);
                            received.addAndGet(n);
                        }
                        return md.digest();
                    } catch (Exception e) {
                        throw new IllegalStateException(e);
                    }
                });
                OutputStream out = s.getOutputStream();
                int half = data.length / 2;
                out.write(data, 0, half);
                await().until(() -> received.get() > 0);
                weir.signal("TERM");
                weir.awaitGroup("(shutdown started)", Duration.ofSeconds(10));
                assertThatThrownBy(() -> new Socket("127.0.0.1", port).close()).isInstanceOf(IOException.class);
                out.write(data, half, data.length - half);
                out.flush();
                assertThat(reader.get(60, TimeUnit.SECONDS)).isEqualTo(MessageDigest.getInstance("SHA-256").digest(data));
                assertThat(received.get()).isEqualTo(data.length);
                assertThat(weir.process().isAlive()).as("still draining while the client is connected").isTrue();
            }
            assertThat(weir.process().waitFor(30, TimeUnit.SECONDS)).isTrue();
            assertThat(weir.process().exitValue()).as(weir.output()).isZero();
            assertThat(weir.output()).contains("shutdown complete closed_at_deadline=0");
        }
    }

    @Test
    void withTheJdkProviderAClientsRenegotiationIsRefused() throws Exception {
        dev.weir.proxy.tls.TestPki.Issued ca = dev.weir.proxy.tls.TestPki.ca("renegotiation ca");
        dev.weir.proxy.tls.TestPki.Files2 web = ca.issue("web.test", "web.test").write(dir, "reneg");
        Path cfg = dir.resolve("reneg.yaml");
        Files.writeString(cfg, """
                tls-provider: jdk
                admin: {bind: off}
                listeners:
                  web:
                    bind: 127.0.0.1:0
                    pool: web
                    tls:
                      certificates: [{cert: "%s", key: "%s"}]
                      protocols: [TLSv1.2]
                pools:
                  web:
                    backends: [127.0.0.1:%d]
                """.formatted(web.cert(), web.key(), echo.port()));
        try (WeirProcess weir = WeirProcess.start(Map.of(), "run", "-c", cfg.toString())) {
            int port = weir.listenerPort("web");
            javax.net.ssl.SSLSocket s = (javax.net.ssl.SSLSocket) dev.weir.proxy.tls.TestPki.client(ca, null)
                    .getSocketFactory().createSocket();
            try (s) {
                s.setSoTimeout(10_000);
                s.connect(new InetSocketAddress("127.0.0.1", port), 5_000);
                javax.net.ssl.SSLParameters p = s.getSSLParameters();
                p.setServerNames(List.of(new javax.net.ssl.SNIHostName("web.test")));
                p.setProtocols(new String[] {"TLSv1.2"});
                s.setSSLParameters(p);
                s.startHandshake();
                s.getOutputStream().write("hi\n".getBytes(java.nio.charset.StandardCharsets.US_ASCII));
                s.getOutputStream().flush();
                assertThat(Sockets.readLine(s.getInputStream())).isEqualTo("hi");
                // A second handshake on the same connection: refused with an alert, not carried out.
                assertThatThrownBy(() -> {
                    s.startHandshake();
                    s.getOutputStream().write("again\n".getBytes(java.nio.charset.StandardCharsets.US_ASCII));
                    s.getOutputStream().flush();
                    if (s.getInputStream().read() == -1) {
                        throw new java.io.EOFException("closed");
                    }
                }).isInstanceOf(IOException.class);
            }
            weir.signal("TERM");
            assertThat(weir.process().waitFor(30, TimeUnit.SECONDS)).isTrue();
        }
    }

    @Test
    void theLauncherRunsWeirWithItsFlagsAndAClassArchiveFromTheSecondStartOn() throws Exception {
        Path cache = dir.resolve("cache");
        Map<String, String> env = Map.of("XDG_CACHE_HOME", cache.toString());
        String cfg = config("1s").toString();
        for (int start = 1; start <= 2; start++) {
            try (WeirProcess weir = WeirProcess.launch(env, "run", "-c", cfg)) {
                int port = weir.listenerPort("web");
                try (Socket s = connect(port)) {
                    assertThat(Sockets.whoami(s)).isEqualTo("echo");
                }
                List<String> cmd = weir.commandLine();
                assertThat(cmd).contains("-XX:MaxRAMPercentage=35", "-XX:+ExitOnOutOfMemoryError",
                        "-Dio.netty.leakDetection.level=paranoid");
                assertThat(cmd).contains("-XX:+UseParallelGC");
                if (start == 2) {
                    // The archive the first run wrote at its exit (Java 17, 25) or that the JVM keeps (19-24).
                    assertThat(cmd).anyMatch(f -> f.startsWith("-XX:SharedArchiveFile=" + cache.resolve("weir"))
                            || f.startsWith("-XX:AOTCache=" + cache.resolve("weir")));
                    assertThat(weir.mappedFiles()).contains(cache.resolve("weir").toString());
                }
                weir.signal("TERM");
                assertThat(weir.process().waitFor(30, TimeUnit.SECONDS)).isTrue();
                assertThat(weir.process().exitValue()).as(weir.output()).isZero();
            }
            try (var files = Files.list(cache.resolve("weir"))) {
                assertThat(files.map(f -> f.getFileName().toString()).toList())
                        .as("after start " + start).singleElement().asString().matches("weir-\\d+-\\d+-\\d+\\.(jsa|aot)");
            }
        }
    }

    private static Socket connect(int port) throws IOException {
        return Sockets.connect(new InetSocketAddress("127.0.0.1", port));
    }

    @Test
    void aSecondSignalExitsAtOnce() throws Exception {
        try (WeirProcess weir = WeirProcess.start(Map.of(), "run", "-c", config("5m").toString())) {
            int port = weir.listenerPort("web");
            try (Socket idle = Sockets.connect(new InetSocketAddress("127.0.0.1", port))) {
                assertThat(Sockets.whoami(idle)).isEqualTo("echo");
                weir.signal("TERM");
                weir.awaitGroup("(shutdown started)", Duration.ofSeconds(10));
                assertThat(weir.process().isAlive()).as("draining the idle connection").isTrue();
                weir.signal("INT");
                assertThat(weir.process().waitFor(10, TimeUnit.SECONDS)).isTrue();
                assertThat(weir.process().exitValue()).isEqualTo(1);
            }
        }
    }

    /** Under nohup SIGHUP stays ignored (the JVM cannot take it over): Weir says so at start. */
    @Test
    void anInheritedIgnoredSignalIsReportedAtStart() throws Exception {
        try (WeirProcess weir = WeirProcess.startUnder(List.of("nohup"), "run", "-c", config("1s").toString())) {
            weir.listenerPort("web");
            weir.awaitGroup("signal ignored signal=SIG(HUP)", Duration.ofSeconds(10));
            assertThat(weir.output()).doesNotContain("signal=SIGTERM (this process");
            weir.signal("TERM");
            assertThat(weir.process().waitFor(30, TimeUnit.SECONDS)).isTrue();
            assertThat(weir.process().exitValue()).as(weir.output()).isZero();
        }
    }

    /**
     * A running proxy samples no buffers for leaks unless the operator sets a level (the tests run paranoid), and its
     * epoll loops do not spin unless asked; the start lines say both.
     */
    @Test
    void theStartLinesSayTheLeakLevelAndTheSpinInEffect() throws Exception {
        Path cfg = config("1s", "epoll");
        try (WeirProcess weir = WeirProcess.startAsDeployed(List.of(), "run", "-c", cfg.toString())) {
            assertThat(weir.awaitGroup("weir ready .* leak_detection=(\\S+)", Duration.ofSeconds(30))).isEqualTo("disabled");
            assertThat(weir.awaitGroup("transport chosen transport=epoll requested=epoll event_loop_spin=(\\S+)",
                    Duration.ofSeconds(5))).as("off by default").isEqualTo("off");
        }
        Path spinning = config("1s", "epoll");
        Files.writeString(spinning, "event-loop-spin: 20us\n" + Files.readString(spinning));
        try (WeirProcess weir = WeirProcess.startAsDeployed(List.of(), "run", "-c", spinning.toString())) {
            assertThat(weir.awaitGroup("transport chosen transport=epoll requested=epoll event_loop_spin=(\\S+)",
                    Duration.ofSeconds(30))).isEqualTo("20us");
        }
        Path nio = config("1s", "nio");
        Files.writeString(nio, "event-loop-spin: 20us\n" + Files.readString(nio));
        try (WeirProcess weir = WeirProcess.startAsDeployed(List.of(), "run", "-c", nio.toString())) {
            assertThat(weir.awaitGroup("transport chosen transport=nio requested=nio event_loop_spin=(\\S+)",
                    Duration.ofSeconds(30))).as("epoll only").isEqualTo("off");
        }
        try (WeirProcess weir = WeirProcess.startAsDeployed(List.of("-Dio.netty.leakDetection.level=simple"),
                "run", "-c", cfg.toString())) {
            assertThat(weir.awaitGroup("weir ready .* leak_detection=(\\S+)", Duration.ofSeconds(30))).isEqualTo("simple");
        }
    }

    @Test
    void anInvalidConfigExits2AndNamesThePath() throws Exception {
        Path bad = dir.resolve("bad.yaml");
        Files.writeString(bad, "admin: {bind: \"off\"}\nlisteners:\n  web:\n    bind: 127.0.0.1:0\n    pool: api\npools:\n  web:\n    backends: [127.0.0.1:9]\n");
        try (WeirProcess weir = WeirProcess.start(Map.of(), "run", "-c", bad.toString())) {
            assertThat(weir.process().waitFor(30, TimeUnit.SECONDS)).isTrue();
            assertThat(weir.process().exitValue()).isEqualTo(2);
            await().until(() -> weir.output().contains("listeners.web.pool: \"api\" is not a pool (pools: web)"));
        }
    }

    /** A port in use stops the start with status 1 and a line that names the key to change. */
    @Test
    void aPortInUseExits1AndNamesTheKey() throws Exception {
        try (java.net.ServerSocket held = new java.net.ServerSocket(0, 50, java.net.InetAddress.getLoopbackAddress())) {
            String taken = "127.0.0.1:" + held.getLocalPort();
            Path cfg = config("1s");
            Files.writeString(cfg, Files.readString(cfg).replace("bind: 127.0.0.1:0\n    pool", "bind: " + taken + "\n    pool"));
            try (WeirProcess weir = WeirProcess.start(Map.of(), "run", "-c", cfg.toString())) {
                assertThat(weir.process().waitFor(30, TimeUnit.SECONDS)).isTrue();
                assertThat(weir.process().exitValue()).isEqualTo(1);
                weir.awaitGroup("(weir: listeners.web.bind: cannot bind " + taken + ": address already in use)",
                        Duration.ofSeconds(5));
            }
            Files.writeString(cfg, Files.readString(config("1s")).replace("admin: {bind: 127.0.0.1:0}", "admin: {bind: " + taken + "}"));
            try (WeirProcess weir = WeirProcess.start(Map.of(), "run", "-c", cfg.toString())) {
                assertThat(weir.process().waitFor(30, TimeUnit.SECONDS)).isTrue();
                assertThat(weir.process().exitValue()).isEqualTo(1);
                weir.awaitGroup("(weir: admin.bind: cannot listen on " + taken + ": address already in use)",
                        Duration.ofSeconds(5));
            }
        }
    }

    @Test
    void aForcedTransportThatCannotRunIsAConfigError() throws Exception {
        Path cfg = config("1s", "epoll");
        try (WeirProcess weir = WeirProcess.start(Map.of(), List.of("-Dio.netty.transport.noNative=true"),
                "validate", cfg.toString())) {
            assertThat(weir.process().waitFor(30, TimeUnit.SECONDS)).isTrue();
            assertThat(weir.process().exitValue()).isEqualTo(2);
            await().until(() -> weir.output().contains("transport: epoll is not available here ("));
        }
    }

    /** A terminating listener with an EC and an RSA certificate, their keys in the traditional form. */
    private Path tlsConfig(String provider) throws IOException {
        dev.weir.proxy.tls.TestPki.Issued ca = dev.weir.proxy.tls.TestPki.ca("ca");
        dev.weir.proxy.tls.TestPki.Files2 ec = ca.issue("a.test", "a.test").writeTraditional(dir, "ec");
        dev.weir.proxy.tls.TestPki.Files2 rsa = ca.issueRsa("b.test", "b.test").writeTraditional(dir, "rsa");
        Path cfg = dir.resolve("tls.yaml");
        Files.writeString(cfg, """
                tls-provider: %s
                admin: {bind: "off"}
                listeners:
                  web:
                    bind: 127.0.0.1:0
                    pool: web
                    tls:
                      certificates: [{cert: %s, key: %s}, {cert: %s, key: %s}]
                pools:
                  web:
                    backends: [127.0.0.1:%d]
                """.formatted(provider, ec.cert(), ec.key(), rsa.cert(), rsa.key(), echo.port()));
        return cfg;
    }

    @Test
    void theJarReadsTraditionalKeysWithEitherProvider() throws Exception {
        for (String provider : new String[] {"auto", "jdk"}) {
            try (WeirProcess weir = WeirProcess.start(Map.of(), "validate", tlsConfig(provider).toString())) {
                assertThat(weir.process().waitFor(30, TimeUnit.SECONDS)).isTrue();
                assertThat(weir.process().exitValue()).as(weir.output()).isZero();
                assertThat(weir.output()).contains("OK");
            }
        }
    }

    @Test
    void aForcedTlsProviderThatCannotLoadIsAConfigError() throws Exception {
        Path cfg = tlsConfig("openssl");
        for (String command : new String[] {"validate", "run"}) {
            List<String> args = command.equals("run") ? List.of("run", "-c", cfg.toString()) : List.of("validate", cfg.toString());
            try (WeirProcess weir = WeirProcess.start(Map.of(), List.of("-Dio.netty.handler.ssl.noOpenSsl=true"),
                    args.toArray(new String[0]))) {
                assertThat(weir.process().waitFor(30, TimeUnit.SECONDS)).isTrue();
                assertThat(weir.process().exitValue()).as(command).isEqualTo(2);
                await().until(() -> weir.output().contains("tls-provider: openssl is not available here ("));
            }
        }
    }

    @Test
    void demoAnswersWhoamiFromThreeBackends() throws Exception {
        Map<String, String> env = Map.of("WEIR_DEMO_BIND", "127.0.0.1:0", "WEIR_DEMO_STICKY_BIND", "127.0.0.1:0",
                "WEIR_DEMO_ADMIN_BIND", "127.0.0.1:0");
        try (WeirProcess weir = WeirProcess.start(env, "demo")) {
            int port = weir.listenerPort("demo");
            weir.awaitGroup("(Weir demo is running)", Duration.ofSeconds(30));
            Set<String> names = new HashSet<>();
            for (int i = 0; i < 6; i++) {
                try (Socket s = Sockets.connect(new InetSocketAddress("127.0.0.1", port))) {
                    names.add(Sockets.whoami(s));
                }
            }
            assertThat(names).containsExactlyInAnyOrder("alpha", "bravo", "charlie");
            int sticky = weir.listenerPort("demo-sticky");
            Set<String> stickyNames = new HashSet<>();
            for (int i = 0; i < 6; i++) {
                try (Socket s = Sockets.connect(new InetSocketAddress("127.0.0.1", sticky))) {
                    stickyNames.add(Sockets.whoami(s));
                }
            }
            assertThat(stickyNames).as("one client IP, one backend").hasSize(1);
            weir.signal("TERM");
            assertThat(weir.process().waitFor(30, TimeUnit.SECONDS)).isTrue();
            assertThat(weir.process().exitValue()).isZero();
        }
    }

    @Test
    void sighupAndAWatchedFileReloadTheConfig() throws Exception {
        BackendSample other = BackendSample.start("other", "127.0.0.1", 0, null);
        try {
            Path cfg = dir.resolve("weir.yaml");
            Files.writeString(cfg, "reload: {watch: false}\n" + Files.readString(config("1s")));
            try (WeirProcess weir = WeirProcess.start(Map.of(), "run", "-c", cfg.toString())) {
                int port = weir.listenerPort("web");
                assertThat(whoami(port)).isEqualTo("echo");
                Files.writeString(cfg, Files.readString(cfg).replace("127.0.0.1:" + echo.port(), "127.0.0.1:" + other.port()));
                weir.signal("HUP");
                weir.awaitGroup("reload (result=RELOADED)", Duration.ofSeconds(10));
                assertThat(whoami(port)).isEqualTo("other");
                // A broken file: FAILED, every error logged, the old config keeps serving.
                Files.writeString(cfg, "listeners: [\n");
                weir.signal("HUP");
                weir.awaitGroup("reload (result=FAILED)", Duration.ofSeconds(10));
                assertThat(whoami(port)).isEqualTo("other");
                assertThat(weir.process().isAlive()).isTrue();
            }

            Files.writeString(cfg, "reload: {watch: true}\n" + Files.readString(config("1s")));
            try (WeirProcess weir = WeirProcess.start(Map.of(), "run", "-c", cfg.toString())) {
                int port = weir.listenerPort("web");
                weir.awaitGroup("(watching config)", Duration.ofSeconds(10));
                assertThat(whoami(port)).isEqualTo("echo");
                Files.writeString(cfg, Files.readString(cfg).replace("127.0.0.1:" + echo.port(), "127.0.0.1:" + other.port()));
                weir.awaitGroup("reload (result=RELOADED)", Duration.ofSeconds(10));
                assertThat(whoami(port)).isEqualTo("other");
            }
        } finally {
            other.close();
        }
    }

    @Test
    void runningOutOfFileDescriptorsPausesAcceptingAndRecovers() throws Exception {
        try (WeirProcess weir = WeirProcess.start(Map.of(), 160, List.of(), "run", "-c", config("1s").toString())) {
            int port = weir.listenerPort("web");
            java.util.List<Socket> clients = new java.util.ArrayList<>();
            try {
                // Each proxied client costs Weir two descriptors: this many cannot all be accepted.
                for (int i = 0; i < 150; i++) {
                    Socket s = new Socket();
                    s.connect(new InetSocketAddress("127.0.0.1", port), 5_000);
                    clients.add(s);
                }
                weir.awaitGroup("accept failed listener=web cause=\"(.*Too many open files.*?)\"", Duration.ofSeconds(30));
                assertThat(weir.process().isAlive()).isTrue();
            } finally {
                for (Socket s : clients) {
                    s.close();
                }
            }
            // Descriptors are free again: accepting resumes and clients are served.
            try {
                await().atMost(Duration.ofSeconds(20)).ignoreExceptions().until(() -> "echo".equals(whoami(port)));
            } catch (org.awaitility.core.ConditionTimeoutException e) {
                throw new AssertionError("not served again; weir alive=" + weir.process().isAlive() + ", its output:\n"
                        + weir.output(), e);
            }
        }
    }

    private static String whoami(int port) throws IOException {
        try (Socket s = Sockets.connect(new InetSocketAddress("127.0.0.1", port))) {
            return Sockets.whoami(s);
        }
    }
}
