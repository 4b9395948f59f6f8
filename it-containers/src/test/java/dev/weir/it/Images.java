package dev.weir.it;

import com.github.dockerjava.api.exception.NotFoundException;
import org.testcontainers.DockerClientFactory;
import org.testcontainers.images.builder.ImageFromDockerfile;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;

/**
 * The images under test, built once per run from the real deploy Dockerfiles, with the same context paths a user's
 * {@code docker build -f deploy/Dockerfile .} has. The base is {@code -Dweir.jre.image} when given (for example
 * eclipse-temurin:21-jre where a registry is reachable), else {@code weir-jre:local}, which
 * {@code deploy/local-jre-image.sh} builds when it is missing.
 */
final class Images {

    static final String LOCAL_JRE = "weir-jre:local";

    private static String weir;
    private static String sample;
    private static String jre;

    private Images() {
    }

    static Path repo() {
        return Path.of(System.getProperty("weir.repo", "..")).toAbsolutePath().normalize();
    }

    static synchronized void ensureBuilt() {
        if (weir != null) {
            return;
        }
        long start = System.nanoTime();
        Path weirJar = requireFile("proxy/target/weir.jar");
        Path sampleJar = requireFile("backend-sample/target/backend-sample.jar");
        jre = System.getProperty("weir.jre.image", "").trim();
        if (jre.isEmpty()) {
            jre = LOCAL_JRE;
            if (!imageExists(jre)) {
                buildLocalJre(jre);
            }
        }
        weir = new ImageFromDockerfile("weir-it:latest", false)
                .withDockerfilePath("deploy/Dockerfile")
                .withFileFromPath("deploy/Dockerfile", repo().resolve("deploy/Dockerfile"))
                .withFileFromPath("deploy/weir.yaml", repo().resolve("deploy/weir.yaml"))
                .withFileFromPath("proxy/target/weir.jar", weirJar)
                .withBuildArg("JRE_IMAGE", jre)
                .get();
        sample = new ImageFromDockerfile("weir-backend-sample-it:latest", false)
                .withDockerfilePath("deploy/backend-sample.Dockerfile")
                .withFileFromPath("deploy/backend-sample.Dockerfile", repo().resolve("deploy/backend-sample.Dockerfile"))
                .withFileFromPath("backend-sample/target/backend-sample.jar", sampleJar)
                .withBuildArg("JRE_IMAGE", jre)
                .get();
        System.out.printf("[weir] images %s and %s built on %s in %d ms%n", weir, sample, jre,
                TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - start));
    }

    static String weir() {
        return weir;
    }

    static String sample() {
        return sample;
    }

    static String jre() {
        return jre;
    }

    private static Path requireFile(String relative) {
        Path p = repo().resolve(relative);
        if (!Files.isRegularFile(p)) {
            throw new IllegalStateException(p + " is missing: run `mvn package` (or `mvn verify`) from the repository root");
        }
        return p;
    }

    static boolean imageExists(String image) {
        try {
            DockerClientFactory.instance().client().inspectImageCmd(image).exec();
            return true;
        } catch (NotFoundException e) {
            return false;
        }
    }

    private static void buildLocalJre(String image) {
        Path script = repo().resolve("deploy/local-jre-image.sh");
        try {
            Path log = Files.createTempFile("weir-jre-image", ".log");
            Process p = new ProcessBuilder("bash", script.toString(), image)
                    .redirectErrorStream(true).redirectOutput(log.toFile()).start();
            if (!p.waitFor(5, TimeUnit.MINUTES)) {
                p.destroyForcibly();
                throw new IllegalStateException(script + " took more than 5 minutes");
            }
            String out = Files.readString(log, StandardCharsets.UTF_8);
            Files.deleteIfExists(log);
            if (p.exitValue() != 0) {
                throw new IllegalStateException(script + " failed with status " + p.exitValue() + ":\n" + out);
            }
            System.out.print(out);
        } catch (IOException e) {
            throw new IllegalStateException("cannot run " + script + ": " + e.getMessage(), e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted", e);
        }
    }
}
