package dev.weir.it;

import org.testcontainers.containers.BindMode;
import org.testcontainers.containers.wait.strategy.Wait;

import java.time.Duration;

/**
 * Weir from the deploy/Dockerfile image, exactly as built for users, with a host directory mounted over /etc/weir
 * (read-only) holding weir.yaml, and {@code WEIR_ADMIN_TOKEN} in its environment.
 */
final class WeirContainer extends Containers.Base<WeirContainer> {

    static final String TOKEN = "it-admin-token";

    final ConfigDir config;

    WeirContainer(String label, ConfigDir config) {
        super(Images.weir(), "weir-" + label);
        this.config = config;
        withFileSystemBind(config.dir().toString(), "/etc/weir", BindMode.READ_ONLY);
        withEnv("WEIR_ADMIN_TOKEN", TOKEN);
        waitingFor(Wait.forLogMessage(".*weir ready.*\\n", 1).withStartupTimeout(Duration.ofSeconds(60)));
    }

    Admin admin() {
        return new Admin(config.adminPort(), TOKEN);
    }

    /** {@code admin:} for a config: loopback, a free port, the token from the environment as a user writes it. */
    static String adminSection(int port) {
        return "admin: {bind: 127.0.0.1:" + port + ", token: \"${WEIR_ADMIN_TOKEN}\"}\n";
    }
}
