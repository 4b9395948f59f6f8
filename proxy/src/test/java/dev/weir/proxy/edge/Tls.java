package dev.weir.proxy.edge;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyStore;
import java.security.cert.X509Certificate;
import java.util.List;
import java.util.Queue;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import javax.net.ssl.ExtendedSSLSession;
import javax.net.ssl.KeyManagerFactory;
import javax.net.ssl.SNIHostName;
import javax.net.ssl.SNIServerName;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLEngine;
import javax.net.ssl.SSLEngineResult;
import javax.net.ssl.SSLEngineResult.HandshakeStatus;
import javax.net.ssl.SSLParameters;
import javax.net.ssl.SSLServerSocket;
import javax.net.ssl.SSLSocket;
import javax.net.ssl.SSLEngineResult.Status;
import javax.net.ssl.TrustManager;
import javax.net.ssl.X509ExtendedTrustManager;

/**
 * Real TLS on both ends of Weir, from the JDK alone: a self-signed key made by {@code keytool}, TLS
 * backends on {@link SSLServerSocket}s that report the server name they were asked for, and clients
 * on {@link SSLSocket} or, where the test must control every byte of the ClientHello, {@link SSLEngine}.
 */
final class Tls {

    static final char[] PASSWORD = "changeit".toCharArray();

    private Tls() {
    }

    /** A PKCS12 key store with one EC key and a self-signed certificate for {@code names}. */
    static Path keyStore(Path dir, String... names) throws IOException, InterruptedException {
        Path ks = dir.resolve("weir-test.p12");
        StringBuilder san = new StringBuilder("SAN=");
        for (int i = 0; i < names.length; i++) {
            san.append(i == 0 ? "" : ",").append("dns:").append(names[i]);
        }
        Path keytool = Path.of(System.getProperty("java.home"), "bin", "keytool");
        Process p = new ProcessBuilder(keytool.toString(), "-genkeypair", "-alias", "weir", "-keyalg", "EC",
                "-groupname", "secp256r1", "-validity", "2", "-dname", "CN=weir-test", "-ext", san.toString(),
                "-keystore", ks.toString(), "-storetype", "PKCS12", "-storepass", new String(PASSWORD),
                "-keypass", new String(PASSWORD))
                .redirectErrorStream(true).start();
        String output = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        if (!p.waitFor(60, TimeUnit.SECONDS) || p.exitValue() != 0 || !Files.exists(ks)) {
            throw new IllegalStateException("keytool failed: " + output);
        }
        return ks;
    }

    static SSLContext serverContext(Path keyStore) throws Exception {
        KeyStore ks = KeyStore.getInstance("PKCS12");
        try (InputStream in = Files.newInputStream(keyStore)) {
            ks.load(in, PASSWORD);
        }
        KeyManagerFactory kmf = KeyManagerFactory.getInstance(KeyManagerFactory.getDefaultAlgorithm());
        kmf.init(ks, PASSWORD);
        SSLContext ctx = SSLContext.getInstance("TLS");
        ctx.init(kmf.getKeyManagers(), null, null);
        return ctx;
    }

    /** Trusts any certificate: the test checks routing, not PKI. */
    static SSLContext trustingClientContext() throws Exception {
        SSLContext ctx = SSLContext.getInstance("TLS");
        ctx.init(null, new TrustManager[] {new TrustAll()}, null);
        return ctx;
    }

    /** The client's parameters: SNI {@code serverName} (none when null), and optionally ALPN names. */
    static SSLParameters clientParameters(SSLParameters p, String serverName, String... alpn) {
        p.setServerNames(serverName == null ? List.of() : List.<SNIServerName>of(new SNIHostName(serverName)));
        if (alpn.length > 0) {
            p.setApplicationProtocols(alpn);
        }
        return p;
    }

    /**
     * Connects to {@code target} over plain TCP, then does a TLS handshake with {@link SSLSocket} and
     * one request line; returns the backend's answer line (null at EOF).
     */
    static String request(InetSocketAddress target, String serverName, String line, String... alpn)
            throws Exception {
        // A fresh context each time: no session to resume, so every connection is a full handshake
        // whose ClientHello names exactly serverName (JDK resumption reuses the first session's name).
        SSLContext client = trustingClientContext();
        try (Socket raw = EdgeSupport.connect(target);
             SSLSocket s = (SSLSocket) client.getSocketFactory().createSocket(raw, "127.0.0.1", target.getPort(), true)) {
            s.setSSLParameters(clientParameters(s.getSSLParameters(), serverName, alpn));
            s.startHandshake();
            OutputStream out = s.getOutputStream();
            out.write((line + "\n").getBytes(StandardCharsets.UTF_8));
            out.flush();
            return new BufferedReader(new InputStreamReader(s.getInputStream(), StandardCharsets.UTF_8)).readLine();
        }
    }

    /**
     * A TLS backend: completes the handshake, reads one line and answers
     * {@code <name> <server name or -> <line>}, then waits for the client to finish.
     */
    static final class Backend implements AutoCloseable {

        final String name;
        private final SSLServerSocket server;
        private final ExecutorService threads = Executors.newCachedThreadPool(r -> {
            Thread t = new Thread(r, "tls-backend");
            t.setDaemon(true);
            return t;
        });
        /** Connections that reached this backend, as the server name each asked for ("-" for none). */
        final Queue<String> served = new ConcurrentLinkedQueue<>();

        Backend(String name, SSLContext context) throws IOException {
            this.name = name;
            this.server = (SSLServerSocket) context.getServerSocketFactory()
                    .createServerSocket(0, 50, InetAddress.getLoopbackAddress());
            threads.execute(this::acceptLoop);
        }

        int port() {
            return server.getLocalPort();
        }

        private void acceptLoop() {
            while (!server.isClosed()) {
                try {
                    SSLSocket s = (SSLSocket) server.accept();
                    threads.execute(() -> serve(s));
                } catch (IOException e) {
                    return; // closed
                }
            }
        }

        private void serve(SSLSocket s) {
            try (s) {
                s.setSoTimeout(15_000);
                s.startHandshake();
                List<SNIServerName> names = ((ExtendedSSLSession) s.getSession()).getRequestedServerNames();
                String sni = names.isEmpty() ? "-" : ((SNIHostName) names.get(0)).getAsciiName();
                served.add(sni);
                BufferedReader in = new BufferedReader(new InputStreamReader(s.getInputStream(), StandardCharsets.UTF_8));
                String line = in.readLine();
                if (line == null) {
                    return;
                }
                OutputStream out = s.getOutputStream();
                out.write((name + " " + sni + " " + line + "\n").getBytes(StandardCharsets.UTF_8));
                out.flush();
                while (in.readLine() != null) {
                    // until the client closes
                }
            } catch (IOException e) {
                // a failed or abandoned handshake: the test looks at the client side
            }
        }

        @Override
        public void close() throws IOException {
            server.close();
            threads.shutdownNow();
        }
    }

    /**
     * A TLS client on {@link SSLEngine} over a plain socket, so that the test decides how the
     * ClientHello travels: in pieces of {@code chunk} bytes (one write each, TCP_NODELAY on), and
     * optionally with its handshake message split over two TLS records in the middle of the server
     * name. Returns the answer to {@code line}.
     */
    static final class EngineClient {

        private final Socket socket;
        private final SSLEngine engine;
        private final int chunk;
        private final boolean twoRecords;
        private final String serverName;
        private ByteBuffer netIn = ByteBuffer.allocate(64 * 1024);
        private ByteBuffer appIn = ByteBuffer.allocate(64 * 1024);
        private byte[] clientHello;

        EngineClient(SSLContext context, Socket socket, String serverName, int chunk, boolean twoRecords) {
            this.socket = socket;
            this.chunk = chunk;
            this.twoRecords = twoRecords;
            this.serverName = serverName;
            this.engine = context.createSSLEngine();
            engine.setUseClientMode(true);
            engine.setSSLParameters(clientParameters(engine.getSSLParameters(), serverName));
        }

        /** The ClientHello record exactly as the engine produced it. */
        byte[] clientHello() {
            return clientHello;
        }

        String exchange(String line) throws IOException {
            handshake();
            ByteBuffer app = ByteBuffer.wrap((line + "\n").getBytes(StandardCharsets.UTF_8));
            while (app.hasRemaining()) {
                send(wrap(app), Integer.MAX_VALUE);
            }
            return readLine();
        }

        private void handshake() throws IOException {
            engine.beginHandshake();
            boolean first = true;
            while (true) {
                HandshakeStatus hs = engine.getHandshakeStatus();
                switch (hs) {
                    case NEED_WRAP -> {
                        byte[] out = wrap(ByteBuffer.allocate(0));
                        if (first) {
                            clientHello = out;
                            first = false;
                            send(twoRecords ? splitOverTwoRecords(out, serverName) : out, chunk);
                        } else {
                            send(out, Integer.MAX_VALUE);
                        }
                    }
                    case NEED_UNWRAP, NEED_UNWRAP_AGAIN -> unwrapSome();
                    case NEED_TASK -> runTasks();
                    case FINISHED, NOT_HANDSHAKING -> {
                        return;
                    }
                    default -> throw new IllegalStateException(hs.toString());
                }
            }
        }

        private byte[] wrap(ByteBuffer app) throws IOException {
            ByteBuffer net = ByteBuffer.allocate(engine.getSession().getPacketBufferSize());
            SSLEngineResult r = engine.wrap(app, net);
            if (r.getStatus() != Status.OK) {
                throw new IOException("wrap: " + r);
            }
            if (r.getHandshakeStatus() == HandshakeStatus.NEED_TASK) {
                runTasks();
            }
            net.flip();
            byte[] b = new byte[net.remaining()];
            net.get(b);
            return b;
        }

        /** Unwraps one record, reading from the socket when a whole one is not there yet. */
        private void unwrapSome() throws IOException {
            while (true) {
                netIn.flip();
                SSLEngineResult r = engine.unwrap(netIn, appIn);
                netIn.compact();
                switch (r.getStatus()) {
                    case OK -> {
                        if (r.getHandshakeStatus() == HandshakeStatus.NEED_TASK) {
                            runTasks();
                        }
                        return;
                    }
                    case BUFFER_UNDERFLOW -> readMore();
                    case BUFFER_OVERFLOW -> appIn = grow(appIn);
                    case CLOSED -> throw new IOException("TLS closed by the peer");
                    default -> throw new IOException("unwrap: " + r);
                }
            }
        }

        private String readLine() throws IOException {
            while (true) {
                for (int i = 0; i < appIn.position(); i++) {
                    if (appIn.get(i) == '\n') {
                        return new String(appIn.array(), 0, i, StandardCharsets.UTF_8);
                    }
                }
                unwrapSome();
                if (engine.getHandshakeStatus() == HandshakeStatus.NEED_WRAP) {
                    send(wrap(ByteBuffer.allocate(0)), Integer.MAX_VALUE); // e.g. a key update
                }
            }
        }

        private void readMore() throws IOException {
            byte[] buf = new byte[16 * 1024];
            int n = socket.getInputStream().read(buf);
            if (n < 0) {
                throw new IOException("EOF from the server during TLS");
            }
            if (netIn.remaining() < n) {
                netIn = grow(netIn);
            }
            netIn.put(buf, 0, n);
        }

        private void runTasks() {
            Runnable task;
            while ((task = engine.getDelegatedTask()) != null) {
                task.run();
            }
        }

        private void send(byte[] bytes, int pieceSize) throws IOException {
            OutputStream out = socket.getOutputStream();
            for (int off = 0; off < bytes.length; off += pieceSize) {
                out.write(bytes, off, Math.min(pieceSize, bytes.length - off));
                out.flush();
            }
        }

        private static ByteBuffer grow(ByteBuffer b) {
            ByteBuffer bigger = ByteBuffer.allocate(b.capacity() * 2);
            b.flip();
            return bigger.put(b);
        }
    }

    /**
     * The ClientHello's handshake message carried in two TLS records, split in the middle of the
     * server name (as nginx's stream_ssl_preread.t does): a peeker must reassemble the records.
     */
    static byte[] splitOverTwoRecords(byte[] record, String serverName) {
        if (record[0] != 0x16) {
            throw new IllegalArgumentException("not a handshake record");
        }
        int length = ((record[3] & 0xff) << 8) | (record[4] & 0xff);
        if (length != record.length - 5) {
            throw new IllegalArgumentException("expected exactly one record, got " + record.length + " bytes");
        }
        int name = indexOf(record, serverName.getBytes(StandardCharsets.US_ASCII));
        if (name < 0) {
            throw new IllegalArgumentException("no server name " + serverName + " in the ClientHello");
        }
        int split = name + serverName.length() / 2;
        ByteBuffer b = ByteBuffer.allocate(record.length + 5);
        b.put(record, 0, 3).putShort((short) (split - 5)).put(record, 5, split - 5);
        b.put(record, 0, 3).putShort((short) (record.length - split)).put(record, split, record.length - split);
        return b.array();
    }

    /** Index of {@code needle} in {@code hay}, or -1. */
    static int indexOf(byte[] hay, byte[] needle) {
        outer:
        for (int i = 0; i + needle.length <= hay.length; i++) {
            for (int j = 0; j < needle.length; j++) {
                if (hay[i + j] != needle[j]) {
                    continue outer;
                }
            }
            return i;
        }
        return -1;
    }

    private static final class TrustAll extends X509ExtendedTrustManager {
        @Override
        public void checkClientTrusted(X509Certificate[] chain, String authType, Socket socket) {
        }

        @Override
        public void checkServerTrusted(X509Certificate[] chain, String authType, Socket socket) {
        }

        @Override
        public void checkClientTrusted(X509Certificate[] chain, String authType, SSLEngine engine) {
        }

        @Override
        public void checkServerTrusted(X509Certificate[] chain, String authType, SSLEngine engine) {
        }

        @Override
        public void checkClientTrusted(X509Certificate[] chain, String authType) {
        }

        @Override
        public void checkServerTrusted(X509Certificate[] chain, String authType) {
        }

        @Override
        public X509Certificate[] getAcceptedIssuers() {
            return new X509Certificate[0];
        }
    }
}
