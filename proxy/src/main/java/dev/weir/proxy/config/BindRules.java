package dev.weir.proxy.config;

import static dev.weir.proxy.config.NodeReader.child;

import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;

/**
 * Two listeners cannot bind the same port on the same host, nor on any host when one of them is a wildcard (the
 * kernel refuses the second bind); nor can the admin endpoint share a listener's. Port 0 never clashes: each bind
 * gets its own free port. Checked once every listener is read. Hosts compare ignoring case (they are ASCII: names,
 * IP literals).
 */
final class BindRules {

    private BindRules() {
    }

    /**
     * Each bind against those before it that did not clash, as a loop over every pair would, but through a map by
     * port and host: a file of tens of thousands of listeners is checked in time linear in their number. A clash
     * names the first listener it clashes with. A wildcard taken on a port is the only bind taken there (it clashes
     * with any other), so the first bind on a port is the one a wildcard, or a bind after a wildcard, clashes with.
     */
    static void checkListenersDistinct(NodeReader in, Map<String, ListenerConfig> listeners) {
        Map<Integer, Map<String, Bound>> ports = new HashMap<>();
        listeners.forEach((name, listener) -> {
            if (listener == null || listener.bind().port() == 0) {
                return;
            }
            HostPort bind = listener.bind();
            String path = bindPath(name);
            Map<String, Bound> taken = ports.computeIfAbsent(bind.port(), p -> new LinkedHashMap<>());
            Bound first = taken.isEmpty() ? null : taken.values().iterator().next();
            String host = bind.host().toLowerCase(Locale.ROOT);
            Bound other = isWildcard(bind.host()) || first != null && isWildcard(first.bind.host()) ? first
                    : taken.get(host);
            if (other != null) {
                in.error(path, bind.toString(), "an address no other listener binds; " + other.path + " is "
                        + other.bind);
                return;
            }
            taken.put(host, new Bound(path, bind));
        });
    }

    /** A bind taken, and the path of the listener that took it. */
    private record Bound(String path, HostPort bind) {
    }

    /** {@code bindWritten} false: the address is the default, so the error says where it came from. */
    static void checkAdmin(NodeReader in, AdminConfig admin, boolean bindWritten,
            Map<String, ListenerConfig> listeners) {
        if (admin == null || admin.bind() == null || admin.bind().port() == 0) {
            return;
        }
        for (Map.Entry<String, ListenerConfig> entry : listeners.entrySet()) {
            ListenerConfig listener = entry.getValue();
            if (listener != null && listener.bind().port() != 0 && clash(listener.bind(), admin.bind())) {
                String hint = bindWritten ? ""
                        : "; admin is on by default: write admin.bind: another address or off";
                in.error(ProcessSchema.ADMIN_BIND.path("admin"), admin.bind().toString(),
                        "an address no listener binds; " + bindPath(entry.getKey()) + " is " + listener.bind() + hint);
                return;
            }
        }
    }

    private static String bindPath(String listener) {
        return ListenerSchema.BIND.path(child(ConfigSchema.LISTENERS.name(), listener));
    }

    private static boolean clash(HostPort a, HostPort b) {
        return a.port() == b.port()
                && (a.host().equalsIgnoreCase(b.host()) || isWildcard(a.host()) || isWildcard(b.host()));
    }

    private static boolean isWildcard(String host) {
        return host.equals("0.0.0.0") || host.equals("::") || host.equals("0:0:0:0:0:0:0:0");
    }
}
