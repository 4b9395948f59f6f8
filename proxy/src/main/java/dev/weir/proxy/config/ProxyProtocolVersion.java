package dev.weir.proxy.config;

/** {@code pools.NAME.proxy-protocol}: the PROXY header version written to backends. */
public enum ProxyProtocolVersion {
    V1, V2
}
