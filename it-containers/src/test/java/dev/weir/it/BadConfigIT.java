package dev.weir.it;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.ExtendWith;

import java.util.concurrent.TimeUnit;

/** Scenario 8: a bad config makes the container exit with status 2, and its log names each bad YAML path. */
@ExtendWith(ContainerSuite.class)
@Timeout(value = 2, unit = TimeUnit.MINUTES)
class BadConfigIT {

    @Test
    void badConfigExitsWith2AndNamesThePaths() {
        ConfigDir config = ConfigDir.create().write("""
                listeners:
                  web: {bind: 127.0.0.1:0, pool: api}
                pools:
                  web:
                    conect-timeout: 2s
                    backends:
                      - {address: 127.0.0.1:1, weight: 0}
                """);
        OneShot run = OneShot.run(new WeirContainer("bad-config", config));
        assertThat(run.exitCode()).as(run.logs()).isEqualTo(2);
        assertThat(run.logs())
                .contains("listeners.web.pool: \"api\" is not a pool")
                .contains("pools.web.conect-timeout: unknown key (did you mean connect-timeout?)")
                .contains("pools.web.backends[0].weight: 0")
                .doesNotContain("Exception")
                .doesNotContain("weir ready");
    }

    @Test
    void malformedYamlExitsWith2() {
        ConfigDir config = ConfigDir.create().writeRaw("listeners:\n  web: {bind: 127.0.0.1:1, pool: web\n");
        OneShot run = OneShot.run(new WeirContainer("bad-yaml", config));
        assertThat(run.exitCode()).as(run.logs()).isEqualTo(2);
        assertThat(run.logs()).contains("weir.yaml").containsIgnoringCase("malformed YAML at line");
    }
}
