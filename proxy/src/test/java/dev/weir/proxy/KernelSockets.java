package dev.weir.proxy;

import io.netty.channel.epoll.Epoll;
import io.netty.channel.unix.Socket;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Stream;

/**
 * The kernel's view of a TCP socket this test JVM holds (an in-process Weir's, found by its ports through
 * /proc/net/tcp{,6} and /proc/self/fd): its options as getsockopt reads them, whatever Netty believes.
 * Linux only, and it needs Netty's native library (epoll) to call getsockopt on a bare descriptor.
 */
final class KernelSockets {

    private KernelSockets() {
    }

    /** The socket options the tests check, read from the kernel. */
    record Options(boolean tcpNoDelay, boolean keepAlive) {
    }

    static boolean available() {
        return Epoll.isAvailable() && Files.isReadable(Path.of("/proc/self/fd"));
    }

    /**
     * The options of the socket whose local port is {@code localPort} and whose peer's port is {@code remotePort},
     * held by this process. The descriptor stays open: it belongs to the proxy.
     */
    static Options of(int localPort, int remotePort) throws IOException {
        String inode = inode(localPort, remotePort);
        int fd = fdOf(inode);
        Socket s = new Socket(fd);
        return new Options(s.isTcpNoDelay(), s.isKeepAlive());
    }

    private static String inode(int localPort, int remotePort) throws IOException {
        for (String table : List.of("/proc/net/tcp", "/proc/net/tcp6")) {
            for (String line : Files.readAllLines(Path.of(table))) {
                String[] f = line.trim().split("\\s+");
                if (f.length < 10 || !f[1].contains(":")) {
                    continue; // the header
                }
                if (port(f[1]) == localPort && port(f[2]) == remotePort && !"0".equals(f[9])) {
                    return f[9];
                }
            }
        }
        throw new IllegalStateException("no socket from port " + localPort + " to port " + remotePort);
    }

    private static int port(String hexAddressAndPort) {
        return Integer.parseInt(hexAddressAndPort.substring(hexAddressAndPort.indexOf(':') + 1), 16);
    }

    private static int fdOf(String inode) throws IOException {
        String target = "socket:[" + inode + "]";
        try (Stream<Path> fds = Files.list(Path.of("/proc/self/fd"))) {
            for (Path p : (Iterable<Path>) fds::iterator) {
                try {
                    if (Files.readSymbolicLink(p).toString().equals(target)) {
                        return Integer.parseInt(p.getFileName().toString());
                    }
                } catch (IOException gone) {
                    // closed meanwhile (the listing's own descriptor, say)
                }
            }
        }
        throw new IllegalStateException("this process holds no descriptor for " + target);
    }
}
