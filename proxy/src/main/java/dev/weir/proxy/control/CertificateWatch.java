package dev.weir.proxy.control;

import dev.weir.proxy.config.Config;
import dev.weir.proxy.config.FileWatch;
import dev.weir.proxy.config.ListenerConfig;
import dev.weir.proxy.config.TlsConfig;
import java.io.IOException;
import java.nio.file.Path;
import java.util.LinkedHashSet;
import java.util.Set;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * With {@code reload: {watch: true}}, the certificate and key files of the terminating listeners are watched too: a
 * renewal that replaces them in place (cert-manager, Let's Encrypt) reloads the running config, which reads them
 * again. What is watched follows each reload.
 *
 * <p>Thread rule: {@link #follow} and {@link #close} on the control thread; a change is handed to it.
 */
final class CertificateWatch implements AutoCloseable {

    private static final Logger log = LoggerFactory.getLogger(CertificateWatch.class);

    private final Control control;
    private final Runnable reload;
    private FileWatch files;

    /** @param reload runs on the control thread after a watched file changed */
    CertificateWatch(Control control, Runnable reload) {
        this.control = control;
        this.reload = reload;
    }

    /** Watches the files {@code running} names, when it asks for watching; stops when it names none. */
    void follow(Config running) {
        Set<Path> wanted = new LinkedHashSet<>();
        if (running.reload().watch()) {
            for (ListenerConfig lc : running.listeners().values()) {
                TlsConfig tls = lc.tls();
                if (tls != null) {
                    tls.certificates().forEach(c -> {
                        wanted.add(c.cert());
                        wanted.add(c.key());
                    });
                    if (tls.clientCa() != null) {
                        wanted.add(tls.clientCa());
                    }
                }
            }
        }
        try {
            if (wanted.isEmpty()) {
                close();
            } else if (files == null) {
                files = new FileWatch("certificates", wanted, () -> control.execute(reload));
            } else {
                files.watch(wanted);
            }
        } catch (IOException e) {
            log.warn("cannot watch certificate files cause=\"{}\" (a reload still reads them)", e.getMessage());
        }
    }

    @Override
    public void close() {
        if (files != null) {
            files.close();
            files = null;
        }
    }
}
