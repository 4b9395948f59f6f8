package dev.weir.proxy.config;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.Map;

/** Shared by the config tests: the smallest valid config, a YAML text that must fail, and the exact errors it must give. */
final class ConfigAssertions {

    /** One listener "web" on 127.0.0.1:8080 to one pool "web" of one backend: add the keys under test to it. */
    static final String MINIMAL = """
            listeners:
              web: {bind: 127.0.0.1:8080, pool: web}
            pools:
              web:
                backends: [127.0.0.1:9001]
            """;

    private ConfigAssertions() {
    }

    static ConfigException parseFails(String yaml) {
        try {
            ConfigLoader.parse(yaml, Map.of());
        } catch (ConfigException e) {
            return e;
        }
        throw new AssertionError("expected a ConfigException for:\n" + yaml);
    }

    static void assertErrors(String yaml, String... expected) {
        assertThat(parseFails(yaml).errors()).containsExactly(expected);
    }
}
