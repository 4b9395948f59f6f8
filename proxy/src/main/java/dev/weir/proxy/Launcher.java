package dev.weir.proxy;

import dev.weir.proxy.api.StartException;
import dev.weir.proxy.config.Config;
import dev.weir.proxy.config.FileWatch;
import dev.weir.proxy.control.Weir;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import io.netty.util.ResourceLeakDetector;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import sun.misc.Signal;

/**
 * Runs a proxy in the foreground until SIGTERM or SIGINT. The first signal starts a graceful
 * shutdown (stop accepting, drain up to shutdown.drain-timeout, close the rest, exit 0); a second
 * signal during that drain exits at once with status 1. SIGHUP reloads the config file, or, with none
 * (the demo), is logged and changes nothing.
 */
final class Launcher {

    private static final Logger log = LoggerFactory.getLogger(Launcher.class);

    private Launcher() {
    }

    /**
     * Installs {@code handler} for SIG{@code name}. A signal the process inherited as ignored stays
     * ignored (the JVM does not take it over: nohup ignores SIGHUP, and a non-interactive shell's
     * background job ignores SIGINT), so say so at start rather than let that signal do nothing later.
     */
    private static void handle(String name, sun.misc.SignalHandler handler, String instead) {
        if (Signal.handle(new Signal(name), handler) == sun.misc.SignalHandler.SIG_IGN) {
            log.warn("signal ignored signal=SIG{} (this process inherited it as ignored, e.g. from nohup or a"
                    + " background job; Weir cannot take it over): {}", name, instead);
        }
    }

    /**
     * Netty samples one buffer in 128 for leaks unless told otherwise, and each sample records a stack trace on the
     * event loop: 2-3% of the CPU per operation and a wider latency spread (bench/RESULTS.md, 2026-11-27). Weir's
     * tests run every buffer through the strictest detector (paranoid) instead, so a running proxy turns sampling off
     * unless the operator chose a level ({@code -Dio.netty.leakDetection.level=simple} to look for a suspected leak).
     */
    static void leakDetection() {
        if (System.getProperty("io.netty.leakDetection.level") == null
                && System.getProperty("io.netty.leakDetectionLevel") == null) {
            ResourceLeakDetector.setLevel(ResourceLeakDetector.Level.DISABLED);
        }
    }

    static int runUntilSignalled(Config cfg, Path file, PrintWriter err) {
        return runUntilSignalled(cfg, file, err, weir -> { });
    }

    /**
     * @param file      the config file SIGHUP (and {@code reload.watch}) re-read; null = none
     * @param onStarted runs once every listener is bound (the demo prints its hints there)
     */
    static int runUntilSignalled(Config cfg, Path file, PrintWriter err, java.util.function.Consumer<Weir> onStarted) {
        // Before the start: a listener accepts (and a supervisor may signal) before Weir.start returns.
        // A TERM during the start shuts down gracefully once it is complete.
        leakDetection();
        CountDownLatch stop = new CountDownLatch(1);
        AtomicInteger signals = new AtomicInteger();
        sun.misc.SignalHandler handler = sig -> {
            if (signals.incrementAndGet() == 1) {
                log.info("signal received signal=SIG{} action=graceful-shutdown", sig.getName());
                stop.countDown();
            } else {
                log.warn("signal received signal=SIG{} action=exit-now", sig.getName());
                Runtime.getRuntime().halt(Main.EXIT_FAILURE);
            }
        };
        handle("TERM", handler, "stop it with SIGINT");
        handle("INT", handler, "stop it with SIGTERM");
        // HUP too: registering a handler replaces the JVM's default of exiting on SIGHUP. One that
        // comes during the start reloads right after it (the file may have changed since it was read).
        AtomicReference<Weir> started = new AtomicReference<>();
        AtomicBoolean hupWhileStarting = new AtomicBoolean();
        if (file != null) {
            handle("HUP", sig -> {
                log.info("signal received signal=SIGHUP action=reload file={}", file);
                // Whichever side sees both the request and the started Weir reloads, exactly once.
                hupWhileStarting.set(true);
                Weir w = started.get();
                if (w != null && hupWhileStarting.getAndSet(false)) {
                    w.reloadFromFile();
                }
            }, "reload through reload.watch or the admin API (POST /api/v1/reload)");
        } else {
            // Without a file (the demo: its config is made at start around its backends' free ports) there is
            // nothing to re-read; left to the JVM, SIGHUP would end the process with status 129 and no log line.
            handle("HUP", sig -> log.info("signal received signal=SIGHUP action=none (no config file to reload: the demo"
                    + " builds its config at start; weir run -c FILE reloads on SIGHUP)"), "nothing to reload");
        }
        Weir weir;
        try {
            weir = Weir.start(cfg, new PrometheusMeterRegistry(PrometheusConfig.DEFAULT), file);
        } catch (StartException e) {
            err.println("weir: " + e.getMessage());
            err.flush();
            return e.configError() ? Main.EXIT_CONFIG : Main.EXIT_FAILURE;
        }
        started.set(weir);
        if (hupWhileStarting.getAndSet(false)) {
            weir.reloadFromFile();
        }
        FileWatch watcher = null;
        if (file != null) {
            if (cfg.reload().watch()) {
                try {
                    watcher = new FileWatch("config", java.util.Set.of(file), weir::reloadFromFile);
                } catch (java.io.IOException e) {
                    log.warn("cannot watch config file={} cause=\"{}\" (SIGHUP still reloads)", file, e.getMessage());
                }
            }
        }
        log.info("weir ready listeners={} transport={} admin={} leak_detection={}", cfg.listeners().keySet(),
                weir.transport(), weir.adminAddress() == null ? "off"
                        : weir.adminAddress().getAddress().getHostAddress() + ":" + weir.adminAddress().getPort(),
                ResourceLeakDetector.getLevel().name().toLowerCase(java.util.Locale.ROOT));
        onStarted.accept(weir);
        try {
            stop.await();
            if (watcher != null) {
                watcher.close();
            }
            weir.shutdown();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            weir.close();
        }
        return Main.EXIT_OK;
    }
}
