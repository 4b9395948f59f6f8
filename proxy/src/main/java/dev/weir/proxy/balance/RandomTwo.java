package dev.weir.proxy.balance;

import dev.weir.proxy.backend.Backend;
import dev.weir.proxy.backend.Balancer;
import java.net.InetAddress;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.concurrent.ThreadLocalRandom;

/**
 * random-two: power of two choices. Two distinct untried backends are drawn at random and the one
 * with the lower {@code activeConnections / weight} wins (the first drawn on a tie). Nearly as
 * even as least-connections, but cheap and without herding every new connection onto the one
 * backend that looks idlest at that instant.
 */
final class RandomTwo implements Balancer {

    private final List<Backend> backends;

    RandomTwo(List<Backend> eligible) {
        this.backends = List.copyOf(eligible);
    }

    @Override
    public Backend pick(InetAddress client, Collection<Backend> tried) {
        List<Backend> left = backends;
        if (!tried.isEmpty()) {
            left = new ArrayList<>(backends.size());
            for (Backend b : backends) {
                if (!tried.contains(b)) {
                    left.add(b);
                }
            }
        }
        int n = left.size();
        if (n <= 1) {
            return n == 0 ? null : left.get(0);
        }
        ThreadLocalRandom random = ThreadLocalRandom.current();
        int i = random.nextInt(n);
        int j = random.nextInt(n - 1);
        if (j >= i) {
            j++; // distinct from i, uniform over the other n-1
        }
        Backend a = left.get(i);
        Backend b = left.get(j);
        int cmp = LeastConnections.compareLoad(a.activeConnections(), a.weight(), b.activeConnections(), b.weight());
        return cmp <= 0 ? a : b;
    }
}
