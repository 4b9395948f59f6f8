package dev.weir.proxy.config;

import java.io.IOException;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.yaml.snakeyaml.LoaderOptions;
import org.yaml.snakeyaml.composer.Composer;
import org.yaml.snakeyaml.error.Mark;
import org.yaml.snakeyaml.error.MarkedYAMLException;
import org.yaml.snakeyaml.error.YAMLException;
import org.yaml.snakeyaml.nodes.Node;
import org.yaml.snakeyaml.parser.ParserImpl;

/**
 * Loads a YAML config into a validated {@link Config}, or fails with every problem at once.
 *
 * <p>The YAML is only composed into nodes, never constructed into Java objects, and the loader refuses global tags
 * ({@code !!java.net.URL ...}): a config file cannot make the proxy instantiate a class. Working on nodes also keeps
 * the YAML path of every value for the error messages. {@code ${VAR}} and {@code ${VAR:-default}} are substituted
 * in scalar values (not in keys) from the given environment. A config over 3 MiB is refused before it is parsed
 * ({@link ConfigText}), and the parse costs time linear in the text whatever its shape ({@link WholeTextReader}).
 */
public final class ConfigLoader {

    private static final String DEFAULT_SOURCE = "config";
    private static final String GLOBAL_TAG_PROBLEM = "Global tag is not allowed: ";

    private ConfigLoader() {
    }

    /** Reads {@code file} (UTF-8) with the process environment for {@code ${VAR}}. */
    public static Config load(Path file) throws ConfigException, IOException {
        return load(file, System.getenv());
    }

    /** Reads {@code file} (UTF-8) with {@code env} for {@code ${VAR}}. */
    public static Config load(Path file, Map<String, String> env) throws ConfigException, IOException {
        return parse(ConfigText.read(file), env, file.toString());
    }

    public static Config parse(String yaml, Map<String, String> env) throws ConfigException {
        return parse(yaml, env, DEFAULT_SOURCE);
    }

    /**
     * @param sourceName prefixes YAML syntax errors: {@code weir.yaml: malformed YAML at line 3, column 5: ...}
     */
    public static Config parse(String yaml, Map<String, String> env, String sourceName) throws ConfigException {
        ConfigText.check(yaml, sourceName);
        Node root = compose(yaml, sourceName);
        NodeReader reader = new NodeReader(env, ConfigText.MAX_BYTES - yaml.length());
        Config config = ConfigSchema.read(root, reader);
        if (!reader.errors().isEmpty()) {
            throw new ConfigException(reader.errors());
        }
        return config;
    }

    private static Node compose(String yaml, String sourceName) throws ConfigException {
        // Only the composer (what Yaml.compose runs): no constructor, representer or dumper is built,
        // so nothing can ever construct Java objects from the config.
        LoaderOptions options = new LoaderOptions();
        options.setCodePointLimit(ConfigText.MAX_BYTES);
        try {
            return new Composer(new ParserImpl(new WholeTextReader(yaml), options), new PlainResolver(), options)
                    .getSingleNode();
        } catch (MarkedYAMLException e) {
            throw new ConfigException(List.of(sourceName + ": " + describe(e)));
        } catch (YAMLException e) {
            throw new ConfigException(List.of(sourceName + ": malformed YAML: " + e.getMessage()));
        }
    }

    private static String describe(MarkedYAMLException e) {
        String problem = e.getProblem() != null ? e.getProblem() : e.getMessage().lines().findFirst().orElse("");
        Mark mark = e.getProblemMark();
        String at = mark == null ? "" : " at line " + (mark.getLine() + 1) + ", column " + (mark.getColumn() + 1);
        if (problem.startsWith(GLOBAL_TAG_PROBLEM)) {
            String tag = problem.substring(GLOBAL_TAG_PROBLEM.length()).replace("tag:yaml.org,2002:", "!!");
            return "tag " + tag + at + " is not allowed (expected: plain YAML values; a config never names Java types)";
        }
        if ("while scanning an alias".equals(e.getContext())) {
            // An unquoted *.example.com (an SNI route) reads as a YAML alias: say what to write instead.
            return "malformed YAML" + at + ": " + problem + " (a value or key that starts with * must be quoted,"
                    + " like \"*.example.com\")";
        }
        return "malformed YAML" + at + ": " + problem;
    }
}
