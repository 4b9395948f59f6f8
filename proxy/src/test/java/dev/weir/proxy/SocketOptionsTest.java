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
}
