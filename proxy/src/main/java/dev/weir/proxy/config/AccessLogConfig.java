package dev.weir.proxy.config;

/** {@code access-log:}: one line per finished connection on the logger {@code weir.access}. */
public record AccessLogConfig(boolean enabled, Format format) {

    public enum Format { TEXT, JSON }
}
