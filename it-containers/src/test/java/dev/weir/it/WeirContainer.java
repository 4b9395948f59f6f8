package dev.weir.it;

import com.github.dockerjava.api.command.InspectContainerResponse;
import org.testcontainers.containers.BindMode;
import org.testcontainers.containers.wait.strategy.Wait;

import java.time.Duration;
import java.util.regex.Pattern;

/**
 * Weir from the deploy/Dockerfile image, exactly as built for users, with a host directory mounted over /etc/weir
 * (read-only) holding weir.yaml, and {@code WEIR_ADMIN_TOKEN} in its environment. Its configs bind port 0; the ports
 * it bound are read from its log once it is ready.
 */
final class WeirContainer extends Containers.Base<WeirContainer> {

    static final String TOKEN = "it-admin-token";

    /** Logged by ProxyListener once a listener's socket is bound: the real port when the config said 0. */
    private static final Pattern LISTENER_BOUND = Pattern.compile("listener bound listener=web address=\\S*:(\\d+) ");
    /** Logged by AdminServer once the admin endpoint is bound. */
    private static final Pattern ADMIN_BOUND = Pattern.compile("admin endpoint bound address=\\S*:(\\d+) ");

    final ConfigDir config;
    private int port = -1;
    private int adminPort = -1;

    WeirContainer(String label, ConfigDir config) {
        super(Images.weir(), "weir-" + label);
        this.config = config;
        withFileSystemBind(config.dir().toString(), "/etc/weir", BindMode.READ_ONLY);
        withEnv("WEIR_ADMIN_TOKEN", TOKEN);
        waitingFor(Wait.forLogMessage(".*weir ready.*\\n", 1).withStartupTimeout(Duration.ofSeconds(60)));
    }

    @Override
    protected void containerIsStarted(InspectContainerResponse info) {
        super.containerIsStarted(info);
        // After the wait strategy: "weir ready" is logged after every bind. A one-shot run (a bad config) has none.
        String logs = getLogs();
        port = Containers.lastPort(LISTENER_BOUND, logs);
        adminPort = Containers.lastPort(ADMIN_BOUND, logs);
    }

    /** The port listener {@code web} bound at this container's start. */
    int port() {
        return known(port, "listener bound listener=web");
    }

    /** The port the admin endpoint bound at this container's start. */
    int adminPort() {
        return known(adminPort, "admin endpoint bound");
    }

    Admin admin() {
        return new Admin(adminPort(), TOKEN);
    }

    private int known(int learned, String line) {
        if (learned < 0) {
            throw new IllegalStateException(label + ": no \"" + line + "\" line in the log of its start");
        }
        return learned;
    }

    /**
     * {@code admin:} for a config: loopback, the given port (0: any, as Weir's log then tells), the token from the
     * environment as a user writes it.
     */
    static String adminSection(int port) {
        return "admin: {bind: 127.0.0.1:" + port + ", token: \"${WEIR_ADMIN_TOKEN}\"}\n";
    }
}
