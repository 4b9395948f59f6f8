package dev.weir.proxy;

import dev.weir.proxy.config.Config;
import dev.weir.proxy.config.ConfigException;
import dev.weir.proxy.config.ConfigLoader;
import dev.weir.proxy.control.Weir;
import dev.weir.sample.BackendSample;
import java.io.IOException;
import java.io.InputStream;
import java.io.PrintWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code weir demo}: three backend-sample servers in this process on loopback (free ports), and
 * Weir in front of them from config/demo.yaml (the copy inside the jar when the file is not here).
 */
@Command(name = "demo", mixinStandardHelpOptions = true,
        description = "Start three sample backends and Weir in front of them (config/demo.yaml).")
final class Demo implements Callable<Integer> {

    static final String[] NAMES = {"alpha", "bravo", "charlie"};

    @Option(names = {"-c", "--config"}, defaultValue = "config/demo.yaml",
            description = "Demo config (default: ${DEFAULT-VALUE}, else the copy bundled in the jar).")
    Path config;

    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    @Override
    public Integer call() throws Exception {
        PrintWriter err = spec.commandLine().getErr();
        PrintWriter out = spec.commandLine().getOut();
        List<BackendSample> backends = new ArrayList<>();
        try {
            Map<String, String> env = new HashMap<>(System.getenv());
            for (int i = 0; i < NAMES.length; i++) {
                BackendSample b = BackendSample.start(NAMES[i], "127.0.0.1", 0, null);
                backends.add(b);
                env.put("WEIR_DEMO_BACKEND_" + (i + 1), "127.0.0.1:" + b.port());
            }
            String yaml = demoYaml();
            String source = Files.isRegularFile(config) ? config.toString() : "demo.yaml (bundled)";
            Config cfg;
            List<DemoAddresses.Moved> moved;
            try {
                Config first = ConfigLoader.parse(yaml, env, source);
                moved = DemoAddresses.moveTaken(first, env, System.getenv());
                cfg = moved.isEmpty() ? first : ConfigLoader.parse(yaml, env, source);
            } catch (ConfigException e) {
                e.errors().forEach(err::println);
                err.flush();
                return Main.EXIT_CONFIG;
            } catch (DemoAddresses.Taken e) {
                err.println("weir demo: " + e.getMessage());
                err.flush();
                return Main.EXIT_FAILURE;
            }
            return Launcher.runUntilSignalled(cfg, null, err, weir -> printHints(out, weir, cfg, moved));
        } finally {
            backends.forEach(BackendSample::close);
        }
    }

    private String demoYaml() throws IOException {
        if (Files.isRegularFile(config)) {
            return Files.readString(config);
        }
        try (InputStream in = Demo.class.getResourceAsStream("demo.yaml")) {
            if (in == null) {
                throw new IOException(config + ": no such file, and no demo.yaml bundled in the jar");
            }
            return new String(in.readAllBytes(), StandardCharsets.UTF_8);
        }
    }

    private static void printHints(PrintWriter out, Weir weir, Config cfg, List<DemoAddresses.Moved> moved) {
        out.println();
        out.println("Weir demo is running (transport " + weir.transport() + "). Backends: alpha, bravo, charlie.");
        moved.forEach(m -> out.println("  " + m.describe(weir)));
        for (String name : cfg.listeners().keySet()) {
            var addr = weir.listenerAddress(name);
            String host = addr.getAddress().getHostAddress();
            String pool = cfg.listeners().get(name).pool();
            out.println();
            out.println("  listener " + name + " -> pool " + pool + " (" + cfg.pools().get(pool).balance().yamlName() + ")"
                    + " on " + host + ":" + addr.getPort());
            out.println("    for i in 1 2 3 4 5 6; do echo whoami | nc -N " + host + " " + addr.getPort() + "; done");
            out.println("    # without nc, in bash:");
            out.println("    for i in 1 2 3 4 5 6; do exec 3<>/dev/tcp/" + host + "/" + addr.getPort()
                    + "; echo whoami >&3; head -1 <&3; exec 3<&-; done");
        }
        out.println();
        out.println("  Any other line is echoed back:  echo hello | nc -N 127.0.0.1 " + weir.listenerAddress(
                cfg.listeners().keySet().iterator().next()).getPort());
        var admin = weir.adminAddress();
        if (admin != null) {
            String a = admin.getAddress().getHostAddress() + ":" + admin.getPort();
            out.println("  Status page: http://" + a + "/   metrics: http://" + a + "/metrics   API: http://" + a + "/api/v1/pools");
        }
        out.println("  Stop with Ctrl-C (graceful: live connections finish first).");
        out.println();
        out.flush();
    }
}
