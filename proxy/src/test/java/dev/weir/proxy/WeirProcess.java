package dev.weir.proxy;

import static org.awaitility.Awaitility.await;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * proxy/target/weir.jar started as a real process; its output is collected line by line. Every child starts with
 * the default disposition for every signal ({@link #RESET_SIGNALS}): a child inherits an ignored signal, and a build
 * run in the background (a non-interactive shell's {@code &}) ignores SIGINT, or under nohup SIGHUP, which the JVM
 * then does not take over; a test of those signals must not depend on how Maven was launched.
 */
final class WeirProcess implements AutoCloseable {

    /** {@code env --default-signal} (coreutils 8.31+) when this machine's env has it, which then execs the rest. */
    private static final List<String> RESET_SIGNALS = resetSignals();

    private final Process process;
    private final List<String> lines = new CopyOnWriteArrayList<>();

    private WeirProcess(Process process) {
        this.process = process;
        Thread reader = new Thread(() -> {
            try (BufferedReader r = new BufferedReader(new InputStreamReader(process.getInputStream(), StandardCharsets.UTF_8))) {
                String line;
                while ((line = r.readLine()) != null) {
                    lines.add(line);
                }
            } catch (IOException e) {
                lines.add("(output reader: " + e.getMessage() + ")");
            }
        }, "weir-process-output");
        reader.setDaemon(true);
        reader.start();
    }

    static WeirProcess start(Map<String, String> env, String... args) throws IOException {
        return start(env, List.of(), args);
    }

    static WeirProcess start(Map<String, String> env, List<String> jvmArgs, String... args) throws IOException {
        return start(env, 0, jvmArgs, args);
    }

    /** Started by {@code prefix} (e.g. {@code nohup}), which then runs {@code java -jar weir.jar args}. */
    static WeirProcess startUnder(List<String> prefix, String... args) throws IOException {
        return start(Map.of(), 0, prefix, List.of(), args);
    }

    /** @param fdLimit the process's open-file limit (ulimit -n); 0 = inherited */
    static WeirProcess start(Map<String, String> env, int fdLimit, List<String> jvmArgs, String... args) throws IOException {
        return start(env, fdLimit, List.of(), jvmArgs, args);
    }

    private static WeirProcess start(Map<String, String> env, int fdLimit, List<String> prefix, List<String> jvmArgs,
                                     String... args) throws IOException {
        List<String> withParanoid = new ArrayList<>(List.of("-Dio.netty.leakDetection.level=paranoid"));
        withParanoid.addAll(jvmArgs);
        return startJava(env, fdLimit, prefix, withParanoid, args);
    }

    /** {@code java [jvmArgs] -jar weir.jar args} as an operator would run it: without the tests' paranoid leak level. */
    static WeirProcess startAsDeployed(List<String> jvmArgs, String... args) throws IOException {
        return startJava(Map.of(), 0, List.of(), jvmArgs, args);
    }

    private static WeirProcess startJava(Map<String, String> env, int fdLimit, List<String> prefix, List<String> jvmArgs,
                                         String... args) throws IOException {
        String jar = jar();
        List<String> cmd = new ArrayList<>(prefix);
        cmd.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
        cmd.addAll(jvmArgs);
        cmd.addAll(List.of("-jar", jar));
        cmd.addAll(List.of(args));
        if (fdLimit > 0) {
            List<String> wrapped = new ArrayList<>(List.of("bash", "-c", "ulimit -n " + fdLimit + " && exec \"$0\" \"$@\""));
            wrapped.addAll(cmd);
            cmd = wrapped;
        }
        cmd.addAll(0, RESET_SIGNALS);
        ProcessBuilder pb = new ProcessBuilder(cmd).redirectErrorStream(true);
        pb.environment().putAll(env);
        return new WeirProcess(pb.start());
    }

    private static List<String> resetSignals() {
        List<String> env = List.of("env", "--default-signal");
        try {
            Process p = new ProcessBuilder(concat(env, "true")).redirectErrorStream(true).start();
            p.getInputStream().readAllBytes();
            if (p.waitFor() == 0) {
                return env;
            }
        } catch (IOException e) {
            // no env on PATH: start java directly
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        System.err.println("WeirProcess: env --default-signal is not available (coreutils < 8.31): children inherit"
                + " this build's ignored signals, and the signal tests pass only when Maven runs in the foreground");
        return List.of();
    }

    private static List<String> concat(List<String> a, String b) {
        List<String> all = new ArrayList<>(a);
        all.add(b);
        return all;
    }

    /** The packaged weir.jar: failsafe passes its path, else the module's target/. */
    private static String jar() {
        return System.getProperty("weir.jar", Path.of("target/weir.jar").toAbsolutePath().toString());
    }

    /** Through the launcher script deploy/bin/weir instead of {@code java -jar}. */
    static WeirProcess launch(Map<String, String> env, String... args) throws IOException {
        String jar = jar();
        List<String> cmd = new ArrayList<>(RESET_SIGNALS);
        cmd.add(Path.of("../deploy/bin/weir").toAbsolutePath().normalize().toString());
        cmd.addAll(List.of(args));
        ProcessBuilder pb = new ProcessBuilder(cmd).redirectErrorStream(true);
        pb.environment().put("JAVA", Path.of(System.getProperty("java.home"), "bin", "java").toString());
        pb.environment().put("WEIR_JAR", jar);
        pb.environment().put("WEIR_JAVA_OPTS", "-Dio.netty.leakDetection.level=paranoid");
        pb.environment().putAll(env);
        return new WeirProcess(pb.start());
    }

    /** The process's command line, from /proc (the launcher execs java: same process). */
    List<String> commandLine() throws IOException {
        String raw = Files.readString(Path.of("/proc", String.valueOf(process.pid()), "cmdline"));
        return List.of(raw.split("\0"));
    }

    /** The files the process has mapped into memory, from /proc (a class archive the JVM uses is one). */
    String mappedFiles() throws IOException {
        return Files.readString(Path.of("/proc", String.valueOf(process.pid()), "maps"));
    }

    Process process() {
        return process;
    }

    List<String> lines() {
        return lines;
    }

    String output() {
        return String.join("\n", lines);
    }

    /** Waits for a line matching {@code regex} and returns its first group. */
    String awaitGroup(String regex, Duration timeout) {
        Pattern p = Pattern.compile(regex);
        String[] found = new String[1];
        await().atMost(timeout).until(() -> {
            for (String line : lines) {
                Matcher m = p.matcher(line);
                if (m.find()) {
                    found[0] = m.group(1);
                    return true;
                }
            }
            if (!process.isAlive()) {
                throw new AssertionError("weir exited with " + process.exitValue() + ":\n" + output());
            }
            return false;
        });
        return found[0];
    }

    /** The port a listener bound, from the start-up log line. */
    int listenerPort(String listener) {
        return Integer.parseInt(awaitGroup("listener bound listener=" + Pattern.quote(listener) + " address=\\S*:(\\d+)",
                Duration.ofSeconds(30)));
    }

    void signal(String name) throws IOException, InterruptedException {
        new ProcessBuilder("kill", "-" + name, String.valueOf(process.pid())).inheritIO().start().waitFor();
    }

    @Override
    public void close() {
        process.destroyForcibly();
    }
}
