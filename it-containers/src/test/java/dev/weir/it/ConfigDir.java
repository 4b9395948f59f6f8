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
    private int adminPort; // 0: Weir binds a port of the kernel's choosing and logs it

    private ConfigDir(Path dir) {
        this.dir = dir;
    }

    /** A new directory; {@link #write} gives the admin endpoint port 0 until {@link #adminPort(int)} says otherwise. */
    static ConfigDir create() {
        try {
            // Under target/ (mvn clean removes them), else the temp directory.
            Path base = Path.of(System.getProperty("weir.it.work", System.getProperty("java.io.tmpdir")));
            Files.createDirectories(base);
            Path dir = Files.createTempDirectory(base, "weir-it-config");
            Files.setPosixFilePermissions(dir, PosixFilePermissions.fromString("rwxr-xr-x"));
            return new ConfigDir(dir);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    Path dir() {
        return dir;
    }

    /**
     * The admin port that later {@link #write}s name: a port Weir already bound (learned from its log), so that a
     * restart binds it again. A reload must name the same admin bind as the running config, or Weir starts a second
     * admin endpoint.
     */
    ConfigDir adminPort(int port) {
        this.adminPort = port;
        return this;
    }

    /** Writes weir.yaml: {@code yaml} followed by the admin section on the admin port (0 unless set). */
    ConfigDir write(String yaml) {
        return writeRaw(yaml + (yaml.endsWith("\n") ? "" : "\n") + WeirContainer.adminSection(adminPort));
    }

    /** Writes weir.yaml exactly as given. */
    ConfigDir writeRaw(String yaml) {
        return file("weir.yaml", yaml);
    }

    /**
     * Writes another file of the directory (a certificate, a key), readable by the container's user, replaced by
     * rename as weir.yaml is.
     */
    ConfigDir file(String name, String content) {
        try {
            Path tmp = dir.resolve("." + name + ".tmp");
            Files.writeString(tmp, content, StandardCharsets.UTF_8);
            Files.setPosixFilePermissions(tmp, PosixFilePermissions.fromString("rw-r--r--"));
            Files.move(tmp, dir.resolve(name), StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
            return this;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
