package dev.weir.proxy;

import dev.weir.proxy.config.Config;
import dev.weir.proxy.config.ConfigException;
import dev.weir.proxy.config.ConfigLoader;
import dev.weir.proxy.control.Weir;
import dev.weir.proxy.transport.Transport;
import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * The {@code weir} command line. Exit status: 0 ok, 2 invalid configuration or usage (a certificate or key file it
 * names that is missing or wrong included), 1 any other failure (a port in use, an unresolvable backend).
 */
@Command(name = "weir", mixinStandardHelpOptions = true, versionProvider = VersionInfo.class,
        description = "Weir, a Layer-4 TCP load balancer.",
        subcommands = {Main.Run.class, Validate.class, Demo.class, Train.class, CommandLine.HelpCommand.class})
public final class Main implements Callable<Integer> {

    static final int EXIT_OK = 0;
    static final int EXIT_FAILURE = 1;
    static final int EXIT_CONFIG = 2;

    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    public static void main(String[] args) {
        // Netty's allocator JFR events: off unless asked for (-Dio.netty.jfr.enabled=true); registering
        // them loads and instruments ~90 jdk.jfr classes at start.
        if (System.getProperty("io.netty.jfr.enabled") == null) {
            System.setProperty("io.netty.jfr.enabled", "false");
        }
        dev.weir.proxy.tls.TlsProviders.refuseJdkRenegotiation();
        Path fast = fastRunConfig(args);
        if (fast != null) {
            // The common start without picocli: loading it and building even the run command's
            // model by reflection costs ~200 ms of a ~600 ms start (measured 2026-11-26: bench/RESULTS.md).
            System.exit(Run.run(fast, new PrintWriter(System.err, true)));
        }
        int code = commandLine().execute(args);
        if (code != Integer.MIN_VALUE) {
            System.exit(code);
        }
    }

    /**
     * The config file when the arguments are exactly {@code run}, {@code run -c FILE},
     * {@code run --config FILE} or {@code run --config=FILE}; null for anything else, which picocli
     * parses with its help and errors. MainTest checks that picocli reads these forms the same way.
     */
    static Path fastRunConfig(String[] args) {
        if (args.length == 0 || !args[0].equals("run")) {
            return null;
        }
        if (args.length == 1) {
            return Path.of(Run.DEFAULT_CONFIG);
        }
        String file = null;
        if (args.length == 2 && args[1].startsWith("--config=")) {
            file = args[1].substring("--config=".length());
        } else if (args.length == 3 && (args[1].equals("-c") || args[1].equals("--config"))) {
            file = args[2];
        }
        return file == null || file.isEmpty() || file.startsWith("-") ? null : Path.of(file);
    }

    static CommandLine commandLine() {
        CommandLine cl = new CommandLine(new Main());
        cl.setExitCodeExceptionMapper(t -> t instanceof CommandLine.ParameterException ? EXIT_CONFIG : EXIT_FAILURE);
        cl.setExecutionExceptionHandler((ex, cmd, parsed) -> {
            cmd.getErr().println("weir: " + ex.getMessage());
            return EXIT_FAILURE;
        });
        return cl;
    }

    @Override
    public Integer call() {
        PrintWriter err = spec.commandLine().getErr();
        err.println("weir: missing command");
        spec.commandLine().usage(err);
        err.flush();
        return EXIT_CONFIG;
    }

    /**
     * Loads a config file and checks what only this machine can tell (a forced transport must be
     * available); prints every error and returns null when it is invalid.
     */
    static Config loadOrReport(Path file, PrintWriter err) {
        return loadOrReport(file, System.getenv(), err);
    }

    static Config loadOrReport(Path file, java.util.Map<String, String> env, PrintWriter err) {
        try {
            Config cfg = ConfigLoader.load(file, env);
            Transport.choose(cfg.transport());
            return cfg;
        } catch (Transport.UnavailableException e) {
            err.println(e.getMessage());
        } catch (ConfigException e) {
            e.errors().forEach(err::println);
        } catch (NoSuchFileException e) {
            err.println(file + ": no such file");
        } catch (IOException e) {
            err.println(file + ": cannot read (" + e.getMessage() + ")");
        }
        err.flush();
        return null;
    }

    @Command(name = "run", mixinStandardHelpOptions = true, description = "Run the load balancer.")
    static final class Run implements Callable<Integer> {
        static final String DEFAULT_CONFIG = "config/weir.yaml";

        @Option(names = {"-c", "--config"}, defaultValue = DEFAULT_CONFIG, description = "Config file (default: ${DEFAULT-VALUE}).")
        Path config;

        @CommandLine.Spec
        CommandLine.Model.CommandSpec spec;

        @Override
        public Integer call() {
            return run(config, spec.commandLine().getErr());
        }

        static int run(Path config, PrintWriter err) {
            Config cfg = loadOrReport(config, err);
            if (cfg == null) {
                return EXIT_CONFIG;
            }
            return Launcher.runUntilSignalled(cfg, config, err);
        }
    }
}
