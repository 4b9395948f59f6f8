package dev.weir.proxy.config;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.Map;

/** Shared by the config tests: a YAML text that must fail, and the exact errors it must give. */
final class ConfigAssertions {

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
