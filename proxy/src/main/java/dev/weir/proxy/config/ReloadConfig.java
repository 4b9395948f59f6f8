package dev.weir.proxy.config;

/** {@code reload:}: besides SIGHUP, re-read the config file when it changes. */
public record ReloadConfig(boolean watch) {
}
