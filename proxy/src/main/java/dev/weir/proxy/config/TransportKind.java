package dev.weir.proxy.config;

/** {@code transport:} in the config. AUTO picks io_uring, then epoll, then NIO. */
public enum TransportKind {
    AUTO, IO_URING, EPOLL, NIO;

    /** The spelling used in YAML: {@code io_uring}, {@code epoll}, ... */
    public String yamlName() {
        return name().toLowerCase(java.util.Locale.ROOT);
    }
}
