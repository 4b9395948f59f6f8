package dev.weir.proxy.edge;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;

/** Raw sockets, counters, and PROXY headers built byte by byte; the proxy itself is {@link dev.weir.proxy.RunningWeir}. */
final class EdgeSupport {

    static final byte[] V2_SIGNATURE = {0x0D, 0x0A, 0x0D, 0x0A, 0x00, 0x0D, 0x0A, 0x51, 0x55, 0x49, 0x54, 0x0A};
    static final int V2_PROXY = 0x21;
    static final int V2_LOCAL = 0x20;
    static final int TCP4 = 0x11;
    static final int TCP6 = 0x21;
    static final int UNIX_STREAM = 0x31;
    static final int PP2_TYPE_SSL = 0x20;

    private EdgeSupport() {
    }

    static Socket connect(InetSocketAddress target) throws IOException {
        Socket s = new Socket();
        s.setSoTimeout(10_000);
        s.setTcpNoDelay(true);
        s.connect(target, 5_000);
        return s;
    }

    /** A client socket bound to {@code sourceIp} (any 127.x address works on Linux loopback). */
    static Socket connectFrom(String sourceIp, InetSocketAddress target) throws IOException {
        Socket s = new Socket();
        s.setSoTimeout(10_000);
        s.setTcpNoDelay(true);
        s.bind(new InetSocketAddress(sourceIp, 0));
        s.connect(target, 5_000);
        return s;
    }

    /** Sum of the counters named {@code name} with these tags (key, value, key, value...). */
    static double count(MeterRegistry registry, String name, String... tags) {
        return registry.find(name).tags(tags).counters().stream().mapToDouble(Counter::count).sum();
    }

    /** The edge counters (SNI results, rejects, closes by reason) as text, for failure messages. */
    static String edgeCounters(MeterRegistry registry) {
        StringBuilder sb = new StringBuilder();
        for (String name : new String[] {"weir.sni.results", "weir.listener.rejects", "weir.connections.closed"}) {
            for (Counter c : registry.find(name).counters()) {
                sb.append(name).append(c.getId().getTags()).append('=').append(c.count()).append('\n');
            }
        }
        return sb.toString();
    }

    /**
     * True once the peer has closed: read returns EOF or the socket is reset. Any bytes still in
     * flight before the close are skipped. A read timeout (the socket's SO_TIMEOUT) fails the test.
     */
    static boolean closedByPeer(Socket s) {
        try {
            InputStream in = s.getInputStream();
            byte[] skip = new byte[4096];
            while (in.read(skip) != -1) {
                // bytes from before the close
            }
            return true;
        } catch (SocketTimeoutException e) {
            throw new AssertionError("the peer kept the connection open past the read timeout", e);
        } catch (IOException e) {
            return true;
        }
    }

    /** What a socket received until EOF or a reset, and which of the two ended it. */
    record Received(byte[] bytes, boolean reset) {
    }

    static Received readToEnd(Socket s) {
        ByteArrayOutputStream got = new ByteArrayOutputStream();
        byte[] buf = new byte[8192];
        try {
            InputStream in = s.getInputStream();
            int n;
            while ((n = in.read(buf)) != -1) {
                got.write(buf, 0, n);
            }
            return new Received(got.toByteArray(), false);
        } catch (SocketTimeoutException e) {
            throw new AssertionError("no EOF within the read timeout after " + got.size() + " bytes", e);
        } catch (IOException e) {
            return new Received(got.toByteArray(), true);
        }
    }

    /**
     * One connection: writes {@code input}, half-closes, and reads until Weir or the backend ends it.
     * A write that fails because Weir already closed the connection is not an error.
     */
    static Received exchange(InetSocketAddress target, byte[] input) throws IOException {
        try (Socket s = connect(target)) {
            try {
                s.getOutputStream().write(input);
                s.shutdownOutput();
            } catch (IOException closedEarly) {
                // Weir closed (and reset) first: what was read so far still counts
            }
            return readToEnd(s);
        }
    }

    /** {@link #exchange} for every input at once, on parallel connections; results in input order. */
    static List<Received> exchangeAll(ExecutorService threads, InetSocketAddress target, List<byte[]> inputs)
            throws Exception {
        List<Future<Received>> futures = new ArrayList<>();
        for (byte[] input : inputs) {
            futures.add(threads.submit(() -> exchange(target, input)));
        }
        List<Received> results = new ArrayList<>();
        for (Future<Received> f : futures) {
            results.add(f.get(30, TimeUnit.SECONDS));
        }
        return results;
    }

    /** Sum of {@code weir.connections.closed} over every reason, for one listener. */
    static double closedTotal(MeterRegistry registry, String listener) {
        return count(registry, "weir.connections.closed", "listener", listener);
    }

    /** {@code weir.connections.closed} on {@code listener}, summed by reason. */
    static Map<String, Double> closesByReason(MeterRegistry registry, String listener) {
        Map<String, Double> byReason = new TreeMap<>();
        for (Counter c : registry.find("weir.connections.closed").tag("listener", listener).counters()) {
            byReason.merge(c.getId().getTag("reason"), c.count(), Double::sum);
        }
        return byReason;
    }

    static boolean contains(byte[] hay, byte[] needle) {
        return Tls.indexOf(hay, needle) >= 0;
    }

    static boolean endsWith(byte[] bytes, byte[] suffix) {
        return suffix.length <= bytes.length
                && Arrays.equals(bytes, bytes.length - suffix.length, bytes.length, suffix, 0, suffix.length);
    }

    static byte[] readExactly(InputStream in, int n) throws IOException {
        byte[] b = in.readNBytes(n);
        if (b.length != n) {
            throw new AssertionError("EOF after " + b.length + " of " + n + " bytes");
        }
        return b;
    }

    static byte[] ascii(String s) {
        return s.getBytes(StandardCharsets.US_ASCII);
    }

    static byte[] concat(byte[]... parts) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        for (byte[] p : parts) {
            out.writeBytes(p);
        }
        return out.toByteArray();
    }

    static String hex(byte[] b) {
        return b.length <= 256 ? HexFormat.of().formatHex(b)
                : HexFormat.of().formatHex(b, 0, 256) + "...(" + b.length + " bytes)";
    }

    /** {@code PROXY <proto> <src> <dst> <sport> <dport>\r\n}. */
    static byte[] v1(String proto, String src, String dst, int sourcePort, int destinationPort) {
        return ascii("PROXY " + proto + " " + src + " " + dst + " " + sourcePort + " " + destinationPort + "\r\n");
    }

    /** A v2 header: signature, version/command, family/protocol, length, then {@code body} as is. */
    static byte[] v2(int versionCommand, int familyProtocol, byte[] body) {
        return v2(versionCommand, familyProtocol, body.length, body);
    }

    /** A v2 header whose length field says {@code declaredLength}, whatever {@code body} holds. */
    static byte[] v2(int versionCommand, int familyProtocol, int declaredLength, byte[] body) {
        ByteBuffer b = ByteBuffer.allocate(16 + body.length);
        b.put(V2_SIGNATURE).put((byte) versionCommand).put((byte) familyProtocol).putShort((short) declaredLength).put(body);
        return b.array();
    }

    /** The 12-byte TCP4 address block: source, destination, source port, destination port. */
    static byte[] ipv4Block(byte[] src, byte[] dst, int sourcePort, int destinationPort) {
        return ByteBuffer.allocate(12).put(src).put(dst).putShort((short) sourcePort).putShort((short) destinationPort)
                .array();
    }

    /** The 36-byte TCP6 address block. */
    static byte[] ipv6Block(byte[] src, byte[] dst, int sourcePort, int destinationPort) {
        return ByteBuffer.allocate(36).put(src).put(dst).putShort((short) sourcePort).putShort((short) destinationPort)
                .array();
    }

    static byte[] tlv(int type, byte[] value) {
        return ByteBuffer.allocate(3 + value.length).put((byte) type).putShort((short) value.length).put(value).array();
    }

    /** PP2_TYPE_SSL: client flags, verify result, then sub-TLVs. */
    static byte[] sslTlv(byte[] subTlvs) {
        return tlv(PP2_TYPE_SSL, ByteBuffer.allocate(5 + subTlvs.length).put((byte) 0x01).putInt(0).put(subTlvs).array());
    }

    /** {@code depth} PP2_TYPE_SSL TLVs, each inside the previous one (CVE-2022-41881, CVE-2026-48059). */
    static byte[] nestedSslTlvs(int depth) {
        byte[] inner = new byte[0];
        for (int i = 0; i < depth; i++) {
            inner = sslTlv(inner);
        }
        return inner;
    }
}
