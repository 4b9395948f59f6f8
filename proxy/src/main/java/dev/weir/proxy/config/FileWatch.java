package dev.weir.proxy.config;

import java.io.IOException;
import java.nio.file.ClosedWatchServiceException;
import java.nio.file.FileSystems;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardWatchEventKinds;
import java.nio.file.WatchKey;
import java.nio.file.WatchService;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.Arrays;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashSet;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Watches files and calls back when one's content changed: the config file ({@code reload: {watch: true}}) and a
 * terminating listener's certificates and keys. The files' directories are watched, not the files (a Kubernetes
 * ConfigMap or Secret swaps a symlink rather than writing the file), and a change is a change of content. Events
 * are coalesced until the directories are quiet for a moment, so an editor's or a renewal's several writes make
 * one call. Runs on its own daemon thread: file I/O never touches an event loop.
 *
 * <p>Thread rule: {@link #watch} from any thread; the callback runs on the watch thread.
 */
public final class FileWatch implements AutoCloseable {

    private static final Logger log = LoggerFactory.getLogger(FileWatch.class);
    private static final long QUIET_MILLIS = 200;

    private final String what;
    private final Runnable onChange;
    private final WatchService watcher;
    private final Thread thread;
    private final Set<Path> dirs = new HashSet<>();
    /** The files and the digest of what they held when last seen; replaced whole by {@link #watch}. */
    private volatile Map<Path, byte[]> files = Map.of();

    /**
     * @param what     what the files are, for the log ({@code config}, {@code certificates})
     * @param onChange called on the watch thread once the files are quiet after a change of content
     */
    public FileWatch(String what, Set<Path> files, Runnable onChange) throws IOException {
        this.what = what;
        this.onChange = onChange;
        this.watcher = FileSystems.getDefault().newWatchService();
        watch(files);
        this.thread = new Thread(this::run, "weir-" + what + "-watch");
        thread.setDaemon(true);
        thread.start();
    }

    /**
     * Watches {@code next} from now on (a reload may name other certificate files). A file new to the watch starts
     * from its content now; one already watched keeps what the watch last saw, because a reload calls this after it
     * read the files, and a change written in between must still be reported.
     */
    public synchronized void watch(Set<Path> next) throws IOException {
        Map<Path, byte[]> before = files;
        Map<Path, byte[]> seen = new HashMap<>();
        Set<Path> absolute = new LinkedHashSet<>();
        for (Path f : next) {
            Path a = f.toAbsolutePath();
            absolute.add(a);
            seen.put(a, before.containsKey(a) ? before.get(a) : digest(a));
            if (dirs.add(a.getParent())) {
                a.getParent().register(watcher, StandardWatchEventKinds.ENTRY_CREATE,
                        StandardWatchEventKinds.ENTRY_MODIFY, StandardWatchEventKinds.ENTRY_DELETE);
            }
        }
        if (!absolute.equals(files.keySet())) {
            log.info("watching {} file{}={}", what, absolute.size() == 1 ? "" : "s",
                    absolute.size() == 1 ? absolute.iterator().next() : absolute);
        }
        files = seen;
    }

    private void run() {
        try {
            while (true) {
                WatchKey key = watcher.take();
                key.pollEvents();
                key.reset();
                // Coalesce a burst of events (write, rename, chmod) into one look at the files.
                WatchKey more;
                while ((more = watcher.poll(QUIET_MILLIS, TimeUnit.MILLISECONDS)) != null) {
                    more.pollEvents();
                    more.reset();
                }
                if (changed()) {
                    onChange.run();
                }
            }
        } catch (InterruptedException | ClosedWatchServiceException e) {
            // closed
        }
    }

    /** True when a file now holds other bytes than when last seen (a file mid-swap is looked at next time). */
    private synchronized boolean changed() {
        Map<Path, byte[]> next = new HashMap<>(files);
        boolean changed = false;
        for (Map.Entry<Path, byte[]> e : files.entrySet()) {
            byte[] now = digest(e.getKey());
            if (now != null && !Arrays.equals(now, e.getValue())) {
                next.put(e.getKey(), now);
                changed = true;
                log.info("{} file changed file={}", what, e.getKey());
            }
        }
        files = next;
        return changed;
    }

    private static byte[] digest(Path file) {
        try {
            return MessageDigest.getInstance("SHA-256").digest(Files.readAllBytes(file));
        } catch (IOException e) {
            return null; // mid-swap or deleted: wait for the next event
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    @Override
    public void close() {
        try {
            watcher.close();
        } catch (IOException e) {
            log.debug("closing watcher: {}", e.getMessage());
        }
        thread.interrupt();
    }
}
