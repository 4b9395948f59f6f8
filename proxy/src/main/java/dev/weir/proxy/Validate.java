package dev.weir.proxy;

import dev.weir.proxy.config.Config;
import dev.weir.proxy.config.HostNames;
import dev.weir.proxy.tls.TlsFiles;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/**
 * {@code weir validate FILE}: what a start checks before it binds anything, as nginx -t and haproxy -c do. The file,
 * the TLS files it names and the host names a start resolves (listener and admin binds, static backends; not a pool
 * with discovery, which asks DNS at run time). Exit status as {@code run}'s: 0 OK, 2 an invalid config, 1 a host name
 * that does not resolve here; the messages are the start's.
 */
@Command(name = "validate", mixinStandardHelpOptions = true,
        description = "Check a config file, the TLS files it names and its host names: prints OK (exit 0), or every"
                + " error: exit 2 for the config, 1 for a host name that does not resolve (as run).")
final class Validate implements Callable<Integer> {

    @Parameters(index = "0", paramLabel = "FILE", description = "Config file to check.")
    Path file;

    @Option(names = "--no-resolve",
            description = "Do not resolve host names: for a machine without the DNS of those that run Weir (CI).")
    boolean noResolve;

    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    @Override
    public Integer call() {
        return validate(file, System.getenv(), noResolve, spec.commandLine().getOut(), spec.commandLine().getErr());
    }

    /** {@code weir validate [--no-resolve] FILE} with {@code env} for its {@code ${VAR}} references: the exit status. */
    static int validate(Path file, Map<String, String> env, boolean noResolve, PrintWriter out, PrintWriter err) {
        Config cfg = Main.loadOrReport(file, env, err);
        if (cfg == null) {
            return Main.EXIT_CONFIG;
        }
        List<String> tls = TlsFiles.problems(cfg);
        List<String> hosts = noResolve ? List.of() : HostNames.unresolvable(cfg);
        tls.forEach(err::println);
        hosts.forEach(err::println);
        err.flush();
        if (!tls.isEmpty()) {
            return Main.EXIT_CONFIG;
        }
        if (!hosts.isEmpty()) {
            return Main.EXIT_FAILURE;
        }
        out.println("OK");
        out.flush();
        return Main.EXIT_OK;
    }
}
