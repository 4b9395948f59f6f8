package dev.weir.proxy;

import static org.assertj.core.api.Assertions.assertThat;

import dev.weir.proxy.api.ReloadResult;
import dev.weir.proxy.backend.AdminState;
import dev.weir.sample.BackendSample;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/** What a reload reports after API changes: only what it really changed, each override once and named. */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class ReloadSummaryTest {

    private static final List<BackendSample> backends = new ArrayList<>();

    @TempDir
    Path dir;

    @BeforeAll
    static void startBackends() throws Exception {
        for (int i = 1; i <= 3; i++) {
            backends.add(BackendSample.start("b" + i, "127.0.0.1", 0, null));
        }
    }

    @AfterAll
    static void stopBackends() {
        backends.forEach(BackendSample::close);
    }

    private static String addr(int i) {
        return "127.0.0.1:" + backends.get(i - 1).port();
    }

    private Path file() {
        return dir.resolve("weir.yaml");
    }

    /** Pool p with b1 and b2 ({@code b2} as written in the list). */
    private static TestConfig config(Object b2) {
        return TestConfig.to(addr(1), b2);
    }

    /** Unless a test rewrites the file, every reload re-applies it as it is. */
    private RunningWeir startWeir() throws Exception {
        return RunningWeir.with(config(addr(2))).file(file()).start();
    }

    private static void assertUnchanged(ReloadResult r) {
        assertThat(r.outcome()).as(r.toString()).isEqualTo(ReloadResult.Outcome.UNCHANGED);
        assertThat(r.changes()).as(r.toString()).isEmpty();
        assertThat(r.overridden()).as(r.toString()).isEmpty();
    }

    private static AdminState admin(RunningWeir proxy, String id) {
        return proxy.weir().backends("p").stream().filter(b -> b.id().equals(id) && !b.removed()).findFirst().orElseThrow().admin();
    }

    @Test
    void aDrainThatTheApiUndidIsNoChange() throws Exception {
        try (RunningWeir proxy = startWeir()) {
            proxy.weir().drain("p", addr(2));
            proxy.weir().enable("p", addr(2));
            assertUnchanged(proxy.weir().reloadFromFile());
        }
    }

    @Test
    void anOverriddenDisableIsReportedOnceAndNamed() throws Exception {
        try (RunningWeir proxy = startWeir()) {
            proxy.weir().disable("p", addr(2));
            ReloadResult r = proxy.weir().reloadFromFile();
            assertThat(r.outcome()).as(r.toString()).isEqualTo(ReloadResult.Outcome.RELOADED);
            assertThat(r.changes()).containsExactly(
                    "pool p: backend " + addr(2) + " active again (its disable through the API was overridden)");
            assertThat(r.overridden()).containsExactly("p/" + addr(2));
            assertThat(admin(proxy, addr(2))).isEqualTo(AdminState.ACTIVE);
            assertUnchanged(proxy.weir().reloadFromFile());
        }
    }

    @Test
    void anOverriddenDrainNamesTheDrain() throws Exception {
        try (RunningWeir proxy = startWeir()) {
            proxy.weir().disable("p", addr(2));
            proxy.weir().drain("p", addr(2));
            ReloadResult r = proxy.weir().reloadFromFile();
            assertThat(r.changes()).as(r.toString()).containsExactly(
                    "pool p: backend " + addr(2) + " active again (its drain through the API was overridden)");
            assertThat(r.overridden()).containsExactly("p/" + addr(2));
        }
    }

    @Test
    void aBackendAddedAndRemovedThroughTheApiIsNoChange() throws Exception {
        try (RunningWeir proxy = startWeir()) {
            proxy.weir().addBackend("p", addr(3), 1, null);
            proxy.weir().removeBackend("p", addr(3));
            assertUnchanged(proxy.weir().reloadFromFile());
        }
    }

    @Test
    void aBackendRemovedAndAddedAgainThroughTheApiIsNoChange() throws Exception {
        try (RunningWeir proxy = startWeir()) {
            proxy.weir().removeBackend("p", addr(2));
            proxy.weir().addBackend("p", addr(2), 1, null);
            assertUnchanged(proxy.weir().reloadFromFile());
            assertThat(proxy.whoami()).isIn("b1", "b2");
        }
    }

    /** The removed copy drains on with a live client; drain and enable act on the copy in service. */
    @Test
    void theApiActsOnABackendAddedAgainNotOnItsDrainingCopy() throws Exception {
        try (RunningWeir proxy = startWeir()) {
            java.net.Socket[] held = new java.net.Socket[2];
            for (int i = 0; i < 2; i++) { // round-robin over b1, b2: one of the two is b2's
                held[i] = proxy.connect();
                Sockets.whoami(held[i]);
            }
            try {
                proxy.weir().removeBackend("p", addr(2));
                proxy.weir().addBackend("p", addr(2), 1, null);
                assertThat(proxy.weir().backends("p").stream().filter(b -> b.id().equals(addr(2)))).as("both copies")
                        .hasSize(2);
                proxy.weir().drain("p", addr(2));
                assertThat(admin(proxy, addr(2))).isEqualTo(AdminState.DRAINING);
                proxy.weir().enable("p", addr(2));
                assertThat(admin(proxy, addr(2))).isEqualTo(AdminState.ACTIVE);
            } finally {
                for (java.net.Socket s : held) {
                    s.close();
                }
            }
        }
    }

    @Test
    void aBackendAddedThroughTheApiIsRemovedOnce() throws Exception {
        try (RunningWeir proxy = startWeir()) {
            proxy.weir().addBackend("p", addr(3), 1, null);
            ReloadResult r = proxy.weir().reloadFromFile();
            assertThat(r.changes()).as(r.toString()).containsExactly("pool p: backend " + addr(3) + " removed (draining)");
            assertThat(r.overridden()).containsExactly("p/" + addr(3));
            assertUnchanged(proxy.weir().reloadFromFile());
        }
    }

    @Test
    void aBackendRemovedThroughTheApiComesBackOnce() throws Exception {
        try (RunningWeir proxy = startWeir()) {
            proxy.weir().removeBackend("p", addr(2));
            ReloadResult r = proxy.weir().reloadFromFile();
            assertThat(r.changes()).as(r.toString()).containsExactly("pool p: backend " + addr(2) + " added");
            assertThat(r.overridden()).containsExactly("p/" + addr(2));
            assertThat(admin(proxy, addr(2))).isEqualTo(AdminState.ACTIVE);
            assertUnchanged(proxy.weir().reloadFromFile());
        }
    }

    @Test
    void aFileChangeToABackendThatTheApiLeftAsItWasIsNoOverride() throws Exception {
        try (RunningWeir proxy = startWeir()) {
            proxy.weir().enable("p", addr(2));
            config(TestConfig.backend(addr(2), 3)).writeTo(file());
            ReloadResult r = proxy.weir().reloadFromFile();
            assertThat(r.changes()).as(r.toString()).containsExactly("pool p: backend " + addr(2) + " weight 1 -> 3");
            assertThat(r.overridden()).isEmpty();
        }
    }

    @Test
    void aWeightSetByAddingABackendAgainIsOverridden() throws Exception {
        try (RunningWeir proxy = startWeir()) {
            proxy.weir().removeBackend("p", addr(2));
            proxy.weir().addBackend("p", addr(2), 5, null);
            ReloadResult r = proxy.weir().reloadFromFile();
            assertThat(r.changes()).as(r.toString()).containsExactly("pool p: backend " + addr(2) + " weight 5 -> 1");
            assertThat(r.overridden()).containsExactly("p/" + addr(2));
            assertUnchanged(proxy.weir().reloadFromFile());
        }
    }
}
