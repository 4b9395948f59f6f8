package dev.weir.proxy;

import static org.assertj.core.api.Assertions.assertThat;

import dev.weir.proxy.config.TransportKind;
import dev.weir.proxy.transport.Transport;
import io.netty.handler.ssl.OpenSsl;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.time.Instant;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** {@code weir --version}: the build (version, commit, date), the Java runtime, the transports and TLS providers here. */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class VersionTest {

    @Test
    void versionNamesTheBuildTheRuntimeAndWhatThisMachineOffers() throws Exception {
        StringWriter out = new StringWriter();
        picocli.CommandLine cl = Main.commandLine();
        cl.setOut(new PrintWriter(out, true));
        assertThat(cl.execute("--version")).isZero();
        List<String> lines = out.toString().lines().toList();

        assertThat(lines).hasSize(7);
        assertThat(lines.get(0)).matches("weir \\S+");
        assertCommit(lines.get(1), GitHead.commit());
        assertThat(Instant.parse(lines.get(2).substring("built: ".length()))).isBefore(Instant.now());
        assertThat(lines.get(2)).startsWith("built: ");
        assertThat(lines.get(3)).startsWith("java: " + System.getProperty("java.runtime.version") + " (")
                .endsWith(System.getProperty("os.name") + " " + System.getProperty("os.arch"));
        assertThat(lines.get(4)).matches("netty: 4\\.\\S+");

        String auto = Transport.choose(TransportKind.AUTO).name();
        assertThat(lines.get(5)).startsWith("transports: " + String.join(", ", Transport.available().stream()
                .map(Transport::name).toList()) + "; auto picks " + auto);
        if (Transport.available().size() < 3) {
            assertThat(lines.get(5)).contains("; not here: ");
        }
        if (OpenSsl.isAvailable()) {
            assertThat(lines.get(6)).startsWith("tls providers: openssl (" + OpenSsl.versionString() + ", netty-tcnative ")
                    .contains("), jdk (SunJSSE ").endsWith("; auto picks openssl");
        } else {
            assertThat(lines.get(6)).startsWith("tls providers: jdk (").contains("; auto picks jdk; not here: openssl (");
        }
    }

    /** The commit line names {@code head} (null: not built in a git checkout, "unknown"). */
    static void assertCommit(String line, String head) {
        if (head == null) {
            assertThat(line).isEqualTo("commit: unknown");
        } else {
            assertThat(line).matches("commit: " + head + "( \\(with uncommitted changes\\))?");
        }
    }

    /** The checkout's HEAD as the build records it, or null outside a git checkout (a build from a tarball). */
    static final class GitHead {
        static String commit() throws Exception {
            Process git;
            try {
                git = new ProcessBuilder("git", "rev-parse", "--short=12", "HEAD").redirectErrorStream(true).start();
            } catch (java.io.IOException e) {
                return null; // no git here
            }
            String head = new String(git.getInputStream().readAllBytes()).trim();
            return git.waitFor() == 0 ? head : null;
        }
    }
}
