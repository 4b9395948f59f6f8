package dev.weir.proxy;

import dev.weir.proxy.config.Config;
import dev.weir.proxy.config.ConfigException;
import dev.weir.proxy.config.ConfigLoader;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Consumer;
import org.yaml.snakeyaml.DumperOptions;
import org.yaml.snakeyaml.Yaml;

/**
 * A Weir config for tests, built in code and rendered as YAML, so that every test still goes through the real
 * {@link ConfigLoader}. Each setting is a YAML path and a value: {@code set("pools.p.connect-attempts", 3)}.
 * A listener called {@code l} to a pool called {@code p} is what most tests need:
 * <pre>{@code
 * TestConfig.to(a, b).pool("p", p -> p.set("balance", "ip-hash")).start()
 * }</pre>
 * Tests whose subject is the YAML text itself (the config package) keep their YAML literals.
 */
public final class TestConfig {

    private final Map<String, Object> root = new LinkedHashMap<>();
    private final Map<String, String> env = new LinkedHashMap<>();

    private TestConfig() {
    }

    /**
     * No listener and no pool yet: two event loops, a 5 s drain and no admin endpoint (tests run many proxies, so
     * none takes the default admin port).
     */
    public static TestConfig proxy() {
        return new TestConfig()
                .set("event-loop-threads", 2)
                .set("shutdown.drain-timeout", "5s")
                .set("admin.bind", "off");
    }

    /** {@link #proxy()} with listener {@code l} on 127.0.0.1:0 to pool {@code p} of these backends. */
    public static TestConfig to(Object... backends) {
        return proxy().listener("l", "p").pool("p", backends);
    }

    /** A backend's address on loopback. */
    public static String local(int port) {
        return "127.0.0.1:" + port;
    }

    public TestConfig transport(String transport) {
        return set("transport", transport);
    }

    /** Listener {@code name} on 127.0.0.1:0 to {@code pool}. */
    public TestConfig listener(String name, String pool) {
        return listener(name, l -> l.set("bind", "127.0.0.1:0").set("pool", pool));
    }

    /** Changes listener {@code name}, adding it when there is none. */
    public TestConfig listener(String name, Consumer<Section> change) {
        change.accept(new Section(section(root, "listeners." + name)));
        return this;
    }

    /** Pool {@code name} with these backends (each an address, or a map such as {@link #backend(String, int)}). */
    public TestConfig pool(String name, Object... backends) {
        return pool(name, p -> p.backends(backends));
    }

    /** Changes pool {@code name}, adding it when there is none. */
    public TestConfig pool(String name, Consumer<Pool> change) {
        change.accept(new Pool(section(root, "pools." + name)));
        return this;
    }

    /** The admin endpoint on 127.0.0.1:0, with this bearer token (null for none). */
    public TestConfig admin(String token) {
        set("admin.bind", "127.0.0.1:0");
        return token == null ? remove("admin.token") : set("admin.token", token);
    }

    /** An environment variable for the config's {@code ${VAR}} references (the process environment is not used). */
    public TestConfig env(String name, String value) {
        env.put(name, value);
        return this;
    }

    /** Sets the value at a dotted YAML path ({@code listeners.l.idle-timeout}), making the sections on the way. */
    public TestConfig set(String path, Object value) {
        put(root, path, value);
        return this;
    }

    /** Removes the value at a dotted YAML path, so the default applies. */
    public TestConfig remove(String path) {
        int dot = path.lastIndexOf('.');
        Map<String, Object> parent = dot < 0 ? root : section(root, path.substring(0, dot));
        parent.remove(path.substring(dot + 1));
        return this;
    }

    /** A copy to change without changing this one (a reload's next config). */
    public TestConfig copy() {
        TestConfig copy = new TestConfig();
        copy.root.putAll(deepCopy(root));
        copy.env.putAll(env);
        return copy;
    }

    public String yaml() {
        DumperOptions options = new DumperOptions();
        options.setDefaultFlowStyle(DumperOptions.FlowStyle.BLOCK);
        options.setIndent(2);
        return new Yaml(options).dump(root);
    }

    /** Parsed and validated by the real loader. */
    public Config config() {
        try {
            return ConfigLoader.parse(yaml(), env);
        } catch (ConfigException e) {
            throw new IllegalArgumentException(e.getMessage() + "\n" + yaml(), e);
        }
    }

    /** Writes the YAML to {@code file} (for a start from a file, or the next reload) and returns the file. */
    public Path writeTo(Path file) {
        try {
            Files.writeString(file, yaml());
            return file;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    public RunningWeir start() throws Exception {
        return RunningWeir.with(this).start();
    }

    @Override
    public String toString() {
        return yaml();
    }

    /** A listener, or any other section: values at paths relative to it. */
    public static class Section {

        final Map<String, Object> map;

        Section(Map<String, Object> map) {
            this.map = map;
        }

        public Section set(String path, Object value) {
            put(map, path, value);
            return this;
        }
    }

    /** A pool: its settings and its backends. */
    public static final class Pool extends Section {

        Pool(Map<String, Object> map) {
            super(map);
        }

        @Override
        public Pool set(String path, Object value) {
            super.set(path, value);
            return this;
        }

        /** Replaces the backend list. */
        public Pool backends(Object... backends) {
            map.put("backends", new ArrayList<>(List.of(backends)));
            return this;
        }

        /** Adds a backend: an address or a map. */
        @SuppressWarnings("unchecked")
        public Pool add(Object backend) {
            ((List<Object>) map.computeIfAbsent("backends", k -> new ArrayList<>())).add(backend);
            return this;
        }

        /** {@code health-check:} of this type with these settings (name, value, name, value...). */
        public Pool healthCheck(String type, Object... settings) {
            Map<String, Object> check = new LinkedHashMap<>();
            check.put("type", type);
            for (int i = 0; i < settings.length; i += 2) {
                check.put((String) settings[i], settings[i + 1]);
            }
            map.put("health-check", check);
            return this;
        }
    }

    /** {@code {address: ..., weight: ...}}. */
    public static Map<String, Object> backend(String address, int weight) {
        return map("address", address, "weight", weight);
    }

    /** {@code name, value, name, value...} as a YAML map (a nested section given whole). */
    public static Map<String, Object> map(Object... entries) {
        Map<String, Object> m = new LinkedHashMap<>();
        for (int i = 0; i < entries.length; i += 2) {
            m.put((String) entries[i], entries[i + 1]);
        }
        return m;
    }

    private static void put(Map<String, Object> from, String path, Object value) {
        int dot = path.lastIndexOf('.');
        Map<String, Object> parent = dot < 0 ? from : section(from, path.substring(0, dot));
        parent.put(path.substring(dot + 1), value);
    }

    @SuppressWarnings("unchecked")
    private static Map<String, Object> section(Map<String, Object> from, String path) {
        Map<String, Object> at = from;
        for (String key : path.split("\\.")) {
            Object next = at.get(key);
            if (!(next instanceof Map)) {
                next = new LinkedHashMap<String, Object>();
                at.put(key, next);
            }
            at = (Map<String, Object>) next;
        }
        return at;
    }

    @SuppressWarnings("unchecked")
    private static Map<String, Object> deepCopy(Map<String, Object> map) {
        Map<String, Object> copy = new LinkedHashMap<>();
        map.forEach((k, v) -> copy.put(k, v instanceof Map ? deepCopy((Map<String, Object>) v)
                : v instanceof List<?> l ? new ArrayList<>(l) : v));
        return copy;
    }
}
