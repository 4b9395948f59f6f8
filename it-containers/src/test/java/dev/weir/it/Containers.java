package dev.weir.it;

import com.github.dockerjava.api.DockerClient;
import com.github.dockerjava.api.command.InspectContainerResponse;
import org.testcontainers.DockerClientFactory;
import org.testcontainers.containers.GenericContainer;
import org.testcontainers.containers.wait.strategy.Wait;
import org.testcontainers.utility.DockerImageName;

import java.time.Duration;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ThreadLocalRandom;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/** The suite's containers: host networking, labelled, named, and listed so that a failed test shows their logs. */
final class Containers {

    private static final List<Base<?>> LIVE = new CopyOnWriteArrayList<>();

    private Containers() {
    }

    static DockerClient docker() {
        return DockerClientFactory.instance().client();
    }

    /** Prints the last lines of every live container's log, for a failed test. */
    static void dumpLogs(String test) {
        for (Base<?> c : LIVE) {
            String logs;
            try {
                logs = c.getLogs();
            } catch (RuntimeException e) {
                logs = "(no logs: " + e.getMessage() + ")";
            }
            String[] lines = logs.split("\n");
            int from = Math.max(0, lines.length - 80);
            System.out.println("----- [" + test + "] logs of " + c.label + " (last " + (lines.length - from)
                    + " of " + lines.length + " lines) -----");
            for (int i = from; i < lines.length; i++) {
                System.out.println(lines[i]);
            }
        }
    }

    /** A container of the suite: host networking, the suite's label, a readable name. */
    abstract static class Base<SELF extends Base<SELF>> extends GenericContainer<SELF> {

        final String label;

        Base(String image, String label) {
            super(DockerImageName.parse(image));
            this.label = label;
            String name = "weir-it-" + label + "-" + Integer.toHexString(ThreadLocalRandom.current().nextInt(1 << 20));
            withNetworkMode("host");
            withLabel(ContainerSuite.LABEL, "true");
            withCreateContainerCmdModifier(cmd -> cmd.withName(name));
        }

        @Override
        protected void containerIsStarted(InspectContainerResponse info) {
            LIVE.add(this);
        }

        @Override
        protected void containerIsStopping(InspectContainerResponse info) {
            LIVE.remove(this);
        }

        /** {@code docker kill -s SIGNAL}. */
        void signal(String signal) {
            docker().killContainerCmd(getContainerId()).withSignal(signal).exec();
        }

        /** The exit status once it stopped, or null while it runs. */
        Long exitCode() {
            InspectContainerResponse.ContainerState state = docker().inspectContainerCmd(getContainerId()).exec().getState();
            return Boolean.TRUE.equals(state.getRunning()) ? null : state.getExitCodeLong();
        }

        /** Waits for the container to exit and returns its status. */
        long awaitExit(Duration timeout) {
            return docker().waitContainerCmd(getContainerId()).start()
                    .awaitStatusCode(timeout.toMillis(), java.util.concurrent.TimeUnit.MILLISECONDS);
        }
    }

    /** Any image of the suite, with a command of the test's choosing. */
    static final class Plain extends Base<Plain> {
        Plain(String image, String label) {
            super(image, label);
        }
    }

    /**
     * The port in the last match of {@code line} (group 1) in {@code logs}, or -1 when none matches. The last: after
     * a restart in the same container, the log holds every start.
     */
    static int lastPort(Pattern line, String logs) {
        Matcher m = line.matcher(logs);
        int port = -1;
        while (m.find()) {
            port = Integer.parseInt(m.group(1));
        }
        return port;
    }

    /**
     * backend-sample listening on 127.0.0.1, on the port the kernel chose (it binds port 0 and prints the port):
     * answers {@code whoami} with its name, echoes the rest.
     */
    static final class Sample extends Base<Sample> {

        private static final Pattern LISTENING = Pattern.compile("backend-sample name=\\S+ listening=\\S*:(\\d+)");

        final String name;
        private int port = -1;

        Sample(String name) {
            super(Images.sample(), "sample-" + name);
            this.name = name;
            withCommand("--name", name, "--port", "0", "--host", "127.0.0.1");
            waitingFor(Wait.forLogMessage(".*backend-sample name=.* listening=.*\\n", 1)
                    .withStartupTimeout(Duration.ofSeconds(60)));
        }

        @Override
        protected void containerIsStarted(InspectContainerResponse info) {
            super.containerIsStarted(info);
            port = lastPort(LISTENING, getLogs()); // after the wait strategy saw the line
        }

        String address() {
            if (port < 0) {
                throw new IllegalStateException(label + ": no \"listening=\" line in its log (not started?)");
            }
            return "127.0.0.1:" + port;
        }

        @Override
        public String toString() {
            return name + "@" + address();
        }
    }

    /** Stops (kills and removes) each container that was created; nulls are skipped. */
    static void stopAll(GenericContainer<?>... containers) {
        for (GenericContainer<?> c : containers) {
            if (c != null) {
                try {
                    c.stop();
                } catch (RuntimeException e) {
                    System.err.println("[weir] stopping " + c.getContainerName() + ": " + e.getMessage());
                }
            }
        }
    }

    static Set<String> names(Sample... samples) {
        java.util.Set<String> names = new java.util.LinkedHashSet<>();
        for (Sample s : samples) {
            names.add(s.name);
        }
        return names;
    }
}
