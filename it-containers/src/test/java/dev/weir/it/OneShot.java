package dev.weir.it;

import com.github.dockerjava.api.DockerClient;
import org.testcontainers.containers.GenericContainer;
import org.testcontainers.containers.startupcheck.StartupCheckStrategy;
import org.testcontainers.containers.wait.strategy.AbstractWaitStrategy;

import java.time.Duration;

/** A container that is expected to exit by itself: its status and its whole log (stdout and stderr). */
record OneShot(long exitCode, String logs) {

    static OneShot run(GenericContainer<?> container) {
        container.withStartupCheckStrategy(new StartupCheckStrategy() {
            @Override
            public StartupStatus checkStartupState(DockerClient docker, String id) {
                return Boolean.TRUE.equals(getCurrentState(docker, id).getRunning())
                        ? StartupStatus.NOT_YET_KNOWN : StartupStatus.SUCCESSFUL;
            }
        }.withTimeout(Duration.ofSeconds(60)));
        container.waitingFor(new AbstractWaitStrategy() {
            @Override
            protected void waitUntilReady() {
            }
        });
        try {
            container.start();
            long status = Containers.docker().inspectContainerCmd(container.getContainerId()).exec()
                    .getState().getExitCodeLong();
            return new OneShot(status, container.getLogs());
        } finally {
            container.stop();
        }
    }
}
