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

/**
 * {@code weir validate} fails where {@code run} would, with the same words and exit status: a host name that does not
 * resolve (names under .invalid never do, RFC 2606), unless --no-resolve; a file over the size limit; a token whose
 * variable is unset.
 */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class ValidateTest {

    @TempDir
    Path dir;

    private record Result(int code, String out, String err) {
    }

    private static Result weir(String... args) {
        StringWriter out = new StringWriter();
        StringWriter err = new StringWriter();
        picocli.CommandLine cl = Main.commandLine();
        cl.setOut(new PrintWriter(out, true));
        cl.setErr(new PrintWriter(err, true));
        int code = cl.execute(args);
        return new Result(code, out.toString(), err.toString());
    }

    private Path config(String yaml) throws Exception {
        Path file = dir.resolve("weir.yaml");
        Files.writeString(file, yaml);
        return file;
    }

    @Test
    void aBackendThatDoesNotResolveFailsValidateAsItFailsRun() throws Exception {
        Path cfg = config("admin: {bind: \"off\"}\nlisteners:\n  web: {bind: 127.0.0.1:0, pool: web}\n"
                + "pools:\n  web:\n    backends: [127.0.0.1:9, nosuch.invalid:80]\n");
        String message = "pools.web.backends[1].address: cannot resolve \"nosuch.invalid\"";

        Result run = weir("run", "-c", cfg.toString());
        assertThat(run.code()).isEqualTo(1);
        assertThat(run.err().trim()).isEqualTo("weir: " + message);

        Result validate = weir("validate", cfg.toString());
        assertThat(validate.code()).isEqualTo(1);
        assertThat(validate.err().trim()).isEqualTo(message);
        assertThat(validate.out()).isEmpty();

        Result skipped = weir("validate", "--no-resolve", cfg.toString());
        assertThat(skipped.code()).as(skipped.err()).isZero();
        assertThat(skipped.out().trim()).isEqualTo("OK");
    }

    @Test
    void everyNameAStartResolvesIsCheckedEachOnce() throws Exception {
        Path cfg = config("admin: {bind: \"admin.invalid:9090\", token: t0ken}\n"
                + "listeners:\n  web: {bind: \"front.invalid:0\", pool: web}\n  api: {bind: 127.0.0.1:0, pool: api}\n"
                + "pools:\n  web:\n    backends: [nosuch.invalid:80, localhost:81, nosuch.invalid:82]\n"
                + "  api:\n    discovery: {dns: nosuch.invalid, port: 80}\n");
        Result validate = weir("validate", cfg.toString());
        assertThat(validate.code()).isEqualTo(1);
        // A pool with discovery asks DNS at run time: an empty answer there is no start failure.
        assertThat(validate.err().lines()).containsExactly(
                "listeners.web.bind: cannot resolve \"front.invalid\"",
                "pools.web.backends[0].address: cannot resolve \"nosuch.invalid\"",
                "pools.web.backends[2].address: cannot resolve \"nosuch.invalid\"",
                "admin.bind: cannot resolve \"admin.invalid\"");
    }

    @Test
    void aConfigErrorStillExits2AndNamesNoHost() throws Exception {
        Path cfg = config("listeners:\n  web: {bind: 127.0.0.1:0, pool: api}\n"
                + "pools:\n  web:\n    backends: [nosuch.invalid:80]\n");
        Result validate = weir("validate", cfg.toString());
        assertThat(validate.code()).isEqualTo(2);
        assertThat(validate.err().trim()).isEqualTo("listeners.web.pool: \"api\" is not a pool (pools: web)");
    }

    @Test
    void aTokenWhoseVariableIsUnsetIsCalledUnsetByRunAndValidate() throws Exception {
        String variable = "WEIR_TEST_UNSET_TOKEN_17";
        org.junit.jupiter.api.Assumptions.assumeTrue(System.getenv(variable) == null);
        Path cfg = config("admin: {bind: 127.0.0.1:0, token: \"${" + variable + "}\"}\n"
                + "listeners:\n  web: {bind: 127.0.0.1:0, pool: web}\npools:\n  web:\n    backends: [127.0.0.1:9]\n");
        String message = "admin.token: unset variable ${" + variable + "} (expected: environment variable " + variable
                + " to be set, or a default as in ${" + variable + ":-value})";
        for (String[] args : new String[][] {{"validate", cfg.toString()}, {"run", "-c", cfg.toString()}}) {
            Result r = weir(args);
            assertThat(r.code()).as(args[0]).isEqualTo(2);
            assertThat(r.err().trim()).as(args[0]).isEqualTo(message);
        }
    }

    @Test
    void aFileOverTheSizeLimitExits2NamingTheFileAndTheLimit() throws Exception {
        Path big = config("#" + "x".repeat(3 * 1024 * 1024) + "\n");
        for (String command : new String[] {"validate", "run"}) {
            Result r = command.equals("run") ? weir("run", "-c", big.toString()) : weir("validate", big.toString());
            assertThat(r.code()).as(command).isEqualTo(2);
            assertThat(r.err().trim()).as(command)
                    .isEqualTo(big + ": 3145730 bytes (expected: a config of at most 3MiB (3145728 bytes))");
        }
    }
}
