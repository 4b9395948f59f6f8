package dev.weir.proxy;

import dev.weir.proxy.config.Config;
import dev.weir.proxy.config.ConfigLoader;
import dev.weir.proxy.control.Weir;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.Map;

/** Starts Weir in-process from inline YAML and talks to it over real loopback sockets. */
final class Harness {

    private Harness() {
    }

    static Weir start(String yaml) throws Exception {
        Config config = ConfigLoader.parse(yaml, Map.of());
        return Weir.start(config, new SimpleMeterRegistry());
    }

    /** A one-listener, one-pool config: listener "l" on 127.0.0.1:0 to pool "p". */
    static String config(String transport, String listenerExtra, String poolExtra, String... backends) {
        StringBuilder sb = new StringBuilder();
        sb.append("transport: ").append(transport).append('\n');
        sb.append("event-loop-threads: 2\n");
        sb.append("listeners:\n  l:\n    bind: 127.0.0.1:0\n    pool: p\n");
        for (String line : listenerExtra.split("\n")) {
            if (!line.isBlank()) {
                sb.append("    ").append(line).append('\n');
            }
        }
        sb.append("pools:\n  p:\n");
        for (String line : poolExtra.split("\n")) {
            if (!line.isBlank()) {
                sb.append("    ").append(line).append('\n');
            }
        }
        sb.append("    backends:\n");
        for (String b : backends) {
            sb.append("      - ").append(b).append('\n');
        }
        sb.append("shutdown:\n  drain-timeout: 5s\n");
        // Tests run many proxies at once: no admin endpoint on the default port.
        sb.append("admin: {bind: off}\n");
        return sb.toString();
    }

    static Socket connect(Weir weir) throws IOException {
        return connect(weir.listenerAddress("l"));
    }

    static Socket connect(InetSocketAddress address) throws IOException {
        Socket s = new Socket();
        s.setSoTimeout(20_000);
        s.connect(address, 5_000);
        return s;
    }

    /** Sends {@code whoami\n} on a new connection and returns the backend's name. */
    static String whoami(Weir weir) throws IOException {
        try (Socket s = connect(weir)) {
            return whoami(s);
        }
    }

    static String whoami(Socket s) throws IOException {
        s.getOutputStream().write("whoami\n".getBytes(StandardCharsets.US_ASCII));
        s.getOutputStream().flush();
        return readLine(s.getInputStream());
    }

    static String readLine(InputStream in) throws IOException {
        ByteArrayOutputStream line = new ByteArrayOutputStream();
        int c;
        while ((c = in.read()) != -1 && c != '\n') {
            line.write(c);
        }
        if (c == -1 && line.size() == 0) {
            return null;
        }
        return line.toString(StandardCharsets.UTF_8);
    }

    /** What a stream carried until EOF: its length and SHA-256. */
    record Digested(long bytes, byte[] sha256) {
    }

    static Digested digestToEof(InputStream in) throws IOException {
        MessageDigest digest = sha256();
        byte[] buf = new byte[256 * 1024];
        long total = 0;
        for (int n; (n = in.read(buf)) != -1; ) {
            digest.update(buf, 0, n);
            total += n;
        }
        return new Digested(total, digest.digest());
    }

    static MessageDigest sha256() {
        try {
            return MessageDigest.getInstance("SHA-256");
        } catch (NoSuchAlgorithmException e) {
            throw new AssertionError(e);
        }
    }

    /** Fills {@code chunk} with reproducible pseudo-random bytes from {@code seed}; returns the next seed. */
    static long pseudoRandom(byte[] chunk, long seed) {
        for (int i = 0; i < chunk.length; i++) {
            seed = seed * 6364136223846793005L + 1442695040888963407L;
            chunk[i] = (byte) (seed >>> 56);
        }
        return seed;
    }

    static byte[] readAll(InputStream in) throws IOException {
        return in.readAllBytes();
    }

    static void write(OutputStream out, String text) throws IOException {
        out.write(text.getBytes(StandardCharsets.UTF_8));
        out.flush();
    }

    /** A port that refuses connections: bound, then closed again. */
    static int closedPort() throws IOException {
        try (ServerSocket s = new ServerSocket(0, 1, java.net.InetAddress.getLoopbackAddress())) {
            return s.getLocalPort();
        }
    }

    /** True once the peer has closed: read returns EOF or the socket is reset. False for a byte or a read timeout. */
    static boolean closedByPeer(Socket s) {
        try {
            return s.getInputStream().read() == -1;
        } catch (java.net.SocketTimeoutException e) {
            return false;
        } catch (IOException e) {
            return true;
        }
    }

    /** True once the peer has closed after whatever it still sent (read to EOF or a reset); false on a timeout. */
    static boolean closedAfterTheRest(Socket s) {
        try {
            s.getInputStream().transferTo(OutputStream.nullOutputStream());
            return true;
        } catch (java.net.SocketTimeoutException e) {
            return false;
        } catch (IOException e) {
            return true;
        }
    }

    /** The sum of a meter's counters over every tag set that has the given {@code key, value} tags. */
    static double counted(Weir weir, String meter, String... tags) {
        return weir.metrics().registry().find(meter).tags(tags).counters().stream()
                .mapToDouble(io.micrometer.core.instrument.Counter::count).sum();
    }
}
