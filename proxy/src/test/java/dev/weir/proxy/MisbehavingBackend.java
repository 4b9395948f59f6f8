package dev.weir.proxy;

import java.io.IOException;
import java.io.InputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;

/**
 * A backend that misbehaves the same way on every connection, for the failure paths of the hygiene tests. Plain
 * blocking sockets: one thread accepts, and in {@link Act#SILENT} one thread per connection waits for the peer to
 * leave. {@link #full()} is another kind: a listening socket whose accept queue is full, so connects hang.
 *
 * <p>Thread rule: {@link #close()} and the getters may be called from any thread.
 */
final class MisbehavingBackend implements AutoCloseable {

    /** What happens to each accepted connection. */
    enum Act {
        /** Reset at once (SO_LINGER 0, then close): an RST right after the handshake. */
        RESET,
        /** Closed at once with a FIN, before a byte either way. */
        CLOSE,
        /** Held open, read and discarded, never answered: a hanging service. Closed when the peer closes. */
        SILENT
    }

    private final ServerSocket server;
    private final List<Socket> fillers;
    private final Set<Socket> held = ConcurrentHashMap.newKeySet();
    private final AtomicLong accepted = new AtomicLong();

    private MisbehavingBackend(ServerSocket server, List<Socket> fillers) {
        this.server = server;
        this.fillers = fillers;
    }

    static MisbehavingBackend start(Act act) throws IOException {
        MisbehavingBackend b = new MisbehavingBackend(new ServerSocket(0, 50, InetAddress.getLoopbackAddress()), List.of());
        Thread acceptor = new Thread(() -> b.acceptLoop(act), "misbehaving-" + act.name().toLowerCase() + "-" + b.port());
        acceptor.setDaemon(true);
        acceptor.start();
        return b;
    }

    /**
     * A backend that never accepts and whose accept queue is full: the kernel drops further SYNs, so a connect
     * to it hangs until its own timeout (a stopped or overloaded service).
     */
    static MisbehavingBackend full() throws IOException {
        ServerSocket server = new ServerSocket(0, 1, InetAddress.getLoopbackAddress());
        List<Socket> fillers = new ArrayList<>();
        InetSocketAddress address = (InetSocketAddress) server.getLocalSocketAddress();
        for (int i = 0; i < 16; i++) {
            Socket s = new Socket();
            try {
                s.connect(address, 300);
                fillers.add(s);
            } catch (SocketTimeoutException e) {
                s.close();
                // Linux queues backlog + 1: a timeout before that is a stalled machine, not a full queue.
                if (fillers.size() >= 2) {
                    return new MisbehavingBackend(server, fillers);
                }
            }
        }
        server.close();
        fillers.forEach(MisbehavingBackend::closeQuietly);
        throw new IllegalStateException("the accept queue of a backlog-1 socket never filled");
    }

    int port() {
        return server.getLocalPort();
    }

    String address() {
        return "127.0.0.1:" + port();
    }

    /** Connections accepted so far. */
    long accepted() {
        return accepted.get();
    }

    private void acceptLoop(Act act) {
        while (!server.isClosed()) {
            Socket s;
            try {
                s = server.accept();
            } catch (IOException e) {
                return; // closed
            }
            accepted.incrementAndGet();
            try {
                switch (act) {
                    case RESET -> {
                        s.setSoLinger(true, 0);
                        s.close();
                    }
                    case CLOSE -> s.close();
                    case SILENT -> hold(s);
                }
            } catch (IOException e) {
                closeQuietly(s);
            }
        }
    }

    private void hold(Socket s) {
        held.add(s);
        Thread t = new Thread(() -> {
            byte[] discard = new byte[4096];
            try (InputStream in = s.getInputStream()) {
                while (in.read(discard) != -1) {
                    // never answered
                }
            } catch (IOException e) {
                // reset by the peer, or closed by close()
            } finally {
                closeQuietly(s);
                held.remove(s);
            }
        }, "misbehaving-silent-conn");
        t.setDaemon(true);
        t.start();
    }

    @Override
    public void close() {
        closeQuietly(server);
        fillers.forEach(MisbehavingBackend::closeQuietly);
        held.forEach(MisbehavingBackend::closeQuietly);
    }

    private static void closeQuietly(AutoCloseable c) {
        try {
            c.close();
        } catch (Exception e) {
            // already closed or reset: nothing left to free
        }
    }
}
