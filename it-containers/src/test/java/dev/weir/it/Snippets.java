package dev.weir.it;

import java.util.stream.Collectors;
import java.util.stream.Stream;

/** Config snippets for the scenarios. */
final class Snippets {

    private Snippets() {
    }

    static String listener(int port) {
        return "listeners:\n  web: {bind: 127.0.0.1:" + port + ", pool: web}\n";
    }

    /** {@code backends:} of pool web, each named after its sample. */
    static String backends(Containers.Sample... samples) {
        return "    backends:\n" + Stream.of(samples)
                .map(s -> "      - {address: " + s.address() + ", name: " + s.name + "}\n")
                .collect(Collectors.joining());
    }

    /**
     * A send-expect check that passes only while the backend answers: {@code whoami} must come back with a name.
     * Every sample in the suite is named {@code svc-...}.
     */
    static String sendExpect(String interval, String timeout, int rise, int fall) {
        return "    health-check: {type: send-expect, send: \"whoami\\n\", expect: \"svc-\", interval: " + interval
                + ", timeout: " + timeout + ", rise: " + rise + ", fall: " + fall + ", jitter: 10%}\n";
    }
}
