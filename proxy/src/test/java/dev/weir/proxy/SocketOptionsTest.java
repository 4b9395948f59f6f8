package dev.weir.proxy;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * The options a proxied connection needs are in effect on both of Weir's sockets, read back from the kernel:
 * TCP_NODELAY (a relay must not hold small writes back) and SO_KEEPALIVE (a dead peer of an idle connection is
 * found), however Weir gets them there (set, or inherited from the listening socket).
 */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class SocketOptionsTest {

    @ParameterizedTest(name = "{0}")
    @MethodSource("dev.weir.proxy.TransportsSource#available")
    void bothSocketsOfAProxiedConnectionHaveNoDelayAndKeepAlive(String transport) throws Exception {
        assumeTrue(KernelSockets.available(), "needs /proc and Netty's native library");
        try (ServerSocket backend = new ServerSocket(0, 50, InetAddress.getLoopbackAddress());
             RunningWeir proxy = TestConfig.to("127.0.0.1:" + backend.getLocalPort()).transport(transport).start();
             Socket client = proxy.connect()) {
            OutputStream out = client.getOutputStream();
            out.write('x');
            out.flush();
            try (Socket accepted = backend.accept()) {
                InputStream in = accepted.getInputStream();
                assertThat(in.read()).isEqualTo('x'); // relayed: both of Weir's sockets exist and carry bytes

                KernelSockets.Options clientSide = KernelSockets.of(proxy.address().getPort(), client.getLocalPort());
                KernelSockets.Options backendSide = KernelSockets.of(accepted.getPort(), backend.getLocalPort());
                assertThat(clientSide).as("Weir's socket to the client").isEqualTo(new KernelSockets.Options(true, true));
                assertThat(backendSide).as("Weir's socket to the backend").isEqualTo(new KernelSockets.Options(true, true));
            }
        }
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("dev.weir.proxy.TransportsSource#available")
    void anIpv6BackendIsReachedFromAnIpv4Listener(String transport) throws Exception {
        // Backend sockets are made in the backend's address family: an IPv6 one gets an AF_INET6 socket.
        InetAddress v6 = InetAddress.getByName("::1");
        ServerSocket backend;
        try {
            backend = new ServerSocket(0, 50, v6);
        } catch (java.io.IOException e) {
            assumeTrue(false, "no IPv6 loopback here: " + e.getMessage());
            return;
        }
        try (backend;
             RunningWeir proxy = TestConfig.to("[::1]:" + backend.getLocalPort()).transport(transport).start();
             Socket client = proxy.connect()) {
            client.getOutputStream().write('x');
            try (Socket accepted = backend.accept()) {
                assertThat(accepted.getInputStream().read()).isEqualTo('x');
                accepted.getOutputStream().write('y');
                assertThat(client.getInputStream().read()).isEqualTo('y');
                if (KernelSockets.available()) {
                    assertThat(KernelSockets.of(accepted.getPort(), backend.getLocalPort()))
                            .isEqualTo(new KernelSockets.Options(true, true));
                }
            }
        }
    }
}
