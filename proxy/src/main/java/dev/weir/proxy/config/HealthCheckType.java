package dev.weir.proxy.config;

/** {@code pools.NAME.health-check.type}. */
public enum HealthCheckType {
    TCP("tcp"),
    SEND_EXPECT("send-expect"),
    HTTP("http");

    private final String yamlName;

    HealthCheckType(String yamlName) {
        this.yamlName = yamlName;
    }

    public String yamlName() {
        return yamlName;
    }
}
