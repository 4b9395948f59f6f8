package dev.weir.proxy;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import picocli.CommandLine;

/**
 * The commands that README.md, docs/*.md and the Dockerfiles' comments tell a reader to type: the files and
 * modules they name exist, each {@code weir} command line is one the CLI accepts, each WEIR_ variable the docs
 * name is one something reads, the docs' heap share is the launcher's, and the image's build context holds what
 * the Dockerfiles copy. Nothing is run: what can be checked without a build, a network or Docker.
 */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class DocCommandsTest {

    private static final Path REPO = Path.of("..").toAbsolutePath().normalize();
    private static final Pattern FENCE = Pattern.compile("(?ms)^```sh\\n(.*?)^```");
    /** A path in the repository as a command names it: from a top-level directory, or ./ for a root script. */
    private static final Pattern REPO_PATH = Pattern.compile(
            "^(?:\\./)?(?:config|deploy|docs|bench|proxy|backend-sample|it-containers|\\.ci)/[\\w./-]*$|^\\./[\\w.-]+$");
    private static final Pattern WEIR = Pattern.compile(
            "(?:java -jar proxy/target/weir\\.jar|deploy/bin/weir|/opt/weir/bin/weir)((?: +[^\\s&|;<>]+)*)");

    /** One command line of a doc: its continuation lines joined, its comment cut off. */
    record Command(String source, String line) {
        @Override
        public String toString() {
            return source + ": " + line;
        }
    }

    private static List<Path> docs() throws IOException {
        List<Path> docs = new ArrayList<>(List.of(REPO.resolve("README.md")));
        try (Stream<Path> files = Files.list(REPO.resolve("docs"))) {
            files.filter(p -> p.toString().endsWith(".md")).sorted().forEach(docs::add);
        }
        return docs;
    }

    /** The lines of every fenced sh block in the docs, and the indented commands of the Dockerfiles' comments. */
    static List<Command> commands() throws IOException {
        List<Command> commands = new ArrayList<>();
        for (Path doc : docs()) {
            Matcher m = FENCE.matcher(Files.readString(doc));
            while (m.find()) {
                split(REPO.relativize(doc).toString(), m.group(1), commands);
            }
        }
        for (String dockerfile : List.of("deploy/Dockerfile", "deploy/backend-sample.Dockerfile")) {
            String header = Files.readAllLines(REPO.resolve(dockerfile)).stream().filter(l -> l.startsWith("#   "))
                    .map(l -> l.substring(4)).collect(Collectors.joining("\n"));
            split(dockerfile, header, commands);
        }
        return commands;
    }

    private static void split(String source, String block, List<Command> into) {
        for (String line : block.replace("\\\n", " ").split("\n")) {
            String command = uncomment(line).strip();
            if (!command.isEmpty()) {
                into.add(new Command(source, command));
            }
        }
    }

    /** The line up to a {@code #} that starts a comment (after a blank, outside quotes). */
    private static String uncomment(String line) {
        char quote = 0;
        for (int i = 0; i < line.length(); i++) {
            char c = line.charAt(i);
            if (quote != 0) {
                quote = c == quote ? 0 : quote;
            } else if (c == '"' || c == '\'') {
                quote = c;
            } else if (c == '#' && (i == 0 || Character.isWhitespace(line.charAt(i - 1)))) {
                return line.substring(0, i);
            }
        }
        return line;
    }

    private static List<String> words(String line) {
        return Arrays.stream(line.split("\\s+")).map(w -> w.replaceAll("^[\"']|[\"']$", "")).toList();
    }

    @Test
    void theDocsHaveCommandsToCheck() throws IOException {
        assertThat(commands()).extracting(Command::line)
                .contains("./test-all", "mvn -q package -DskipTests && java -jar proxy/target/weir.jar demo");
    }

    /** Build outputs (target/) come from `mvn package`, a bench run's --out directory from the run; everything else a command names must be in the repository. */
    @Test
    void everyFileAndModuleACommandNamesExists() throws IOException {
        List<String> missing = new ArrayList<>();
        for (Command c : commands()) {
            List<String> words = words(c.line());
            for (int i = 0; i < words.size(); i++) {
                String w = words.get(i);
                boolean output = i > 0 && words.get(i - 1).equals("--out"); // made by the command
                if (REPO_PATH.matcher(w).matches() && !w.contains("/target/") && !output && !Files.exists(REPO.resolve(w))) {
                    missing.add(w + " (" + c + ")");
                }
                if (w.equals("-pl") && i + 1 < words.size()) {
                    for (String module : words.get(i + 1).split(",")) {
                        if (!Files.isRegularFile(REPO.resolve(module).resolve("pom.xml"))) {
                            missing.add("module " + module + " (" + c + ")");
                        }
                    }
                }
                Matcher test = Pattern.compile("^-Dtest=([A-Z]\\w+)$").matcher(w);
                if (test.matches() && !testClassExists(test.group(1))) {
                    missing.add("test class " + test.group(1) + " (" + c + ")");
                }
            }
        }
        assertThat(missing).as("named by a command in the docs, but not in the repository").isEmpty();
    }

    private static boolean testClassExists(String name) throws IOException {
        try (Stream<Path> files = Files.walk(REPO, 12)) {
            return files.anyMatch(p -> p.toString().contains("/src/test/") && p.getFileName().toString().equals(name + ".java"));
        }
    }

    @Test
    void everyWeirCommandLineIsOneTheCliAccepts() throws IOException {
        List<String> rejected = new ArrayList<>();
        int checked = 0;
        for (Command c : commands()) {
            Matcher m = WEIR.matcher(c.line());
            while (m.find()) {
                String[] args = m.group(1).strip().isEmpty() ? new String[0] : m.group(1).strip().split(" +");
                checked++;
                try {
                    Main.commandLine().parseArgs(args);
                } catch (CommandLine.ParameterException e) {
                    rejected.add(c + " -> " + e.getMessage());
                }
            }
        }
        assertThat(checked).as("weir command lines found").isPositive();
        assertThat(rejected).isEmpty();
    }

    /** A variable the docs tell a reader to set is read by a config, the launcher or the code. */
    @Test
    void everyWeirVariableTheDocsNameIsRead() throws IOException {
        Set<String> named = new LinkedHashSet<>();
        for (Path doc : docs()) {
            Matcher m = Pattern.compile("\\bWEIR_[A-Z0-9_]*[A-Z0-9]\\b").matcher(Files.readString(doc));
            while (m.find()) {
                named.add(m.group());
            }
        }
        StringBuilder readers = new StringBuilder();
        for (String dir : List.of("config", "deploy", "proxy/src/main", "backend-sample/src/main")) {
            try (Stream<Path> files = Files.walk(REPO.resolve(dir))) {
                for (Path f : files.filter(Files::isRegularFile).toList()) {
                    readers.append(Files.readString(f)).append('\n');
                }
            }
        }
        assertThat(named).isNotEmpty();
        assertThat(named.stream().filter(v -> !Pattern.compile("\\b" + v + "\\b").matcher(readers).find()))
                .as("WEIR_ variables in the docs that nothing in config/, deploy/ or the code reads").isEmpty();
    }

    /** The heap share the docs and deploy files state is the launcher's default (WEIR_HEAP). */
    @Test
    void theHeapShareInTheDocsIsTheLaunchers() throws IOException {
        Matcher def = Pattern.compile("WEIR_HEAP:-(\\d+)").matcher(Files.readString(REPO.resolve("deploy/bin/weir")));
        assertThat(def.find()).isTrue();
        List<Path> files = new ArrayList<>(docs());
        files.addAll(List.of(REPO.resolve("deploy/Dockerfile"), REPO.resolve("deploy/kubernetes/deployment.yaml")));
        Pattern share = Pattern.compile("MaxRAMPercentage=(\\d+)|heap (?:is )?(\\d+) ?%|(\\d+) ?% of the limit");
        List<String> found = new ArrayList<>();
        for (Path f : files) {
            Matcher m = share.matcher(Files.readString(f));
            while (m.find()) {
                String n = m.group(1) != null ? m.group(1) : m.group(2) != null ? m.group(2) : m.group(3);
                found.add(n + " (" + REPO.relativize(f) + ": " + m.group() + ")");
            }
        }
        assertThat(found).isNotEmpty().allMatch(s -> s.startsWith(def.group(1) + " "), "the launcher's " + def.group(1));
    }

    /** The build context lets in exactly what the Dockerfiles copy. */
    @Test
    void theDockerignoreLetsInWhatTheDockerfilesCopy() throws IOException {
        List<String> ignore = Files.readAllLines(REPO.resolve(".dockerignore")).stream()
                .filter(l -> !l.isBlank() && !l.startsWith("#")).toList();
        assertThat(ignore).first().isEqualTo("*");
        Set<String> copied = new LinkedHashSet<>();
        for (String dockerfile : List.of("deploy/Dockerfile", "deploy/backend-sample.Dockerfile")) {
            for (String line : Files.readAllLines(REPO.resolve(dockerfile))) {
                if (line.startsWith("COPY ")) {
                    List<String> w = words(line);
                    copied.addAll(w.subList(1, w.size() - 1));
                }
            }
        }
        assertThat(ignore.subList(1, ignore.size())).containsExactlyInAnyOrderElementsOf(
                copied.stream().map(p -> "!" + p).toList());
    }

    /** The Dockerfiles' comments show the commands of docs/deploy.md, not another version of them. */
    @Test
    void theDockerfileCommentsShowTheDocsCommands() throws IOException {
        List<String> docs = commands().stream().filter(c -> c.source().equals("docs/deploy.md")).map(Command::line).toList();
        List<String> header = commands().stream().filter(c -> c.source().equals("deploy/Dockerfile"))
                .map(Command::line).toList();
        assertThat(header).isNotEmpty();
        assertThat(docs).containsAll(header);
    }
}
