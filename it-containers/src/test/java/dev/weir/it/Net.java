package dev.weir.it;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;

/** Client side: plain sockets from a chosen 127.x.y.z source address to Weir on the host's loopback. */
final class Net {

    private Net() {
    }

    /** 127.a.b.c for the i-th of many clients (i < 2^16), in 127.{block}.0.0/16. */
    static String source(int block, int i) {
        return "127." + block + "." + ((i >> 8) & 0xff) + "." + ((i & 0xff) == 0 ? 1 : i & 0xff);
    }

    /** Distinct addresses for i in 0..65023: never .0 or .255 in the last byte. */
    static String distinctSource(int block, int i) {
        return "127." + block + "." + (i / 254) + "." + (1 + i % 254);
    }

    /** One connection: sends {@code whoami}, returns the backend's answer, closes. */
    static String whoami(String source, int port) throws IOException {
        try (Socket s = connect(source, port)) {
            s.setSoTimeout(5000);
            OutputStream out = s.getOutputStream();
            out.write("whoami\n".getBytes(StandardCharsets.US_ASCII));
            out.flush();
            String line = readLine(s.getInputStream());
            if (line == null) {
                throw new IOException("closed before an answer");
            }
            return line;
        }
    }

    static Socket connect(String source, int port) throws IOException {
        Socket s = new Socket();
        try {
            s.setReuseAddress(true);
            if (source != null) {
                s.bind(new InetSocketAddress(source, 0));
            }
            s.connect(new InetSocketAddress("127.0.0.1", port), 3000);
            s.setTcpNoDelay(true);
            return s;
        } catch (IOException e) {
            s.close();
            throw e;
        }
    }

    /** A line without its '\n', or null at EOF before any byte. */
    static String readLine(InputStream in) throws IOException {
        ByteArrayOutputStream line = new ByteArrayOutputStream();
        int b;
        while ((b = in.read()) >= 0) {
            if (b == '\n') {
                return line.toString(StandardCharsets.UTF_8);
            }
            line.write(b);
        }
        return line.size() == 0 ? null : line.toString(StandardCharsets.UTF_8);
    }
}
