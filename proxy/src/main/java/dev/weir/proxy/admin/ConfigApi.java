package dev.weir.proxy.admin;

import com.fasterxml.jackson.core.JsonProcessingException;
import dev.weir.proxy.config.Config;
import dev.weir.proxy.config.ConfigTree;
import io.netty.handler.codec.http.FullHttpRequest;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.QueryStringDecoder;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import org.yaml.snakeyaml.DumperOptions;
import org.yaml.snakeyaml.LoaderOptions;
import org.yaml.snakeyaml.Yaml;
import org.yaml.snakeyaml.constructor.SafeConstructor;
import org.yaml.snakeyaml.representer.Representer;

/**
 * {@code GET /api/v1/config}: the config in effect as {@link ConfigTree} writes it (weir.yaml's keys, every one in
 * effect, the token as a {@code ${VAR}} reference), in JSON, or in YAML for {@code ?format=yaml} or
 * {@code Accept: application/yaml}. Either one saved to a file is a config {@code weir validate} and {@code weir run}
 * take (JSON is YAML).
 *
 * <p>Thread rule: stateless; called on the control executor, as every {@code /api} call.
 */
final class ConfigApi {

    static final String JSON = "application/json; charset=utf-8";
    static final String YAML = "application/yaml; charset=utf-8";
    private static final List<String> YAML_TYPES = List.of("application/yaml", "application/x-yaml", "text/yaml",
            "text/x-yaml");

    private ConfigApi() {
    }

    static Reply reply(Config config, FullHttpRequest request) throws ApiException {
        Map<String, Object> tree = ConfigTree.of(config);
        Reply reply = yaml(request)
                ? new Reply(HttpResponseStatus.OK, YAML, yaml(tree), Map.of())
                : new Reply(HttpResponseStatus.OK, JSON, json(tree), Map.of());
        return reply.with(HttpHeaderNames.VARY.toString(), HttpHeaderNames.ACCEPT.toString());
    }

    /** {@code ?format=json|yaml} first, then the Accept header; JSON when neither asks for YAML. */
    private static boolean yaml(FullHttpRequest request) throws ApiException {
        Map<String, List<String>> params = new QueryStringDecoder(request.uri()).parameters();
        for (String name : params.keySet()) {
            if (!name.equals("format")) {
                throw ApiException.badRequest(AdminHandler.printable(name) + ": unknown parameter (expected: format)");
            }
        }
        List<String> format = params.get("format");
        if (format != null) {
            if (format.size() != 1 || !(format.get(0).equals("json") || format.get(0).equals("yaml"))) {
                throw ApiException.badRequest("format: \"" + AdminHandler.printable(String.join(",", format))
                        + "\" (expected: json or yaml)");
            }
            return format.get(0).equals("yaml");
        }
        String accept = request.headers().get(HttpHeaderNames.ACCEPT, "").toLowerCase(Locale.ROOT);
        return YAML_TYPES.stream().anyMatch(accept::contains);
    }

    private static byte[] json(Map<String, Object> tree) {
        try {
            return ApiJson.MAPPER.writerWithDefaultPrettyPrinter().writeValueAsBytes(tree);
        } catch (JsonProcessingException e) {
            throw new IllegalStateException(e); // maps, lists, strings, numbers and booleans always serialize
        }
    }

    /** Block style, as weir.yaml is written; a text SnakeYAML cannot print plainly is escaped, never !!binary. */
    private static byte[] yaml(Map<String, Object> tree) {
        DumperOptions options = new DumperOptions();
        options.setDefaultFlowStyle(DumperOptions.FlowStyle.BLOCK);
        options.setIndent(2);
        options.setSplitLines(false);
        options.setDereferenceAliases(true);
        options.setNonPrintableStyle(DumperOptions.NonPrintableStyle.ESCAPE);
        Yaml yaml = new Yaml(new SafeConstructor(new LoaderOptions()), new Representer(options), options);
        return yaml.dump(tree).getBytes(StandardCharsets.UTF_8);
    }
}
