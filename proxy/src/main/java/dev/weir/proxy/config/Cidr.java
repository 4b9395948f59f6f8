package dev.weir.proxy.config;

import io.netty.util.NetUtil;
import java.net.InetAddress;

/**
 * An address block such as {@code 10.0.0.0/8} or {@code fd00::/8}; a bare address is a /32 or /128.
 * IPv4 blocks also match IPv4-mapped IPv6 clients ({@code ::ffff:10.1.2.3}).
 */
public record Cidr(byte[] network, int prefix, String text) {

    /**
     * Parses {@code ip/prefix} or {@code ip}; IllegalArgumentException says why. IP literals only, read by Netty's
     * parser: {@code InetAddress.getByName} would ask DNS about {@code 999.1.1.1}, and turns {@code ::ffff:10.0.0.0}
     * into a 4-byte address that a /104 prefix no longer fits. IPv4 octets with a leading zero are refused, since
     * some tools read {@code 010} as octal.
     */
    public static Cidr parse(String text) {
        String s = text.trim();
        int slash = s.indexOf('/');
        String ip = slash < 0 ? s : s.substring(0, slash);
        boolean v6 = ip.indexOf(':') >= 0;
        if (v6 ? !hexColonsAndDots(ip) : !Addresses.isDottedQuad(ip)) {
            throw new IllegalArgumentException("not an IP address");
        }
        byte[] addr = NetUtil.createByteArrayFromIpAddressString(ip);
        if (addr == null) {
            throw new IllegalArgumentException("not an IP address");
        }
        int max = addr.length * 8;
        int prefix = max;
        if (slash >= 0) {
            String bits = s.substring(slash + 1);
            if (bits.isEmpty() || bits.length() > 3 || !madeOf(bits, "0123456789")) {
                throw new IllegalArgumentException("prefix length is not a number");
            }
            prefix = Integer.parseInt(bits);
            if (prefix > max) {
                throw new IllegalArgumentException("prefix length " + prefix + " out of 0.." + max);
            }
        }
        return new Cidr(mask(addr, prefix), prefix, s);
    }

    private static boolean hexColonsAndDots(String ip) {
        return !ip.isEmpty() && madeOf(ip, "0123456789abcdefABCDEF:.");
    }

    /** Loops rather than regular expressions (String.matches compiles one per call), for long allow lists. */
    private static boolean madeOf(String text, String chars) {
        for (int i = 0; i < text.length(); i++) {
            if (chars.indexOf(text.charAt(i)) < 0) {
                return false;
            }
        }
        return true;
    }

    private static byte[] mask(byte[] addr, int prefix) {
        byte[] out = addr.clone();
        for (int i = 0; i < out.length; i++) {
            int bits = Math.max(0, Math.min(8, prefix - i * 8));
            out[i] &= (byte) (0xff << (8 - bits));
        }
        return out;
    }

    /**
     * Whether the block holds {@code address}. An IPv4 client and its IPv4-mapped IPv6 form match alike, in an IPv4
     * block or in one written inside {@code ::ffff:0:0/96}; a wider IPv6 block ({@code ::/0}) holds no IPv4 client.
     */
    public boolean contains(InetAddress address) {
        byte[] a = address.getAddress();
        byte[] net = network;
        int bits = prefix;
        if (a.length == 16 && net.length == 4 && isV4Mapped(a)) {
            a = java.util.Arrays.copyOfRange(a, 12, 16);
        } else if (a.length == 4 && net.length == 16 && bits >= 96 && isV4Mapped(net)) {
            // Java hands a v4-mapped client over as an Inet4Address: compare it with the block's IPv4 part.
            net = java.util.Arrays.copyOfRange(net, 12, 16);
            bits -= 96;
        }
        if (a.length != net.length) {
            return false;
        }
        return java.util.Arrays.equals(mask(a, bits), net);
    }

    private static boolean isV4Mapped(byte[] a) {
        for (int i = 0; i < 10; i++) {
            if (a[i] != 0) {
                return false;
            }
        }
        return a[10] == (byte) 0xff && a[11] == (byte) 0xff;
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof Cidr c && c.prefix == prefix && java.util.Arrays.equals(c.network, network);
    }

    @Override
    public int hashCode() {
        return java.util.Arrays.hashCode(network) * 31 + prefix;
    }

    @Override
    public String toString() {
        return text;
    }
}
