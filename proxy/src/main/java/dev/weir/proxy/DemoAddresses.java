package dev.weir.proxy;

import dev.weir.proxy.config.Config;
import dev.weir.proxy.config.HostPort;
import dev.weir.proxy.config.ListenerConfig;
import dev.weir.proxy.control.Weir;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.function.Function;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The demo's three addresses, each set by a variable that config/demo.yaml reads. One left unset whose default
 * port is taken (by another demo, or by something else on 8080) moves to a free port on the same host, so that
 * trying Weir never starts with a port conflict; one the user set must be free, and the error names its variable.
 */
final class DemoAddresses {

    private static final Logger log = LoggerFactory.getLogger(DemoAddresses.class);

    /** An address of the demo, the variable that sets it, and where a running Weir bound it. */
    record Setting(String variable, String what, Function<Config, HostPort> bind, Function<Weir, InetSocketAddress> bound) {
    }

    /** A default address that was taken, and the setting that moved to a free port. */
    record Moved(Setting setting, HostPort taken) {
        /** One line for the demo's hints: what took which port instead. */
        String describe(Weir weir) {
            InetSocketAddress now = setting.bound().apply(weir);
            return "The default address of " + setting.what() + ", " + taken + ", is taken: it took "
                    + (now == null ? "a free port" : now.getAddress().getHostAddress() + ":" + now.getPort())
                    + " instead (" + setting.variable() + " sets it).";
        }
    }

    static final List<Setting> SETTINGS = List.of(
            new Setting("WEIR_DEMO_BIND", "listener demo", c -> listenerBind(c, "demo"), w -> w.listenerAddress("demo")),
            new Setting("WEIR_DEMO_STICKY_BIND", "listener demo-sticky", c -> listenerBind(c, "demo-sticky"),
                    w -> w.listenerAddress("demo-sticky")),
            new Setting("WEIR_DEMO_ADMIN_BIND", "the admin endpoint", c -> c.admin().bind(), Weir::adminAddress));

    /** A user-set address that cannot be bound: the message names the variable. */
    static final class Taken extends Exception {
        Taken(String message) {
            super(message, null, false, false);
        }
    }

    private DemoAddresses() {
    }

    /**
     * The settings whose default address is taken and that the user did not set; for each, {@code env} gets
     * HOST:0 (a free port). Throws when an address the user set cannot be bound.
     *
     * @param cfg     the demo config as parsed from {@code env}
     * @param userEnv the process's environment: what the user set
     */
    static List<Moved> moveTaken(Config cfg, Map<String, String> env, Map<String, String> userEnv) throws Taken {
        List<Moved> moved = new ArrayList<>();
        for (Setting s : SETTINGS) {
            HostPort bind = s.bind().apply(cfg);
            String problem = bind == null || bind.port() == 0 ? null : cannotBind(bind);
            if (problem == null) {
                continue;
            }
            if (userEnv.containsKey(s.variable())) {
                throw new Taken(s.variable() + "=" + userEnv.get(s.variable()) + ": cannot bind " + bind + " (" + problem
                        + "); set " + s.variable() + " to another address, or unset it to take a free port");
            }
            log.info("demo port taken variable={} address={} action=free-port", s.variable(), bind);
            env.put(s.variable(), new HostPort(bind.host(), 0).toString());
            moved.add(new Moved(s, bind));
        }
        return moved;
    }

    /** Why {@code bind} cannot be bound now (in use, say), or null when it can or the start will tell. */
    private static String cannotBind(HostPort bind) {
        InetSocketAddress address = bind.resolve();
        if (address.isUnresolved()) {
            return null;
        }
        try (ServerSocket probe = new ServerSocket()) {
            probe.setReuseAddress(true); // as Weir binds: a port left in TIME_WAIT is free
            probe.bind(address);
            return null;
        } catch (IOException e) {
            return e.getMessage() == null ? e.getClass().getSimpleName() : e.getMessage();
        }
    }

    private static HostPort listenerBind(Config cfg, String name) {
        ListenerConfig l = cfg.listeners().get(name);
        return l == null ? null : l.bind();
    }
}
