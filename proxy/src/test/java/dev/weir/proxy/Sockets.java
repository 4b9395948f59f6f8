package dev.weir.proxy;

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

/** A client's side of loopback sockets: connect, whoami, lines, digests, closes. The proxy itself is {@link RunningWeir}. */
public final class Sockets {

    private Sockets() {
    }

    public static Socket connect(InetSocketAddress address) throws IOException {
        Socket s = new Socket();
        s.setSoTimeout(20_000);
        s.connect(address, 5_000);
        return s;
    }

    /** Sends {@code whoami\n} and returns the backend's answer. */
    public static String whoami(Socket s) throws IOException {
        s.getOutputStream().write("whoami\n".getBytes(StandardCharsets.US_ASCII));
        s.getOutputStream().flush();
        return readLine(s.getInputStream());
    }

    public static String readLine(InputStream in) throws IOException {
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
    public record Digested(long bytes, byte[] sha256) {
    }

    public static Digested digestToEof(InputStream in) throws IOException {
        MessageDigest digest = sha256();
        byte[] buf = new byte[256 * 1024];
        long total = 0;
        for (int n; (n = in.read(buf)) != -1; ) {
            digest.update(buf, 0, n);
            total += n;
        }
        return new Digested(total, digest.digest());
    }

    public static MessageDigest sha256() {
        try {
            return MessageDigest.getInstance("SHA-256");
        } catch (NoSuchAlgorithmException e) {
            throw new AssertionError(e);
        }
    }

    /** Fills {@code chunk} with reproducible pseudo-random bytes from {@code seed}; returns the next seed. */
    public static long pseudoRandom(byte[] chunk, long seed) {
        for (int i = 0; i < chunk.length; i++) {
            seed = seed * 6364136223846793005L + 1442695040888963407L;
            chunk[i] = (byte) (seed >>> 56);
        }
        return seed;
    }

    public static byte[] readAll(InputStream in) throws IOException {
        return in.readAllBytes();
    }

    public static void write(OutputStream out, String text) throws IOException {
        out.write(text.getBytes(StandardCharsets.UTF_8));
        out.flush();
    }

    /** A port that refuses connections: bound, then closed again. */
    public static int closedPort() throws IOException {
        try (ServerSocket s = new ServerSocket(0, 1, java.net.InetAddress.getLoopbackAddress())) {
            return s.getLocalPort();
        }
    }

    /** True once the peer has closed: read returns EOF or the socket is reset. False for a byte or a read timeout. */
    public static boolean closedByPeer(Socket s) {
        try {
            return s.getInputStream().read() == -1;
        } catch (java.net.SocketTimeoutException e) {
            return false;
        } catch (IOException e) {
            return true;
        }
    }

    /** True once the peer has closed after whatever it still sent (read to EOF or a reset); false on a timeout. */
    public static boolean closedAfterTheRest(Socket s) {
        try {
            s.getInputStream().transferTo(OutputStream.nullOutputStream());
            return true;
        } catch (java.net.SocketTimeoutException e) {
            return false;
        } catch (IOException e) {
            return true;
        }
    }
}
