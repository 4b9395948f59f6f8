package dev.weir.proxy.discovery;

import io.netty.util.NetUtil;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.UnknownHostException;
import java.util.Arrays;
import java.util.Collection;
import java.util.Collections;
import java.util.Comparator;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;
import java.util.stream.Collectors;

/** Address sets as discovery hands them out: immutable, in a fixed order, printed as {@code ip:port}. */
final class Addresses {

    /** IPv4 before IPv6, then by address bytes and port: logs and callbacks read the same on every run. */
    static final Comparator<InetSocketAddress> ORDER = Comparator
            .comparing((InetSocketAddress a) -> a.getAddress().getAddress(), Addresses::compareBytes)
            .thenComparingInt(InetSocketAddress::getPort);

    private Addresses() {
    }

    /** The answer's IPs on {@code port}, without the queried name (it would only clutter toString and logs). */
    static Set<InetSocketAddress> of(List<InetAddress> ips, int port) {
        return ordered(ips.stream().map(ip -> new InetSocketAddress(bare(ip), port)).collect(Collectors.toList()));
    }

    /** {@code a} without the members of {@code b}. */
    static Set<InetSocketAddress> minus(Set<InetSocketAddress> a, Set<InetSocketAddress> b) {
        return ordered(a.stream().filter(x -> !b.contains(x)).collect(Collectors.toList()));
    }

    static String format(Set<InetSocketAddress> set) {
        return set.stream().map(NetUtil::toSocketAddressString).collect(Collectors.joining(",", "[", "]"));
    }

    /** An IP literal as an address, never a lookup: resolvers are asked for names, not looked up themselves. */
    static InetAddress literal(String host) {
        byte[] bytes = NetUtil.createByteArrayFromIpAddressString(host);
        if (bytes == null) {
            throw new IllegalArgumentException(host + " (expected: an IP address)");
        }
        return byBytes(bytes);
    }

    private static Set<InetSocketAddress> ordered(Collection<InetSocketAddress> addresses) {
        List<InetSocketAddress> sorted = addresses.stream().distinct().sorted(ORDER).collect(Collectors.toList());
        return Collections.unmodifiableSet(new LinkedHashSet<>(sorted));
    }

    private static InetAddress bare(InetAddress ip) {
        return byBytes(ip.getAddress());
    }

    private static InetAddress byBytes(byte[] bytes) {
        try {
            return InetAddress.getByAddress(bytes);
        } catch (UnknownHostException e) { // only for a length other than 4 or 16
            throw new IllegalArgumentException(e.getMessage(), e);
        }
    }

    private static int compareBytes(byte[] a, byte[] b) {
        int byLength = Integer.compare(a.length, b.length);
        return byLength != 0 ? byLength : Arrays.compareUnsigned(a, b);
    }
}
