package dev.weir.proxy.tls;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.nio.charset.StandardCharsets;
import java.security.KeyStore;
import java.security.SecureRandom;
import java.util.Queue;
import java.util.concurrent.ConcurrentLinkedQueue;
import javax.net.ssl.KeyManagerFactory;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLServerSocket;
import javax.net.ssl.SSLSocket;
import javax.net.ssl.TrustManagerFactory;

/** A TLS echo server: answers {@code name\n} to the first line, then echoes; records its clients' subjects. */
final class TlsEcho implements AutoCloseable {
    final SSLServerSocket server;
    final Queue<String> clientSubjects = new ConcurrentLinkedQueue<>();
    private final Thread thread;

    /** @param trusted the CA whose client certificates it takes when {@code needClientAuth} */
    TlsEcho(TestPki.Issued trusted, String name, TestPki.Issued cert, boolean needClientAuth) throws Exception {
        SSLContext ctx = serverContext(trusted, cert);
        server = (SSLServerSocket) ctx.getServerSocketFactory().createServerSocket(0, 50, InetAddress.getLoopbackAddress());
        server.setNeedClientAuth(needClientAuth);
        thread = new Thread(() -> {
            while (!server.isClosed()) {
                try {
                    SSLSocket s = (SSLSocket) server.accept();
                    new Thread(() -> serve(s, name)).start();
                } catch (IOException e) {
                    return;
                }
            }
        });
        thread.setDaemon(true);
        thread.start();
    }

    private void serve(SSLSocket s, String name) {
        try (s) {
            s.startHandshake();
            if (s.getNeedClientAuth()) {
                clientSubjects.add(s.getSession().getPeerPrincipal().getName());
            }
            InputStream in = s.getInputStream();
            OutputStream out = s.getOutputStream();
            byte[] buf = new byte[8192];
            int n;
            boolean answered = false;
            while ((n = in.read(buf)) != -1) {
                if (!answered) {
                    out.write((name + "\n").getBytes(StandardCharsets.US_ASCII));
                    answered = true;
                }
                out.write(buf, 0, n);
                out.flush();
            }
        } catch (IOException e) {
            // A failed handshake (the test's wrong-CA cases) or a reset: nothing to serve.
        }
    }

    /** A server context presenting {@code cert} (with its issuer) and trusting {@code trusted}'s clients. */
    static SSLContext serverContext(TestPki.Issued trusted, TestPki.Issued cert) {
        try {
            KeyStore keys = KeyStore.getInstance("PKCS12");
            keys.load(null, null);
            keys.setKeyEntry("me", cert.keys().getPrivate(), new char[0],
                    new java.security.cert.Certificate[] {cert.cert(), cert.issuer().cert()});
            KeyManagerFactory kmf = KeyManagerFactory.getInstance(KeyManagerFactory.getDefaultAlgorithm());
            kmf.init(keys, new char[0]);
            KeyStore trust = KeyStore.getInstance("PKCS12");
            trust.load(null, null);
            trust.setCertificateEntry("ca", trusted.cert());
            TrustManagerFactory tmf = TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
            tmf.init(trust);
            SSLContext ctx = SSLContext.getInstance("TLS");
            ctx.init(kmf.getKeyManagers(), tmf.getTrustManagers(), new SecureRandom());
            return ctx;
        } catch (java.security.GeneralSecurityException | IOException e) {
            throw new IllegalStateException(e);
        }
    }

    String address() {
        return "127.0.0.1:" + server.getLocalPort();
    }

    @Override
    public void close() throws IOException {
        server.close();
    }
}
