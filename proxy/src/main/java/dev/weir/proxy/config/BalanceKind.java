package dev.weir.proxy.config;

/** {@code pools.NAME.balance}. */
public enum BalanceKind {
    ROUND_ROBIN("round-robin"),
    IP_HASH("ip-hash"),
    LEAST_CONNECTIONS("least-connections"),
    RANDOM_TWO("random-two");

    private final String yamlName;

    BalanceKind(String yamlName) {
        this.yamlName = yamlName;
    }

    public String yamlName() {
        return yamlName;
    }
}
