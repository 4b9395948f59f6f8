package dev.weir.it;

import static org.assertj.core.api.Assertions.assertThat;

import com.github.dockerjava.api.command.InspectContainerResponse;
import com.github.dockerjava.api.command.InspectImageResponse;
import com.github.dockerjava.api.model.ExposedPort;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.ExtendWith;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The image itself: its metadata, the non-root user, the native transports inside the container (Netty extracts
 * them to /tmp and needs the glibc the base image carries), and the config baked in at /etc/weir/weir.yaml.
 */
@ExtendWith(ContainerSuite.class)
@Timeout(value = 3, unit = TimeUnit.MINUTES)
class ImageIT {

    static Containers.Sample a;

    @BeforeAll
    static void start() {
        a = new Containers.Sample("svc-a");
        a.start();
    }

    @AfterAll
    static void stop() {
        Containers.stopAll(a);
    }

    @Test
    void imageMetadata() {
        InspectImageResponse image = Containers.docker().inspectImageCmd(Images.weir()).exec();
        var config = image.getConfig();
        assertThat(config.getUser()).isEqualTo("10001:10001");
        // STOPSIGNAL is not in docker-java's model; StopIT sees `docker stop` arrive as SIGTERM.
        assertThat(Arrays.stream(config.getExposedPorts()).map(ExposedPort::getPort)).contains(8080, 8405);
        assertThat(config.getEntrypoint()).containsSubsequence("java", "-jar", "/opt/weir/weir.jar");
        assertThat(config.getCmd()).containsExactly("run", "-c", "/etc/weir/weir.yaml");
    }

    @Test
    void runsAsNonRootOnANativeTransport() throws Exception {
        ConfigDir config = ConfigDir.create().write(Snippets.listener(0) + "pools:\n  web:\n" + Snippets.backends(a));
        try (WeirContainer weir = new WeirContainer("image", config)) {
            weir.start();
            InspectContainerResponse info = Containers.docker().inspectContainerCmd(weir.getContainerId()).exec();
            Path status = Path.of("/proc", String.valueOf(info.getState().getPidLong()), "status");
            if (Files.isReadable(status)) { // the engine runs on this machine: look at the process itself
                String uid = Files.readAllLines(status).stream().filter(l -> l.startsWith("Uid:")).findFirst().orElseThrow();
                assertThat(uid.split("\\s+")).as(uid).containsSubsequence("Uid:", "10001", "10001");
                // The class archive the image build made with this runtime is the one the JVM maps.
                String maps = Files.readString(status.resolveSibling("maps"));
                assertThat(maps).as("the class archive in use").contains("/opt/weir/weir.jsa");
            }
            String logs = weir.getLogs();
            Matcher chosen = Pattern.compile("transport chosen transport=(\\S+) requested=auto(.*)").matcher(logs);
            assertThat(chosen.find()).as(logs).isTrue();
            System.out.println("[weir] in the container: transport=" + chosen.group(1) + chosen.group(2));
            assertThat(chosen.group(1)).as("a native transport loads in the image").isIn("epoll", "io_uring");
            if (chosen.group(1).equals("io_uring")) {
                assertThat(chosen.group(2)).as("why epoll was passed over").contains("epoll=");
            }

            assertThat(Net.whoami(null, weir.port())).isEqualTo("svc-a");
            Admin admin = weir.admin();
            assertThat(admin.text("/healthz")).contains("ok");
            assertThat(admin.status("/readyz")).isEqualTo(200);
            assertThat(admin.text("/metrics")).contains("weir_connections_opened_total");
        }
    }

    @Test
    void epollCanBeForced() {
        ConfigDir config = ConfigDir.create().write("transport: epoll\n" + Snippets.listener(0)
                + "pools:\n  web:\n" + Snippets.backends(a));
        try (WeirContainer weir = new WeirContainer("epoll", config)) {
            weir.start();
            assertThat(weir.getLogs()).contains("transport chosen transport=epoll requested=epoll");
        }
    }

    @Test
    void bakedInConfigIsValid() {
        OneShot ok = OneShot.run(new Containers.Plain(Images.weir(), "validate")
                .withEnv("WEIR_ADMIN_TOKEN", "t0ken").withCommand("validate", "/etc/weir/weir.yaml"));
        assertThat(ok.exitCode()).as(ok.logs()).isZero();
        assertThat(ok.logs()).contains("OK");

        OneShot noToken = OneShot.run(new Containers.Plain(Images.weir(), "validate-no-token")
                .withCommand("validate", "/etc/weir/weir.yaml"));
        assertThat(noToken.exitCode()).isEqualTo(2);
        assertThat(noToken.logs()).contains("admin.token").contains("WEIR_ADMIN_TOKEN");
    }
}
