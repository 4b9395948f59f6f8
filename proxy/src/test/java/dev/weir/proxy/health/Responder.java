package dev.weir.proxy.health;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * A tiny blocking server for probe tests: per connection it reads what the probe sends (up to a
 * blank line, or whatever arrives within 200ms), records it, writes a canned reply and closes.
 */
final class Responder implements AutoCloseable {

    private final ServerSocket server;
    private final byte[] reply;
    private final Thread thread;
    final List<String> requests = new CopyOnWriteArrayList<>();
    final AtomicInteger accepted = new AtomicInteger();

    private Responder(byte[] reply) throws IOException {
        this.server = new ServerSocket(0, 50, InetAddress.getLoopbackAddress());
        this.reply = reply;
        this.thread = new Thread(this::serve, "responder-" + server.getLocalPort());
        thread.setDaemon(true);
        thread.start();
    }

    static Responder replying(String reply) throws IOException {
        return new Responder(reply.getBytes(StandardCharsets.ISO_8859_1));
    }

    static Responder replying(byte[] reply) throws IOException {
        return new Responder(reply);
    }

    static Responder http(int status) throws IOException {
        return replying("HTTP/1.1 " + status + " Whatever\r\nContent-Length: 0\r\nConnection: close\r\n\r\n");
    }

    InetSocketAddress address() {
        // An IP literal, so the probe sends "Host: 127.0.0.1" rather than the loopback name.
        return new InetSocketAddress(server.getInetAddress().getHostAddress(), server.getLocalPort());
    }

    private void serve() {
        while (!server.isClosed()) {
            try (Socket s = server.accept()) {
                accepted.incrementAndGet();
                requests.add(readRequest(s));
                s.getOutputStream().write(reply);
                s.getOutputStream().flush();
                s.shutdownOutput();
                // Wait for the probe to close first, so it sees the whole reply before any RST.
                s.setSoTimeout(2000);
                drain(s.getInputStream());
            } catch (IOException e) {
                // The probe closed first, or close() was called: the next accept tells which.
            }
        }
    }

    private static String readRequest(Socket s) throws IOException {
        s.setSoTimeout(200);
        ByteArrayOutputStream request = new ByteArrayOutputStream();
        InputStream in = s.getInputStream();
        byte[] buf = new byte[1024];
        try {
            int n;
            while ((n = in.read(buf)) > 0) {
                request.write(buf, 0, n);
                if (request.toString(StandardCharsets.ISO_8859_1).contains("\r\n\r\n")) {
                    break;
                }
            }
        } catch (SocketTimeoutException e) {
            // Not HTTP: take what came.
        }
        return request.toString(StandardCharsets.ISO_8859_1);
    }

    private static void drain(InputStream in) throws IOException {
        byte[] buf = new byte[1024];
        while (in.read(buf) >= 0) {
            // discard
        }
    }

    @Override
    public void close() throws Exception {
        server.close();
        thread.join(5000);
    }
}
