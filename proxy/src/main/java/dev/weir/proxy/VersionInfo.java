package dev.weir.proxy;

import dev.weir.proxy.config.TransportKind;
import dev.weir.proxy.transport.Transport;
import io.netty.channel.epoll.Epoll;
import io.netty.channel.uring.IoUring;
import io.netty.handler.ssl.OpenSsl;
import java.io.IOException;
import java.io.InputStream;
import java.security.NoSuchAlgorithmException;
import java.security.Provider;
import java.util.ArrayList;
import java.util.List;
import java.util.Properties;
import javax.net.ssl.SSLContext;
import picocli.CommandLine;

/**
 * What {@code weir --version} prints, the lines a bug report needs: the build (version, git commit and date, which
 * the build writes into {@code build.properties}; "unknown" for a build without git), the Java runtime and Netty, and
 * the transports and TLS providers this machine offers, with why one is missing.
 */
final class VersionInfo implements CommandLine.IVersionProvider {

    private static final String BUILD = "/dev/weir/proxy/build.properties";
    private static final String TCNATIVE = "/META-INF/maven/io.netty/netty-tcnative-classes/pom.properties";

    @Override
    public String[] getVersion() {
        return lines().toArray(new String[0]);
    }

    static List<String> lines() {
        Properties build = properties(BUILD);
        List<String> lines = new ArrayList<>();
        lines.add("weir " + build.getProperty("version", "dev"));
        lines.add("commit: " + build.getProperty("commit", "unknown")
                + ("true".equals(build.getProperty("modified")) ? " (with uncommitted changes)" : ""));
        lines.add("built: " + build.getProperty("date", "unknown"));
        lines.add("java: " + System.getProperty("java.runtime.version") + " (" + System.getProperty("java.vm.name")
                + ", " + System.getProperty("java.vendor") + "), " + System.getProperty("os.name") + " "
                + System.getProperty("os.arch"));
        io.netty.util.Version netty = io.netty.util.Version.identify().get("netty-transport");
        lines.add("netty: " + (netty == null ? "unknown" : netty.artifactVersion()));
        lines.add("transports: " + transports());
        lines.add("tls providers: " + tlsProviders());
        return lines;
    }

    private static String transports() {
        List<String> here = new ArrayList<>();
        Transport.available().forEach(t -> here.add(t.name()));
        List<String> missing = new ArrayList<>();
        if (!Epoll.isAvailable()) {
            missing.add("epoll (" + why(Epoll.unavailabilityCause()) + ")");
        }
        if (!IoUring.isAvailable()) {
            missing.add("io_uring (" + why(IoUring.unavailabilityCause()) + ")");
        }
        String auto;
        try {
            auto = Transport.choose(TransportKind.AUTO).name();
        } catch (Transport.UnavailableException e) {
            auto = "none"; // auto always has NIO
        }
        return String.join(", ", here) + "; auto picks " + auto + notHere(missing);
    }

    private static String tlsProviders() {
        List<String> here = new ArrayList<>();
        List<String> missing = new ArrayList<>();
        if (OpenSsl.isAvailable()) {
            String tcnative = properties(TCNATIVE).getProperty("version");
            here.add("openssl (" + OpenSsl.versionString() + (tcnative == null ? "" : ", netty-tcnative " + tcnative) + ")");
        } else {
            missing.add("openssl (" + why(OpenSsl.unavailabilityCause()) + ")");
        }
        here.add("jdk (" + jdkProvider() + ")");
        return String.join(", ", here) + "; auto picks " + (OpenSsl.isAvailable() ? "openssl" : "jdk") + notHere(missing);
    }

    private static String notHere(List<String> missing) {
        return missing.isEmpty() ? "" : "; not here: " + String.join(", ", missing);
    }

    private static String jdkProvider() {
        try {
            Provider p = SSLContext.getInstance("TLS").getProvider();
            return p.getName() + " " + p.getVersionStr();
        } catch (NoSuchAlgorithmException e) {
            return "no TLS";
        }
    }

    /** The innermost cause's message: "io_uring_setup: Operation not permitted", not its wrappers. */
    private static String why(Throwable t) {
        if (t == null) {
            return "unknown";
        }
        while (t.getCause() != null && t.getCause() != t) {
            t = t.getCause();
        }
        return t.getMessage() != null ? t.getMessage() : t.getClass().getSimpleName();
    }

    private static Properties properties(String resource) {
        Properties p = new Properties();
        try (InputStream in = VersionInfo.class.getResourceAsStream(resource)) {
            if (in != null) {
                p.load(in);
            }
        } catch (IOException e) {
            // none: every line says unknown
        }
        return p;
    }
}
