package dev.weir.proxy;

import dev.weir.proxy.transport.Transport;
import java.util.stream.Stream;

/** Every transport that works on this machine, for tests that must hold on each. */
final class TransportsSource {

    private TransportsSource() {
    }

    static Stream<String> available() {
        return Transport.available().stream().map(Transport::name);
    }
}
