package dev.weir.proxy;

import dev.weir.proxy.config.Config;
import dev.weir.proxy.config.ConfigException;
import dev.weir.proxy.config.ConfigLoader;
import dev.weir.proxy.control.Weir;
import dev.weir.sample.BackendSample;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.PrintWriter;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.concurrent.atomic.AtomicReference;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import sun.misc.Signal;

/**
 * {@code weir train}: the training run for a class archive (AppCDS, or the AOT cache of Java 25). It starts Weir the
 * way {@code weir run} does, on loopback ports, with an admin endpoint and a sample backend in this process, sends
 * one connection through the listener and one scrape to the admin endpoint, then stops itself with SIGTERM and
 * exits 0, so that the JVM writes the archive of what a start loads:
 * {@code java -XX:ArchiveClassesAtExit=weir.jsa -jar weir.jar train}. Exit 1 if any step fails.
 */
@Command(name = "train", hidden = true, mixinStandardHelpOptions = true,
        description = "Start, serve one connection and stop: the training run for a class archive.")
final class Train implements Callable<Integer> {

    private static final int TIMEOUT_MS = 10_000;
    private static final String TOKEN = "train";

    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    @Override
    public Integer call() throws Exception {
        PrintWriter err = spec.commandLine().getErr();
        try (BackendSample backend = BackendSample.start("train", "127.0.0.1", 0, null)) {
            Config cfg;
            try {
                cfg = ConfigLoader.parse(yaml(backend.port()), Map.of(), "train (built in)");
            } catch (ConfigException e) {
                e.errors().forEach(err::println);
                err.flush();
                return Main.EXIT_FAILURE;
            }
            AtomicReference<String> failure = new AtomicReference<>();
            int code = Launcher.runUntilSignalled(cfg, null, err, weir -> {
                try {
                    exercise(weir);
                } catch (IOException | RuntimeException e) {
                    failure.set(e.toString());
                }
                Signal.raise(new Signal("TERM"));
            });
            if (failure.get() != null) {
                err.println("weir train: " + failure.get());
                err.flush();
                return Main.EXIT_FAILURE;
            }
            return code;
        }
    }

    static String yaml(int backendPort) {
        return """
                listeners:
                  train: {bind: "127.0.0.1:0", pool: train}
                pools:
                  train:
                    backends: ["127.0.0.1:%d"]
                    health-check: {type: tcp, interval: 1s, timeout: 1s}
                shutdown: {drain-timeout: 0s}
                admin: {bind: "127.0.0.1:0", token: %s}
                """.formatted(backendPort, TOKEN);
    }

    /** One proxied connection (its answer checked) and one metrics scrape. */
    private static void exercise(Weir weir) throws IOException {
        String answer = exchange(weir.listenerAddress("train"), "whoami\n");
        if (!answer.startsWith("train")) {
            throw new IOException("the proxied connection answered '" + answer.strip() + "' (expected: train)");
        }
        InetSocketAddress admin = weir.adminAddress();
        String scrape = exchange(admin, "GET /metrics HTTP/1.1\r\nHost: 127.0.0.1:" + admin.getPort()
                + "\r\nAuthorization: Bearer " + TOKEN + "\r\nConnection: close\r\n\r\n");
        if (!scrape.startsWith("HTTP/1.1 200")) {
            throw new IOException("the metrics scrape answered '" + scrape.lines().findFirst().orElse("") + "'");
        }
    }

    /** Writes {@code request}, half-closes, and reads the answer until the peer closes. */
    private static String exchange(InetSocketAddress to, String request) throws IOException {
        try (Socket s = new Socket()) {
            s.connect(to, TIMEOUT_MS);
            s.setSoTimeout(TIMEOUT_MS);
            OutputStream out = s.getOutputStream();
            out.write(request.getBytes(StandardCharsets.US_ASCII));
            out.flush();
            s.shutdownOutput();
            InputStream in = s.getInputStream();
            return new String(in.readAllBytes(), StandardCharsets.UTF_8);
        }
    }
}
