import java.nio.file.Path;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import jdk.jfr.consumer.RecordedEvent;
import jdk.jfr.consumer.RecordedFrame;
import jdk.jfr.consumer.RecordedStackTrace;
import jdk.jfr.consumer.RecordingFile;

/**
 * Summarises a JFR recording (e.g. from bench/run.sh --jfr DIR): the hottest methods by CPU samples
 * (self and inclusive), the top allocation sites (jdk.ObjectAllocationSample, by sampled weight),
 * and GC pauses.
 *
 * <pre>java bench/JfrTop.java FILE.jfr [TOP=10] [THREAD-SUBSTRING]</pre>
 */
public final class JfrTop {

    public static void main(String[] args) throws Exception {
        int top = args.length > 1 ? Integer.parseInt(args[1]) : 10;
        String threadFilter = args.length > 2 ? args[2] : null;
        Map<String, Long> self = new HashMap<>();
        Map<String, Long> incl = new HashMap<>();
        Map<String, Long> weirIncl = new HashMap<>();
        Map<String, Long> allocSite = new HashMap<>();
        Map<String, Long> allocClass = new HashMap<>();
        Map<String, Long> threads = new HashMap<>();
        Map<String, Long> nativeTop = new HashMap<>();
        long nativeSamples = 0;
        long samples = 0;
        long allocTotal = 0;
        long gcCount = 0;
        double gcPauseMs = 0;
        for (RecordedEvent e : RecordingFile.readAllEvents(Path.of(args[0]))) {
            String type = e.getEventType().getName();
            switch (type) {
                case "jdk.ExecutionSample" -> {
                    String thread = e.getThread("sampledThread") == null ? "?" : e.getThread("sampledThread").getJavaName();
                    if (threadFilter != null && (thread == null || !thread.contains(threadFilter))) {
                        continue;
                    }
                    threads.merge(String.valueOf(thread).replaceAll("-\\d+$", "-N"), 1L, Long::sum);
                    RecordedStackTrace st = e.getStackTrace();
                    if (st == null || st.getFrames().isEmpty()) {
                        continue;
                    }
                    samples++;
                    List<RecordedFrame> frames = st.getFrames();
                    self.merge(name(frames.get(0)), 1L, Long::sum);
                    Set<String> seen = new HashSet<>();
                    boolean weirSeen = false;
                    for (RecordedFrame f : frames) {
                        String n = name(f);
                        if (seen.add(n)) {
                            incl.merge(n, 1L, Long::sum);
                        }
                        if (!weirSeen && n.startsWith("dev.weir.")) {
                            weirSeen = true;
                            weirIncl.merge(n, 1L, Long::sum);
                        }
                    }
                }
                case "jdk.ObjectAllocationSample" -> {
                    long w = e.getLong("weight");
                    allocTotal += w;
                    String cls = e.getClass("objectClass").getName();
                    allocClass.merge(cls, w, Long::sum);
                    RecordedStackTrace st = e.getStackTrace();
                    String site = "?";
                    if (st != null && !st.getFrames().isEmpty()) {
                        // first frame outside java.*/jdk.* allocation plumbing, plus its caller
                        List<RecordedFrame> fr = st.getFrames();
                        int i = 0;
                        while (i < fr.size() - 1 && (name(fr.get(i)).startsWith("java.") || name(fr.get(i)).startsWith("jdk."))) {
                            i++;
                        }
                        site = name(fr.get(i)) + (i + 1 < fr.size() ? "  <- " + name(fr.get(i + 1)) : "");
                    }
                    allocSite.merge(cls + " @ " + site, w, Long::sum);
                }
                case "jdk.NativeMethodSample" -> {
                    RecordedStackTrace st = e.getStackTrace();
                    if (st != null && !st.getFrames().isEmpty()) {
                        nativeSamples++;
                        nativeTop.merge(name(st.getFrames().get(0)), 1L, Long::sum);
                    }
                }
                case "jdk.GarbageCollection" -> {
                    gcCount++;
                    gcPauseMs += e.getDuration("sumOfPauses").toNanos() / 1e6;
                }
                default -> { }
            }
        }
        System.out.printf("%s: %d CPU samples; GCs %d, total pause %.1f ms; sampled allocation %.1f MB%n",
                args[0], samples, gcCount, gcPauseMs, allocTotal / 1e6);
        print("CPU samples by thread", threads, samples, top);
        print("native-method samples (threads in JNI/blocking calls; " + nativeSamples + ")", nativeTop, nativeSamples, 5);
        print("CPU self (leaf frame)", self, samples, top);
        print("CPU inclusive", incl, samples, top);
        print("CPU, first dev.weir frame from the leaf (samples with none are JDK/Netty-only)", weirIncl, samples, top);
        print("allocation by class (sampled bytes)", allocClass, allocTotal, top);
        print("allocation by site", allocSite, allocTotal, top);
    }

    private static String name(RecordedFrame f) {
        return f.getMethod().getType().getName() + "." + f.getMethod().getName();
    }

    private static void print(String title, Map<String, Long> m, long total, int top) {
        System.out.println("-- " + title);
        m.entrySet().stream().sorted(Map.Entry.<String, Long>comparingByValue().reversed()).limit(top)
                .forEach(e -> System.out.printf("  %5.1f%%  %s%n", 100.0 * e.getValue() / Math.max(1, total), e.getKey()));
    }
}
