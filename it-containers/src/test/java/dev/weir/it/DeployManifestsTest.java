package dev.weir.it;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.fail;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.weir.proxy.config.BalanceKind;
import dev.weir.proxy.config.Config;
import dev.weir.proxy.config.ConfigException;
import dev.weir.proxy.config.ConfigLoader;
import dev.weir.proxy.config.DiscoveryConfig;
import dev.weir.proxy.config.ListenerConfig;
import dev.weir.proxy.config.PoolConfig;
import org.junit.jupiter.api.Test;
import org.yaml.snakeyaml.LoaderOptions;
import org.yaml.snakeyaml.Yaml;
import org.yaml.snakeyaml.constructor.SafeConstructor;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Collectors;
import java.util.stream.Stream;

/**
 * Every YAML file in deploy/ parses, every Weir config in it (files and ConfigMap entries) passes Weir's own loader,
 * and the fields that must agree with Weir do: ports, probe paths, grace period against drain timeout, DNS
 * discovery against the headless Service, the Dockerfiles against the baked-in config, the systemd unit against
 * its config, and the JRE image's modules against what the jars need. No Docker needed.
 */
@org.junit.jupiter.api.Timeout(value = 60, unit = java.util.concurrent.TimeUnit.SECONDS)
class DeployManifestsTest {

    static final Path REPO = Path.of(System.getProperty("weir.repo", "..")).toAbsolutePath().normalize();
    static final Path DEPLOY = REPO.resolve("deploy");
    static final Map<String, String> ENV = Map.of("WEIR_ADMIN_TOKEN", "test-token");

    /** One YAML document of a file under deploy/. */
    record Doc(Path file, Map<String, Object> body) {
        boolean isKubernetes() {
            return body.containsKey("apiVersion");
        }

        String kind() {
            return str(body, "kind");
        }

        String name() {
            return str(body, "metadata", "name");
        }

        String namespace() {
            String ns = str(body, "metadata", "namespace");
            return ns == null ? "default" : ns;
        }

        @Override
        public String toString() {
            return DEPLOY.relativize(file) + (isKubernetes() ? " " + kind() + "/" + name() : "");
        }
    }

    @Test
    void everyYamlFileParsesAndEveryWeirConfigInItIsValid() throws IOException {
        List<String> weirConfigs = new ArrayList<>();
        for (Doc doc : docs()) {
            if (doc.isKubernetes()) {
                assertThat(doc.kind()).as(doc + ": kind").isNotBlank();
                if (!doc.kind().equals("Kustomization")) {
                    assertThat(doc.name()).as(doc + ": metadata.name").isNotBlank();
                }
                if (doc.kind().equals("ConfigMap")) {
                    map(doc.body, "data").forEach((key, text) -> {
                        if (key.endsWith(".yaml") || key.endsWith(".yml")) {
                            weirConfig(String.valueOf(text), doc + " data." + key);
                            weirConfigs.add(doc + " data." + key);
                        }
                    });
                }
            } else {
                weirConfig(Files.readString(doc.file), doc.toString());
                weirConfigs.add(doc.toString());
            }
        }
        assertThat(weirConfigs).contains("weir.yaml", "systemd/weir.yaml",
                "kubernetes/configmap.yaml ConfigMap/weir-config data.weir.yaml");
    }

    @Test
    void kustomizationListsEveryManifest() throws IOException {
        Doc kustomization = only("Kustomization", null);
        Set<String> listed = list(kustomization.body, "resources").stream().map(String::valueOf)
                .collect(Collectors.toSet());
        Set<String> files;
        try (Stream<Path> s = Files.list(DEPLOY.resolve("kubernetes"))) {
            files = s.map(p -> p.getFileName().toString())
                    .filter(n -> n.endsWith(".yaml") && !n.equals("kustomization.yaml")).collect(Collectors.toSet());
        }
        assertThat(listed).isEqualTo(files);
    }

    @Test
    void deploymentAgreesWithItsConfigMap() throws IOException {
        Doc deployment = only("Deployment", "weir");
        Map<String, Object> pod = map(deployment.body, "spec", "template", "spec");
        Map<String, Object> container = weirContainer(deployment);
        Config config = mountedConfig(deployment);

        assertThat(num(deployment.body, "spec", "replicas")).as("replicas").isEqualTo(2);
        Map<String, Integer> ports = containerPorts(container);
        Set<Integer> listenerPorts = config.listeners().values().stream().map(l -> l.bind().port())
                .collect(Collectors.toSet());
        assertThat(ports.values()).as("container ports vs the listeners").containsAll(listenerPorts);

        assertThat(config.admin().bind()).as("admin endpoint on").isNotNull();
        int adminPort = config.admin().bind().port();
        assertThat(config.admin().bind().host()).as("the kubelet probes the pod IP, not loopback")
                .isIn("0.0.0.0", "::", "[::]");
        assertThat(probe(container, "readinessProbe", ports)).isEqualTo("/readyz:" + adminPort);
        assertThat(probe(container, "livenessProbe", ports)).isEqualTo("/healthz:" + adminPort);

        long grace = num(pod, "terminationGracePeriodSeconds");
        Number preStopSleep = (Number) get(container, "lifecycle", "preStop", "sleep", "seconds");
        assertThat(preStopSleep).as("preStop").isNotNull();
        long drain = config.shutdown().drainTimeout().toSeconds();
        assertThat(grace).as("terminationGracePeriodSeconds > preStop sleep + shutdown.drain-timeout (%ds + %ds)",
                preStopSleep.longValue(), drain).isGreaterThan(preStopSleep.longValue() + drain);

        assertThat(map(container, "resources", "requests")).containsKeys("cpu", "memory");
        assertThat(get(pod, "securityContext", "runAsNonRoot")).isEqualTo(true);
        assertThat(num(pod, "securityContext", "runAsUser")).isNotZero();
        if (Boolean.TRUE.equals(get(container, "securityContext", "readOnlyRootFilesystem"))) {
            assertThat(mountPaths(container)).as("Netty's native transport is extracted to /tmp").contains("/tmp");
        }
        String configText = configMapEntry(deployment);
        for (Matcher m = Pattern.compile("\\$\\{([A-Za-z_][A-Za-z0-9_]*)}").matcher(configText); m.find(); ) {
            assertThat(envNames(container)).as("${%s} without a default must be set", m.group(1)).contains(m.group(1));
        }
    }

    @Test
    void serviceAndDisruptionBudgetSelectTheReplicas() throws IOException {
        Doc deployment = only("Deployment", "weir");
        Map<String, Object> podLabels = map(deployment.body, "spec", "template", "metadata", "labels");
        Map<String, Integer> ports = containerPorts(weirContainer(deployment));
        Config config = mountedConfig(deployment);
        Set<Integer> listenerPorts = config.listeners().values().stream().map(l -> l.bind().port())
                .collect(Collectors.toSet());

        Doc service = only("Service", "weir");
        assertThat(str(service.body, "spec", "type")).isEqualTo("LoadBalancer");
        assertThat(podLabels).containsAllEntriesOf(map(service.body, "spec", "selector"));
        for (Object o : list(service.body, "spec", "ports")) {
            @SuppressWarnings("unchecked")
            Map<String, Object> port = (Map<String, Object>) o;
            int target = resolvePort(port.getOrDefault("targetPort", port.get("port")), ports);
            assertThat(listenerPorts).as("Service port %s -> a listener", port.get("name")).contains(target);
        }
        boolean ipHash = config.pools().values().stream().anyMatch(p -> p.balance() == BalanceKind.IP_HASH);
        if (ipHash) {
            assertThat(str(service.body, "spec", "externalTrafficPolicy"))
                    .as("ip-hash needs the client's own IP").isEqualTo("Local");
        }

        Doc pdb = only("PodDisruptionBudget", "weir");
        assertThat(podLabels).containsAllEntriesOf(map(pdb.body, "spec", "selector", "matchLabels"));
        assertThat(num(pdb.body, "spec", "minAvailable")).as("an eviction stays possible")
                .isLessThan(num(deployment.body, "spec", "replicas"));
    }

    @Test
    void dnsDiscoveryNamesAHeadlessServiceOfTheBackends() throws IOException {
        Doc deployment = only("Deployment", "weir");
        Config config = mountedConfig(deployment);
        List<PoolConfig> discovered = config.pools().values().stream().filter(p -> p.discovery() != null).toList();
        assertThat(discovered).as("a pool with DNS discovery").isNotEmpty();
        for (PoolConfig pool : discovered) {
            DiscoveryConfig d = pool.discovery();
            String[] labels = d.dns().replaceAll("\\.$", "").split("\\.");
            String namespace = labels.length > 1 ? labels[1] : deployment.namespace();
            Doc service = only("Service", labels[0]);
            assertThat(service.namespace()).as(d.dns()).isEqualTo(namespace);
            assertThat(str(service.body, "spec", "clusterIP")).as("headless: one record per pod").isEqualTo("None");
            Map<String, Object> selector = map(service.body, "spec", "selector");
            Doc backends = docs().stream()
                    .filter(x -> "Deployment".equals(x.kind()) && x.namespace().equals(namespace))
                    .filter(x -> map(x.body, "spec", "template", "metadata", "labels").entrySet()
                            .containsAll(selector.entrySet()))
                    .findFirst().orElseThrow(() -> new AssertionError("no Deployment behind Service " + labels[0]));
            Set<Integer> backendPorts = new HashSet<>();
            for (Object c : list(backends.body, "spec", "template", "spec", "containers")) {
                @SuppressWarnings("unchecked")
                Map<String, Object> container = (Map<String, Object>) c;
                backendPorts.addAll(containerPorts(container).values());
            }
            assertThat(backendPorts).as("pools.%s.discovery.port", pool.name()).contains(d.port());
        }
    }

    @Test
    void dockerfilesAgreeWithTheBakedInConfig() throws IOException {
        List<String> dockerfile = instructions(DEPLOY.resolve("Dockerfile"));
        Config baked = weirConfig(Files.readString(DEPLOY.resolve("weir.yaml")), "weir.yaml");
        assertThat(dockerfile).contains("ARG JRE_IMAGE=eclipse-temurin:21-jre", "FROM ${JRE_IMAGE}",
                "STOPSIGNAL SIGTERM", "COPY proxy/target/weir.jar /opt/weir/weir.jar",
                "COPY deploy/weir.yaml /etc/weir/weir.yaml");
        assertThat(user(dockerfile)).isNotIn("", "0", "root");
        // The image has no shell for the launcher: its ENTRYPOINT carries the launcher's memory flags itself.
        String launcher = Files.readString(DEPLOY.resolve("bin/weir"));
        Matcher heap = Pattern.compile("WEIR_HEAP:-(\\d+)").matcher(launcher);
        assertThat(heap.find()).isTrue();
        assertThat(String.join("\n", dockerfile)).contains("\"-XX:MaxRAMPercentage=" + heap.group(1) + "\"",
                "\"-XX:+ExitOnOutOfMemoryError\"", "\"-XX:+UseParallelGC\"");
        assertThat(launcher).contains("-XX:+ExitOnOutOfMemoryError", "-XX:+UseParallelGC");
        Set<Integer> exposed = exposed(dockerfile);
        for (ListenerConfig l : baked.listeners().values()) {
            assertThat(exposed).as("EXPOSE the listener %s", l.name()).contains(l.bind().port());
        }
        assertThat(exposed).as("EXPOSE the admin port").contains(baked.admin().bind().port());
        assertThat(String.join("\n", dockerfile)).contains("\"run\", \"-c\", \"/etc/weir/weir.yaml\"");

        List<String> sample = instructions(DEPLOY.resolve("backend-sample.Dockerfile"));
        assertThat(sample).contains("ARG JRE_IMAGE=eclipse-temurin:21-jre", "FROM ${JRE_IMAGE}", "STOPSIGNAL SIGTERM");
        assertThat(user(sample)).isNotIn("", "0", "root");
        Matcher cmdPort = Pattern.compile("\"--port\", \"(\\d+)\"").matcher(String.join("\n", sample));
        assertThat(cmdPort.find()).isTrue();
        assertThat(exposed(sample)).contains(Integer.parseInt(cmdPort.group(1)));
    }

    @Test
    void systemdUnitAgreesWithItsConfig() throws IOException {
        Map<String, List<String>> unit = unit(DEPLOY.resolve("systemd/weir.service"));
        Config config = weirConfig(Files.readString(DEPLOY.resolve("systemd/weir.yaml")), "systemd/weir.yaml");

        assertThat(one(unit, "ExecStart")).isEqualTo("/opt/weir/bin/weir run -c /etc/weir/weir.yaml");
        assertThat(one(unit, "CacheDirectory")).as("the launcher's class archive under XDG_CACHE_HOME").isEqualTo("weir");
        assertThat(one(unit, "Environment")).contains("XDG_CACHE_HOME=/var/cache");
        assertThat(one(unit, "ExecReload")).matches(".*kill -(HUP|s HUP|SIGHUP) \\$MAINPID");
        assertThat(one(unit, "KillSignal")).isEqualTo("SIGTERM");
        assertThat(one(unit, "User")).isNotIn("root", "0");
        Duration stop = systemdSeconds(one(unit, "TimeoutStopSec"));
        assertThat(stop).as("TimeoutStopSec > shutdown.drain-timeout").isGreaterThan(config.shutdown().drainTimeout());
        long sockets = 2L * config.listeners().values().stream().mapToLong(ListenerConfig::maxConnections).sum();
        assertThat(Long.parseLong(one(unit, "LimitNOFILE"))).as("2 sockets per connection").isGreaterThan(sockets);
        boolean lowPort = config.listeners().values().stream().anyMatch(l -> l.bind().port() < 1024);
        assertThat(lowPort).as("the example binds below 1024, which the capability is for").isTrue();
        assertThat(one(unit, "AmbientCapabilities")).contains("CAP_NET_BIND_SERVICE");
        assertThat(one(unit, "CapabilityBoundingSet")).contains("CAP_NET_BIND_SERVICE");
        assertThat(one(unit, "RestartPreventExitStatus")).as("a bad config is not restarted").isEqualTo("2");
    }

    /**
     * deploy/local-jre-image.sh links a fixed module list; every module that jdeps finds the shaded jars need
     * must be in it, or the image fails at run time with NoClassDefFoundError.
     */
    @Test
    void jreImageHasEveryModuleTheJarsNeed() throws Exception {
        Path weirJar = REPO.resolve("proxy/target/weir.jar");
        Path sampleJar = REPO.resolve("backend-sample/target/backend-sample.jar");
        Path jdeps = Path.of(System.getProperty("java.home"), "bin", "jdeps");
        assumeTrue(Files.isRegularFile(weirJar) && Files.isRegularFile(sampleJar), "jars not built (mvn package)");
        assumeTrue(Files.isExecutable(jdeps), "no jdeps in " + System.getProperty("java.home"));

        String needed = run(jdeps.toString(), "--ignore-missing-deps", "--multi-release", "17",
                "--print-module-deps", weirJar.toString(), sampleJar.toString());
        String linked = run("bash", DEPLOY.resolve("local-jre-image.sh").toString(), "--modules");
        Set<String> have = Set.of(linked.trim().split(","));
        assertThat(have).as("modules of local-jre-image.sh").containsAll(Arrays.asList(lastLine(needed).split(",")));
    }

    // ---- helpers

    static Config weirConfig(String yaml, String source) {
        try {
            return ConfigLoader.parse(yaml, ENV, source);
        } catch (ConfigException e) {
            return fail(source + " is not a valid Weir config:\n  " + String.join("\n  ", e.errors()));
        }
    }

    static List<Doc> docs() throws IOException {
        List<Path> files;
        try (Stream<Path> s = Files.walk(DEPLOY)) {
            files = s.filter(p -> p.toString().endsWith(".yaml") || p.toString().endsWith(".yml")).sorted().toList();
        }
        assertThat(files).isNotEmpty();
        List<Doc> docs = new ArrayList<>();
        for (Path file : files) {
            Yaml yaml = new Yaml(new SafeConstructor(new LoaderOptions()));
            int n = 0;
            for (Object o : yaml.loadAll(Files.readString(file, StandardCharsets.UTF_8))) {
                if (o == null) {
                    continue;
                }
                assertThat(o).as(file + ": document " + n).isInstanceOf(Map.class);
                @SuppressWarnings("unchecked")
                Map<String, Object> body = (Map<String, Object>) o;
                docs.add(new Doc(file, body));
                n++;
            }
            assertThat(n).as(file + " has a document").isPositive();
        }
        return docs;
    }

    static Doc only(String kind, String name) throws IOException {
        List<Doc> found = docs().stream()
                .filter(d -> kind.equals(d.kind()) && (name == null || name.equals(d.name()))).toList();
        assertThat(found).as(kind + "/" + name).hasSize(1);
        return found.get(0);
    }

    @SuppressWarnings("unchecked")
    static Map<String, Object> weirContainer(Doc deployment) {
        List<Object> containers = list(deployment.body, "spec", "template", "spec", "containers");
        return (Map<String, Object>) containers.stream()
                .filter(c -> "weir".equals(((Map<String, Object>) c).get("name"))).findFirst()
                .orElseThrow(() -> new AssertionError("no container named weir in " + deployment));
    }

    /** The text of the ConfigMap entry the Deployment mounts where Weir reads its config. */
    @SuppressWarnings("unchecked")
    static String configMapEntry(Doc deployment) throws IOException {
        Map<String, Object> container = weirContainer(deployment);
        List<Object> args = list(container, "args");
        int c = args.indexOf("-c");
        String file = c >= 0 ? String.valueOf(args.get(c + 1)) : "/etc/weir/weir.yaml";
        Path configPath = Path.of(file);
        String volume = null;
        for (Object m : list(container, "volumeMounts")) {
            Map<String, Object> mount = (Map<String, Object>) m;
            if (configPath.getParent().toString().equals(mount.get("mountPath"))) {
                assertThat(mount).as("a subPath mount never sees ConfigMap updates").doesNotContainKey("subPath");
                volume = String.valueOf(mount.get("name"));
            }
        }
        assertThat(volume).as("a volume mounted at " + configPath.getParent()).isNotNull();
        String configMap = null;
        for (Object v : list(deployment.body, "spec", "template", "spec", "volumes")) {
            Map<String, Object> vol = (Map<String, Object>) v;
            if (volume.equals(vol.get("name"))) {
                configMap = str(vol, "configMap", "name");
            }
        }
        assertThat(configMap).as("volume " + volume + " is a ConfigMap").isNotNull();
        Doc cm = only("ConfigMap", configMap);
        Object text = map(cm.body, "data").get(configPath.getFileName().toString());
        assertThat(text).as("ConfigMap " + configMap + " has " + configPath.getFileName()).isNotNull();
        return String.valueOf(text);
    }

    static Config mountedConfig(Doc deployment) throws IOException {
        return weirConfig(configMapEntry(deployment), "ConfigMap of " + deployment);
    }

    /** Container port name -> number (unnamed ports under their number). */
    @SuppressWarnings("unchecked")
    static Map<String, Integer> containerPorts(Map<String, Object> container) {
        Map<String, Integer> ports = new LinkedHashMap<>();
        for (Object p : list(container, "ports")) {
            Map<String, Object> port = (Map<String, Object>) p;
            int number = ((Number) port.get("containerPort")).intValue();
            ports.put(port.containsKey("name") ? String.valueOf(port.get("name")) : String.valueOf(number), number);
        }
        return ports;
    }

    static int resolvePort(Object ref, Map<String, Integer> ports) {
        if (ref instanceof Number n) {
            return n.intValue();
        }
        Integer number = ports.get(String.valueOf(ref));
        assertThat(number).as("port named " + ref + " among " + ports).isNotNull();
        return number;
    }

    /** "path:port" of an httpGet probe. */
    static String probe(Map<String, Object> container, String probe, Map<String, Integer> ports) {
        Map<String, Object> http = map(container, probe, "httpGet");
        return http.get("path") + ":" + resolvePort(http.get("port"), ports);
    }

    @SuppressWarnings("unchecked")
    static Set<String> mountPaths(Map<String, Object> container) {
        return list(container, "volumeMounts").stream().map(m -> String.valueOf(((Map<String, Object>) m).get("mountPath")))
                .collect(Collectors.toSet());
    }

    @SuppressWarnings("unchecked")
    static Set<String> envNames(Map<String, Object> container) {
        return list(container, "env").stream().map(e -> String.valueOf(((Map<String, Object>) e).get("name")))
                .collect(Collectors.toSet());
    }

    /** Dockerfile instructions, one per entry, continuation lines joined, comments dropped. */
    static List<String> instructions(Path dockerfile) throws IOException {
        List<String> out = new ArrayList<>();
        StringBuilder current = new StringBuilder();
        for (String line : Files.readAllLines(dockerfile)) {
            String t = line.strip();
            if (t.isEmpty() || t.startsWith("#")) {
                continue;
            }
            if (t.endsWith("\\")) {
                current.append(t, 0, t.length() - 1).append(' ');
                continue;
            }
            out.add(current.append(t).toString().replaceAll("\\s+", " "));
            current.setLength(0);
        }
        return out;
    }

    static String user(List<String> instructions) {
        return instructions.stream().filter(i -> i.startsWith("USER ")).reduce((a, b) -> b).map(i -> i.substring(5))
                .map(u -> u.split(":")[0]).orElse("");
    }

    static Set<Integer> exposed(List<String> instructions) {
        return instructions.stream().filter(i -> i.startsWith("EXPOSE "))
                .flatMap(i -> Arrays.stream(i.substring(7).split(" ")))
                .map(p -> Integer.parseInt(p.replaceAll("/.*", ""))).collect(Collectors.toSet());
    }

    /** A systemd unit: key -> values, over all sections. */
    static Map<String, List<String>> unit(Path file) throws IOException {
        Map<String, List<String>> out = new LinkedHashMap<>();
        for (String line : Files.readAllLines(file)) {
            String t = line.strip();
            if (t.isEmpty() || t.startsWith("#") || t.startsWith(";") || t.startsWith("[")) {
                continue;
            }
            int eq = t.indexOf('=');
            assertThat(eq).as("unit line: " + t).isPositive();
            out.computeIfAbsent(t.substring(0, eq).strip(), k -> new ArrayList<>()).add(t.substring(eq + 1).strip());
        }
        return out;
    }

    static String one(Map<String, List<String>> unit, String key) {
        List<String> values = unit.get(key);
        assertThat(values).as(key).isNotNull().hasSize(1);
        return values.get(0);
    }

    /** systemd time spans as used here: "45", "45s", "2min", "1min 30s". */
    static Duration systemdSeconds(String text) {
        Duration total = Duration.ZERO;
        Matcher m = Pattern.compile("(\\d+)\\s*(ms|s|sec|min|m|h)?").matcher(text);
        while (m.find()) {
            long n = Long.parseLong(m.group(1));
            String unit = m.group(2) == null ? "s" : m.group(2);
            total = total.plus(switch (unit) {
                case "ms" -> Duration.ofMillis(n);
                case "min", "m" -> Duration.ofMinutes(n);
                case "h" -> Duration.ofHours(n);
                default -> Duration.ofSeconds(n);
            });
        }
        return total;
    }

    static String run(String... command) throws IOException, InterruptedException {
        Process p = new ProcessBuilder(command).redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertThat(p.waitFor(2, TimeUnit.MINUTES)).isTrue();
        assertThat(p.exitValue()).as(String.join(" ", command) + ":\n" + out).isZero();
        return out;
    }

    static String lastLine(String text) {
        String[] lines = text.strip().split("\n");
        return lines[lines.length - 1].strip();
    }

    static Object get(Map<String, Object> root, String... path) {
        Object at = root;
        for (String key : path) {
            if (!(at instanceof Map<?, ?> m)) {
                return null;
            }
            at = m.get(key);
        }
        return at;
    }

    @SuppressWarnings("unchecked")
    static Map<String, Object> map(Map<String, Object> root, String... path) {
        Object o = get(root, path);
        assertThat(o).as(String.join(".", path)).isInstanceOf(Map.class);
        return (Map<String, Object>) o;
    }

    @SuppressWarnings("unchecked")
    static List<Object> list(Map<String, Object> root, String... path) {
        Object o = get(root, path);
        assertThat(o).as(String.join(".", path)).isInstanceOf(List.class);
        return (List<Object>) o;
    }

    static String str(Map<String, Object> root, String... path) {
        Object o = get(root, path);
        return o == null ? null : String.valueOf(o);
    }

    static long num(Map<String, Object> root, String... path) {
        Object o = get(root, path);
        assertThat(o).as(String.join(".", path)).isInstanceOf(Number.class);
        return ((Number) o).longValue();
    }
}
