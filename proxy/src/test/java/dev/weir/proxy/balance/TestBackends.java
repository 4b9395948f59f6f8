package dev.weir.proxy.balance;

import dev.weir.proxy.backend.Backend;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.UnknownHostException;
import java.util.ArrayList;
import java.util.List;

final class TestBackends {

    private TestBackends() {}

    static Backend backend(String key, int weight) {
        int colon = key.lastIndexOf(':');
        InetSocketAddress address =
                InetSocketAddress.createUnresolved(key.substring(0, colon), Integer.parseInt(key.substring(colon + 1)));
        return new Backend(key, key, address, weight);
    }

    /** {@code n} backends {@code 10.0.x.y:9000} with the given weight. */
    static List<Backend> backends(int n, int weight) {
        List<Backend> list = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            list.add(backend("10.0." + (i / 250) + "." + (i % 250 + 1) + ":9000", weight));
        }
        return list;
    }

    static InetAddress ip(byte... bytes) {
        try {
            return InetAddress.getByAddress(bytes);
        } catch (UnknownHostException e) {
            throw new AssertionError(e);
        }
    }

    static InetAddress ip(String literal) {
        try {
            return InetAddress.getByName(literal);
        } catch (UnknownHostException e) {
            throw new AssertionError(e);
        }
    }
}
