package dev.weir.proxy.health;

import java.util.PriorityQueue;

/** Virtual time: tasks run only when the test advances the clock, in time order, on the test thread. */
final class ManualScheduler implements Scheduler {

    private record Task(long due, long seq, Runnable run, boolean[] cancelled) {
    }

    private final PriorityQueue<Task> tasks = new PriorityQueue<>((a, b) ->
            a.due != b.due ? Long.compare(a.due, b.due) : Long.compare(a.seq, b.seq));
    private long now;
    private long seq;
    private int executed;

    @Override
    public boolean inLoop() {
        return true;
    }

    @Override
    public void execute(Runnable task) {
        executed++;
        add(task, 0);
    }

    @Override
    public Timer schedule(Runnable task, long delayMillis) {
        Task t = add(task, delayMillis);
        return () -> t.cancelled[0] = true;
    }

    private Task add(Runnable run, long delayMillis) {
        Task t = new Task(now + delayMillis, seq++, run, new boolean[1]);
        tasks.add(t);
        return t;
    }

    @Override
    public long currentTimeMillis() {
        return now;
    }

    long now() {
        return now;
    }

    /** How many tasks were handed over with execute(), i.e. hops onto the loop. */
    int executed() {
        return executed;
    }

    /** Timers still pending (not cancelled). */
    long pendingTimers() {
        return tasks.stream().filter(t -> !t.cancelled[0]).count();
    }

    /** Runs what is due now, including tasks those tasks queue. */
    void runPending() {
        advance(0);
    }

    void advance(long millis) {
        long target = now + millis;
        while (!tasks.isEmpty() && tasks.peek().due <= target) {
            Task t = tasks.poll();
            now = t.due;
            if (!t.cancelled[0]) {
                t.run.run();
            }
        }
        now = target;
    }
}
