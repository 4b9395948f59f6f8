package dev.weir.proxy;

import dev.weir.proxy.config.Config;
import dev.weir.proxy.config.ConfigException;
import dev.weir.proxy.config.ConfigLoader;
import dev.weir.proxy.transport.Transport;
import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/**
 * The {@code weir} command line. Exit status: 0 ok, 2 invalid configuration or usage, 1 any other
 * failure (a port in use, an unresolvable backend).
 */
@Command(name = "weir", mixinStandardHelpOptions = true, versionProvider = Main.Version.class,
        description = "Weir, a Layer-4 TCP load balancer.",
        subcommands = {Main.Run.class, Main.Validate.class, Demo.class, CommandLine.HelpCommand.class})
public final class Main implements Callable<Integer> {

    static final int EXIT_OK = 0;
    static final int EXIT_FAILURE = 1;
    static final int EXIT_CONFIG = 2;

    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    public static void main(String[] args) {
        int code = commandLine().execute(args);
        if (code != Integer.MIN_VALUE) {
            System.exit(code);
        }
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
        try {
            Config cfg = ConfigLoader.load(file);
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
        @Option(names = {"-c", "--config"}, defaultValue = "config/weir.yaml", description = "Config file (default: ${DEFAULT-VALUE}).")
        Path config;

        @CommandLine.Spec
        CommandLine.Model.CommandSpec spec;

        @Override
        public Integer call() {
            PrintWriter err = spec.commandLine().getErr();
            Config cfg = loadOrReport(config, err);
            if (cfg == null) {
                return EXIT_CONFIG;
            }
            return Launcher.runUntilSignalled(cfg, config, err);
        }
    }

    @Command(name = "validate", mixinStandardHelpOptions = true,
            description = "Check a config file: prints OK, or every error (exit 2).")
    static final class Validate implements Callable<Integer> {
        @Parameters(index = "0", paramLabel = "FILE", description = "Config file to check.")
        Path file;

        @CommandLine.Spec
        CommandLine.Model.CommandSpec spec;

        @Override
        public Integer call() {
            Config cfg = loadOrReport(file, spec.commandLine().getErr());
            if (cfg == null) {
                return EXIT_CONFIG;
            }
            spec.commandLine().getOut().println("OK");
            spec.commandLine().getOut().flush();
            return EXIT_OK;
        }
    }

    static final class Version implements CommandLine.IVersionProvider {
        @Override
        public String[] getVersion() {
            String v = Main.class.getPackage().getImplementationVersion();
            return new String[] {"weir " + (v == null ? "dev" : v)};
        }
    }
}
