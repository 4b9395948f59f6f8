package dev.weir.proxy.config;

import static dev.weir.proxy.config.NodeReader.child;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * Two listeners cannot bind the same port on the same host, nor on any host when one of them is a wildcard (the
 * kernel refuses the second bind); nor can the admin endpoint share a listener's. Port 0 never clashes: each bind
 * gets its own free port. Checked once every listener is read.
 */
final class BindRules {

    private BindRules() {
    }

    static void checkListenersDistinct(NodeReader in, Map<String, ListenerConfig> listeners) {
        List<String> paths = new ArrayList<>();
        List<HostPort> binds = new ArrayList<>();
        listeners.forEach((name, listener) -> {
            if (listener == null || listener.bind().port() == 0) {
                return;
            }
            HostPort bind = listener.bind();
            String path = bindPath(name);
            for (int i = 0; i < binds.size(); i++) {
                HostPort other = binds.get(i);
                if (clash(other, bind)) {
                    in.error(path, bind.toString(),
                            "an address no other listener binds; " + paths.get(i) + " is " + other);
                    return;
                }
            }
            paths.add(path);
            binds.add(bind);
        });
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
