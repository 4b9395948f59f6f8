package dev.weir.it;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.PosixFilePermissions;

/**
 * A host directory that a Weir container mounts at /etc/weir, with weir.yaml in it. It is readable by the
 * container's non-root user, and {@link #write} replaces the file by rename, as editors and Kubernetes do.
 */
final class ConfigDir {

    private final Path dir;
    private final int adminPort;

    private ConfigDir(Path dir, int adminPort) {
        this.dir = dir;
        this.adminPort = adminPort;
    }

    /** A new directory; the admin endpoint's port is chosen here, so configs can name it. */
    static ConfigDir create() {
        try {
            // Under target/ (mvn clean removes them), else the temp directory.
            Path base = Path.of(System.getProperty("weir.it.work", System.getProperty("java.io.tmpdir")));
            Files.createDirectories(base);
            Path dir = Files.createTempDirectory(base, "weir-it-config");
            Files.setPosixFilePermissions(dir, PosixFilePermissions.fromString("rwxr-xr-x"));
            return new ConfigDir(dir, Ports.free());
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    Path dir() {
        return dir;
    }

    int adminPort() {
        return adminPort;
    }

    /** Writes weir.yaml: {@code yaml} followed by the admin section on {@link #adminPort()}. */
    ConfigDir write(String yaml) {
        return writeRaw(yaml + (yaml.endsWith("\n") ? "" : "\n") + WeirContainer.adminSection(adminPort));
    }

    /** Writes weir.yaml exactly as given. */
    ConfigDir writeRaw(String yaml) {
        try {
            Path tmp = dir.resolve(".weir.yaml.tmp");
            Files.writeString(tmp, yaml, StandardCharsets.UTF_8);
            Files.setPosixFilePermissions(tmp, PosixFilePermissions.fromString("rw-r--r--"));
            Files.move(tmp, dir.resolve("weir.yaml"), StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
            return this;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
