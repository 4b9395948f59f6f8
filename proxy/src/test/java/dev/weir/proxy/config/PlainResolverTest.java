package dev.weir.proxy.config;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.yaml.snakeyaml.nodes.NodeId;
import org.yaml.snakeyaml.nodes.Tag;
import org.yaml.snakeyaml.resolver.Resolver;

/** The loader's resolver gives every plain scalar the tag SnakeYAML's own gives it, and skips the regexes for most. */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class PlainResolverTest {

    // Every character an int, float, bool, null, merge or timestamp is made of, and a few that none is.
    private static final String ALPHABET = "0179.:-+_ \teExXbBafinINtTZ~<yYoOlLsSrRuU!&*pw/";

    private final Resolver snakeYaml = new Resolver();
    private final PlainResolver plain = new PlainResolver();

    @Test
    void everyShortScalarGetsSnakeYamlsTag() {
        List<String> values = new ArrayList<>(List.of("", "~", "null", "Null", "NULL", " ", "<<", "true", "False",
                "OFF", "yes", "0x1F", "0b101", "0o17", "017", "1_000", "190:20:30", "1.5e3", "-.inf", ".NaN", ".5",
                "1e5", "2001-12-14", "2001-12-14t21:59:43.10-05:00", "2001-12-14 21:59:43.10 Z", "1:2:3.4",
                "10.0.0.1", "10.0.0.1:80", "127.0.0.1:9001", "0.0.0.0", "web", "5s", "250ms", "32KiB", "Infinity"));
        for (char a : ALPHABET.toCharArray()) {
            values.add("" + a);
            for (char b : ALPHABET.toCharArray()) {
                values.add("" + a + b);
                for (char c : ALPHABET.toCharArray()) {
                    values.add("" + a + b + c);
                }
            }
        }
        Random random = new Random(17);
        String numeric = "0123456789.:-+_ eEtTZx";
        for (int i = 0; i < 200_000; i++) {
            StringBuilder value = new StringBuilder();
            String from = i % 2 == 0 ? numeric : ALPHABET;
            for (int n = random.nextInt(30); n >= 0; n--) {
                value.append(from.charAt(random.nextInt(from.length())));
            }
            values.add(value.toString());
        }
        for (String value : values) {
            assertThat(plain.resolve(NodeId.scalar, value, true)).as("\"%s\"", value)
                    .isEqualTo(snakeYaml.resolve(NodeId.scalar, value, true));
        }
        assertThat(plain.resolve(NodeId.scalar, "80", false)).isEqualTo(Tag.STR);
        assertThat(plain.resolve(NodeId.mapping, "", true)).isEqualTo(Tag.MAP);
        assertThat(plain.resolve(NodeId.sequence, "", true)).isEqualTo(Tag.SEQ);
    }

    @Test
    void namesAndAddressesSkipTheRegexes() {
        for (String value : List.of("web", "backends", "p123", "10.0.0.1:80", "127.0.0.1:9001", "10.0.0.0/8",
                "fd00::1", "api.example.com", "5s", "250ms", "32KiB", "round-robin", "health-check")) {
            assertThat(PlainResolver.plainlyText(value)).as(value).isTrue();
        }
        for (String value : List.of("", "80", "1.5", "true", "null", "~", "<<", "2001-12-14")) {
            assertThat(PlainResolver.plainlyText(value)).as(value).isFalse();
        }
    }
}
