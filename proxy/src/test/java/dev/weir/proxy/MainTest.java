package dev.weir.proxy;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

/** The command line: validate, run with a bad config, version; exit codes and messages. */
@Timeout(value = 30, unit = TimeUnit.SECONDS)
class MainTest {

    @TempDir
    Path dir;

    private record Result(int code, String out, String err) {
    }

    private static Result weir(String... args) {
        StringWriter out = new StringWriter();
        StringWriter err = new StringWriter();
        CommandLine cl = Main.commandLine();
        cl.setOut(new PrintWriter(out, true));
        cl.setErr(new PrintWriter(err, true));
        int code = cl.execute(args);
        return new Result(code, out.toString(), err.toString());
    }

    @Test
    void theFastStartReadsTheRunArgumentsAsPicocliDoes() {
        String[][] recognised = {{"run"}, {"run", "-c", "a.yaml"}, {"run", "--config", "dir/b.yaml"},
            {"run", "--config=c.yaml"}};
        for (String[] args : recognised) {
            CommandLine.ParseResult parsed = Main.commandLine().parseArgs(args);
            Main.Run run = (Main.Run) parsed.subcommand().commandSpec().userObject();
            assertThat(Main.fastRunConfig(args)).as(String.join(" ", args)).isEqualTo(run.config);
        }
        // Anything else goes through picocli (help, errors, other commands).
        String[][] others = {{}, {"validate", "x"}, {"run", "-c"}, {"run", "--help"}, {"run", "-cx.yaml"},
            {"run", "-c", "a.yaml", "extra"}, {"run", "--config="}, {"run", "-c", "--help"}, {"demo"}};
        for (String[] args : others) {
            assertThat(Main.fastRunConfig(args)).as(String.join(" ", args)).isNull();
        }
    }

    @Test
    void validateAcceptsTheReferenceConfigs() {
        for (String file : new String[] {"../config/weir.yaml", "../config/demo.yaml"}) {
            Result r = weir("validate", file);
            assertThat(r.code()).as(file + ": " + r.err()).isZero();
            assertThat(r.out().trim()).isEqualTo("OK");
        }
    }

    @Test
    void validatePrintsEveryErrorAndExits2() throws Exception {
        Path bad = dir.resolve("bad.yaml");
        Files.writeString(bad, """
                listeners:
                  web:
                    bind: 127.0.0.1:8080
                    pool: api
                pools:
                  web:
                    conect-timeout: 5s
                    backends:
                      - 127.0.0.1:9001
                      - {address: 127.0.0.1:9002, weight: 0}
                """);
        Result r = weir("validate", bad.toString());
        assertThat(r.code()).isEqualTo(2);
        assertThat(r.out()).isEmpty();
        assertThat(r.err().lines()).contains(
                "pools.web.backends[1].weight: 0 (expected: 1..1000)",
                "listeners.web.pool: \"api\" is not a pool (pools: web)",
                "pools.web.conect-timeout: unknown key (did you mean connect-timeout?)");
        assertThat(r.err()).doesNotContain("Exception").doesNotContain("\tat ");
    }

    @Test
    void malformedYamlNamesLineAndColumn() throws Exception {
        Path bad = dir.resolve("broken.yaml");
        Files.writeString(bad, "listeners:\n  web:\n    bind: [127.0.0.1:8080\n");
        Result r = weir("validate", bad.toString());
        assertThat(r.code()).isEqualTo(2);
        assertThat(r.err()).contains(bad.toString()).containsPattern("line \\d+, column \\d+");
    }

    @Test
    void missingFileIsReportedNotThrown() {
        Result r = weir("validate", dir.resolve("nope.yaml").toString());
        assertThat(r.code()).isEqualTo(2);
        assertThat(r.err()).contains("nope.yaml: no such file");
    }

    @Test
    void runWithAnInvalidConfigExits2BeforeBinding() throws Exception {
        Path bad = dir.resolve("bad.yaml");
        Files.writeString(bad, "listeners: {}\npools: {}\n");
        Result r = weir("run", "-c", bad.toString());
        assertThat(r.code()).isEqualTo(2);
        assertThat(r.err()).contains("listeners");
    }

    @Test
    void runWithAPortInUseExits1WithTheReason() throws Exception {
        try (java.net.ServerSocket taken = new java.net.ServerSocket(0, 1, java.net.InetAddress.getLoopbackAddress())) {
            Path cfg = dir.resolve("taken.yaml");
            Files.writeString(cfg, "admin: {bind: \"off\"}\nlisteners:\n  web:\n    bind: 127.0.0.1:" + taken.getLocalPort()
                    + "\n    pool: web\npools:\n  web:\n    backends: [127.0.0.1:9]\n");
            Result r = weir("run", "-c", cfg.toString());
            assertThat(r.code()).isEqualTo(1);
            assertThat(r.err()).contains("listeners.web.bind").contains(String.valueOf(taken.getLocalPort()));
        }
    }

    /** A terminating listener on port 0 whose key file is {@code key}. */
    private Path tlsConfig(Path cert, Path key) throws Exception {
        Path cfg = dir.resolve("tls.yaml");
        Files.writeString(cfg, "admin: {bind: \"off\"}\nlisteners:\n  web:\n    bind: 127.0.0.1:0\n    pool: web\n"
                + "    tls: {certificates: [{cert: " + cert + ", key: " + key + "}]}\n"
                + "pools:\n  web:\n    backends: [127.0.0.1:9]\n");
        return cfg;
    }

    @Test
    void aBadCertificateOrKeyFileIsAConfigErrorForRunAndValidate() throws Exception {
        dev.weir.proxy.tls.TestPki.Files2 web = dev.weir.proxy.tls.TestPki.ca("ca").issue("web.test", "web.test")
                .write(dir, "web");
        Path missing = dir.resolve("missing.key");
        Result run = weir("run", "-c", tlsConfig(web.cert(), missing).toString());
        assertThat(run.code()).isEqualTo(2);
        assertThat(run.err().trim()).isEqualTo("weir: listeners.web.tls.certificates[0].key: " + missing + ": no such file");

        Result validate = weir("validate", tlsConfig(web.cert(), missing).toString());
        assertThat(validate.code()).isEqualTo(2);
        assertThat(validate.err().trim()).isEqualTo("listeners.web.tls.certificates[0].key: " + missing + ": no such file");
        assertThat(validate.out()).isEmpty();

        Result ok = weir("validate", tlsConfig(web.cert(), web.key()).toString());
        assertThat(ok.code()).as(ok.err()).isZero();
        assertThat(ok.out().trim()).isEqualTo("OK");
    }

    @Test
    void versionAndUsage() {
        Result v = weir("--version");
        assertThat(v.code()).isZero();
        assertThat(v.out()).startsWith("weir ");
        Result none = weir();
        assertThat(none.code()).isEqualTo(2);
        assertThat(none.err()).contains("run").contains("validate").contains("demo");
    }
}
