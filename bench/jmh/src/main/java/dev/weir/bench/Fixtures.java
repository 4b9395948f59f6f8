package dev.weir.bench;

import dev.weir.proxy.backend.Backend;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.UnknownHostException;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;

/** Backends and client addresses for the benchmarks, built without DNS. */
final class Fixtures {

    private Fixtures() {}

    /** {@code n} backends 10.x.y.z:8080, weight 1 each ({@code mixed}: weights 1, 2, 3 in turn). */
    static List<Backend> backends(int n, boolean mixed) {
        List<Backend> out = new ArrayList<>(n);
        for (int i = 0; i < n; i++) {
            byte[] ip = {10, (byte) (i >> 16), (byte) (i >> 8), (byte) (i + 1)};
            try {
                InetSocketAddress a = new InetSocketAddress(InetAddress.getByAddress(ip), 8080);
                String key = a.getAddress().getHostAddress() + ":8080";
                out.add(new Backend(key, key, a, mixed ? 1 + i % 3 : 1));
            } catch (UnknownHostException e) {
                throw new AssertionError(e);
            }
        }
        return out;
    }

    /** {@code n} (a power of two) random IPv4 client addresses. */
    static InetAddress[] clients(int n) {
        SplittableRandom r = new SplittableRandom(42);
        InetAddress[] out = new InetAddress[n];
        for (int i = 0; i < n; i++) {
            int v = r.nextInt();
            try {
                out[i] = InetAddress.getByAddress(new byte[] {(byte) (v >> 24), (byte) (v >> 16), (byte) (v >> 8), (byte) v});
            } catch (UnknownHostException e) {
                throw new AssertionError(e);
            }
        }
        return out;
    }

    /** A config with one listener and one pool of {@code n} backends, in the block style. */
    static String configYaml(int n) {
        StringBuilder y = new StringBuilder(64 * n);
        y.append("listeners:\n  web:\n    bind: 127.0.0.1:8080\n    pool: web\n");
        y.append("pools:\n  web:\n    balance: ip-hash\n    backends:\n");
        for (int i = 0; i < n; i++) {
            y.append("      - {address: 10.").append(i >> 16 & 255).append('.').append(i >> 8 & 255).append('.')
                    .append((i & 255)).append(":8080, weight: ").append(1 + i % 3).append("}\n");
        }
        y.append("admin: {bind: \"off\"}\n");
        return y.toString();
    }
}
