package dev.weir.it;

import com.github.dockerjava.api.DockerClient;
import com.github.dockerjava.api.model.Container;
import com.github.dockerjava.api.model.Info;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.extension.AfterTestExecutionCallback;
import org.junit.jupiter.api.extension.BeforeAllCallback;
import org.junit.jupiter.api.extension.ExtensionContext;
import org.testcontainers.DockerClientFactory;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * Every container test class runs under this extension. Before the first class it decides, once, whether the
 * suite can run: a Docker engine on this machine (Linux, host networking onto this loopback). Then:
 * <ul>
 *   <li>{@code -Dweir.containers=required} (what {@code ./test-all} passes), or the environment {@code CI=true}:
 *       no Docker engine fails every container test, with the reason;</li>
 *   <li>{@code auto} (the default): no Docker engine skips them, with one line on stderr saying why and how to
 *       enable them;</li>
 *   <li>{@code off}: skips them.</li>
 * </ul>
 * It then builds the images once ({@link Images}), and after a failed test prints the logs of the containers
 * that were running.
 */
public final class ContainerSuite implements BeforeAllCallback, AfterTestExecutionCallback {

    /** Label on every container the suite creates; a run removes what a killed earlier run left behind. */
    static final String LABEL = "dev.weir.it";

    private enum Mode { AUTO, REQUIRED, OFF }

    private static boolean decided;
    private static String problem; // null: Docker is usable
    private static boolean announced;

    @Override
    public void beforeAll(ExtensionContext context) {
        Mode mode = mode();
        String why;
        synchronized (ContainerSuite.class) {
            if (mode == Mode.OFF) {
                why = "-Dweir.containers=off";
            } else {
                if (!decided) {
                    problem = dockerProblem();
                    decided = true;
                    if (problem == null) {
                        removeLeftovers();
                    }
                }
                why = problem;
            }
            if (why != null && mode != Mode.REQUIRED && !announced) {
                announced = true;
                System.err.println("[weir] container suite SKIPPED: " + why + ". To run it, start a Docker engine"
                        + " on this Linux machine (or run ./test-all, which does it: apt-get install docker.io;"
                        + " dockerd --bridge=none --iptables=false &); -Dweir.containers=required turns this skip into a failure.");
            }
        }
        if (why != null) {
            if (mode == Mode.REQUIRED) {
                throw new AssertionError("the container suite is required (" + modeSource() + ") but cannot run: "
                        + why);
            }
            Assumptions.abort("container suite skipped: " + why);
        }
        Images.ensureBuilt();
    }

    @Override
    public void afterTestExecution(ExtensionContext context) {
        if (context.getExecutionException().isPresent()) {
            Containers.dumpLogs(context.getDisplayName());
        }
    }

    private static Mode mode() {
        String value = System.getProperty("weir.containers", "");
        if (value.isBlank()) {
            value = System.getenv().getOrDefault("WEIR_CONTAINERS", "");
        }
        if (value.isBlank() || value.equalsIgnoreCase("auto")) {
            return "true".equalsIgnoreCase(System.getenv("CI")) ? Mode.REQUIRED : Mode.AUTO;
        }
        try {
            return Mode.valueOf(value.trim().toUpperCase(Locale.ROOT));
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("weir.containers: " + value + " (expected: auto, required or off)");
        }
    }

    private static String modeSource() {
        String value = System.getProperty("weir.containers", "");
        if (!value.isBlank() && !value.equalsIgnoreCase("auto")) {
            return "-Dweir.containers=" + value;
        }
        if (!System.getenv().getOrDefault("WEIR_CONTAINERS", "").isBlank()) {
            return "WEIR_CONTAINERS=" + System.getenv("WEIR_CONTAINERS");
        }
        return "CI=true";
    }

    /** Null when a usable Docker engine answers, else why not, in a few words. */
    private static String dockerProblem() {
        String dockerHost = System.getenv("DOCKER_HOST");
        if ((dockerHost == null || dockerHost.isBlank()) && !Files.exists(Path.of("/var/run/docker.sock"))) {
            return "no Docker engine (no /var/run/docker.sock and no DOCKER_HOST)";
        }
        try {
            if (!DockerClientFactory.instance().isDockerAvailable()) {
                return "no Docker engine answers at " + (dockerHost != null ? dockerHost : "/var/run/docker.sock");
            }
            Info info = DockerClientFactory.instance().getInfo();
            if (!"linux".equalsIgnoreCase(info.getOsType())) {
                return "the Docker engine runs " + info.getOsType() + " containers, not linux";
            }
            String os = String.valueOf(info.getOperatingSystem());
            if (os.contains("Docker Desktop")) {
                return "the engine is Docker Desktop, whose host networking is a VM's loopback, not this machine's";
            }
            return null;
        } catch (RuntimeException | LinkageError e) {
            String message = String.valueOf(e.getMessage());
            int eol = message.indexOf('\n');
            return "Docker check failed: " + (eol > 0 ? message.substring(0, eol) : message);
        }
    }

    private static void removeLeftovers() {
        DockerClient docker = DockerClientFactory.instance().client();
        List<Container> left = docker.listContainersCmd().withShowAll(true)
                .withLabelFilter(Map.of(LABEL, "true")).exec();
        for (Container c : left) {
            try {
                docker.removeContainerCmd(c.getId()).withForce(true).exec();
            } catch (RuntimeException e) {
                System.err.println("[weir] could not remove leftover container " + c.getId() + ": " + e.getMessage());
            }
        }
    }
}
