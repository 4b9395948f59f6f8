package dev.weir.proxy.admin;

import static org.assertj.core.api.Assertions.assertThat;

import dev.weir.proxy.RunningWeir;
import dev.weir.proxy.TestConfig;
import dev.weir.proxy.api.BackendStatus;
import dev.weir.proxy.backend.BackendState;
import dev.weir.proxy.tls.TestPki;
import dev.weir.sample.BackendSample;
import dev.weir.proxy.Sockets;
import java.io.File;
import java.net.Socket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import org.openqa.selenium.By;
import org.openqa.selenium.StaleElementReferenceException;
import org.openqa.selenium.WebDriver;
import org.openqa.selenium.WebElement;
import org.openqa.selenium.chrome.ChromeDriver;
import org.openqa.selenium.chrome.ChromeDriverService;
import org.openqa.selenium.chrome.ChromeOptions;
import org.openqa.selenium.support.ui.ExpectedConditions;
import org.openqa.selenium.support.ui.WebDriverWait;

/**
 * The status page in a real browser (Debian's chromium and chromedriver, headless): it lists the
 * backends, a drain click changes a backend's state, a killed backend turns DOWN on screen, a certificate that
 * expires soon is warned of, and the charts draw the traffic and move with it, under a header and a list of events.
 * Without chromium the test fails and says what to install: CI installs it, so a skip would hide
 * a broken setup.
 */
@Timeout(value = 120, unit = TimeUnit.SECONDS)
class StatusPageBrowserIT {

    private static final File CHROMIUM = new File("/usr/bin/chromium");
    private static final File CHROMEDRIVER = new File("/usr/bin/chromedriver");
    /** The traffic sample interval (read when Weir starts): 200 ms, so the charts move within the test. */
    private static final String INTERVAL = "weir.status.sample-interval-ms";

    @TempDir
    Path profile;
    @TempDir
    Path certs;

    private BackendSample a;
    private BackendSample b;
    private BackendSample c;
    private WebDriver browser;

    @BeforeEach
    void start() throws Exception {
        assertThat(CHROMIUM.canExecute() && CHROMEDRIVER.canExecute())
                .as("this test drives %s through %s; install them with: apt-get install -y chromium chromium-driver",
                        CHROMIUM, CHROMEDRIVER)
                .isTrue();
        System.setProperty(INTERVAL, "200");
        a = BackendSample.start("a", "127.0.0.1", 0, null);
        b = BackendSample.start("b", "127.0.0.1", 0, null);
        c = BackendSample.start("c", "127.0.0.1", 0, null);
        ChromeDriverService service = new ChromeDriverService.Builder()
                .usingDriverExecutable(CHROMEDRIVER)
                .usingAnyFreePort()
                .build();
        ChromeOptions options = new ChromeOptions();
        options.setBinary(CHROMIUM);
        options.addArguments("--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
                "--disable-background-networking", "--disable-component-update", "--disable-sync",
                "--no-first-run", "--user-data-dir=" + Files.createDirectories(profile.resolve("chromium")));
        browser = new ChromeDriver(service, options);
    }

    @AfterEach
    void stop() {
        System.clearProperty(INTERVAL);
        if (browser != null) {
            browser.quit();
        }
        for (BackendSample s : new BackendSample[] {a, b, c}) {
            if (s != null) {
                s.close();
            }
        }
    }

    private static String id(BackendSample s) {
        return "127.0.0.1:" + s.port();
    }

    private TestConfig config() {
        return TestConfig.to(id(a), id(b), id(c)).pool("p", p -> p
                .healthCheck("tcp", "interval", "200ms", "timeout", "200ms", "rise", 1, "fall", 2, "jitter", "0%"));
    }

    private static By row(BackendSample s) {
        return By.cssSelector("tr[data-pool='p'][data-backend='" + id(s) + "']");
    }

    private WebDriverWait waitUpTo(int seconds) {
        WebDriverWait wait = new WebDriverWait(browser, Duration.ofSeconds(seconds), Duration.ofMillis(100));
        wait.ignoring(StaleElementReferenceException.class);
        return wait;
    }

    private String stateOnScreen(BackendSample s) {
        return browser.findElement(row(s)).findElement(By.cssSelector(".state")).getText();
    }

    private static BackendStatus status(RunningWeir h, BackendSample s) {
        return h.weir().backends("p").stream().filter(x -> x.id().equals(id(s))).findFirst().orElseThrow();
    }

    @Test
    void listsBackendsDrainsOnClickAndShowsAKilledBackendDown() throws Exception {
        try (RunningWeir h = config().admin(null).start()) {
            browser.get(h.uri("/").toString());
            for (BackendSample s : new BackendSample[] {a, b, c}) {
                waitUpTo(10).until(ExpectedConditions.presenceOfElementLocated(row(s)));
                waitUpTo(10).until(d -> stateOnScreen(s).equals("UP"));
            }
            assertThat(browser.findElement(By.cssSelector("#listeners tr[data-listener='l']")).getText())
                    .contains("127.0.0.1:" + h.address().getPort());
            assertThat(browser.findElement(By.id("certificates")).isDisplayed()).as("no certificate, no warning").isFalse();

            WebElement drain = browser.findElement(row(a)).findElement(By.cssSelector("button[data-action='drain']"));
            drain.click();
            waitUpTo(10).until(d -> stateOnScreen(a).equals("DRAINING"));
            assertThat(status(h, a).state()).isEqualTo(BackendState.DRAINING);
            assertThat(stateOnScreen(b)).isEqualTo("UP");

            c.close();
            // fall 2 x interval 200ms, then at most one 2 s page refresh.
            waitUpTo(15).until(d -> stateOnScreen(c).equals("DOWN"));
            assertThat(browser.findElement(row(c)).getText()).contains("failing");
            assertThat(stateOnScreen(b)).isEqualTo("UP");

            browser.findElement(row(a)).findElement(By.cssSelector("button[data-action='enable']")).click();
            waitUpTo(10).until(d -> stateOnScreen(a).equals("UP"));
        }
    }

    @Test
    void warnsOfACertificateThatExpiresWithin30DaysAndNotOfOneValidForAYear() throws Exception {
        TestPki.Issued ca = TestPki.ca("page ca");
        TestPki.Files2 year = ca.issue("year.test", Duration.ofDays(365), "year.test").write(certs, "year");
        TestPki.Files2 soon = ca.issue("soon.test", Duration.ofDays(10), "soon.test").write(certs, "soon");
        List<Map<String, Object>> served = List.of(
                TestConfig.map("cert", year.cert().toString(), "key", year.key().toString()),
                TestConfig.map("cert", soon.cert().toString(), "key", soon.key().toString()));
        try (RunningWeir h = config().set("listeners.l.tls.certificates", served).admin(null).start()) {
            browser.get(h.uri("/").toString());
            By soonRow = By.cssSelector("#certificates tr[data-certificate='listeners.l.tls.certificates[1]']");
            waitUpTo(10).until(ExpectedConditions.visibilityOfElementLocated(soonRow));
            WebElement warning = browser.findElement(By.id("certificates"));
            assertThat(warning.findElement(By.tagName("h2")).getText()).isEqualTo("Certificates that expire within 30 days");
            assertThat(browser.findElement(soonRow).getText()).contains(soon.cert().toString(), "CN=soon.test")
                    .containsPattern("expires in (9|10) days");
            assertThat(warning.findElements(By.cssSelector("tbody tr"))).as("the year-long one is not listed").hasSize(1);
        }
    }

    @Test
    void withATokenThePageAsksForItBeforeAChange() throws Exception {
        try (RunningWeir h = config().admin("page-token").start()) {
            browser.get(h.uri("/").toString());
            waitUpTo(10).until(ExpectedConditions.presenceOfElementLocated(row(b)));
            WebElement token = waitUpTo(10).until(ExpectedConditions.visibilityOfElementLocated(By.id("token")));

            browser.findElement(row(b)).findElement(By.cssSelector("button[data-action='disable']")).click();
            waitUpTo(5).until(ExpectedConditions.textToBe(By.id("message"), "enter the admin token first"));
            assertThat(status(h, b).state()).isEqualTo(BackendState.UP);

            token.sendKeys("wrong");
            browser.findElement(By.id("token-set")).click();
            browser.findElement(row(b)).findElement(By.cssSelector("button[data-action='disable']")).click();
            waitUpTo(5).until(ExpectedConditions.textToBe(By.id("message"), "the admin token was refused: enter it again"));
            assertThat(status(h, b).state()).isEqualTo(BackendState.UP);

            token = waitUpTo(5).until(ExpectedConditions.visibilityOfElementLocated(By.id("token")));
            token.clear();
            token.sendKeys("page-token");
            browser.findElement(By.id("token-set")).click();
            browser.findElement(row(b)).findElement(By.cssSelector("button[data-action='disable']")).click();
            waitUpTo(10).until(d -> stateOnScreen(b).equals("DISABLED"));
            assertThat(status(h, b).state()).isEqualTo(BackendState.DISABLED);
        }
    }

    private String attribute(By by, String name) {
        return browser.findElement(by).getAttribute(name);
    }

    private static By line(String group, String chart, String series) {
        return By.cssSelector(group + " figure[data-chart='" + chart + "'] polyline[data-series='" + series + "']");
    }

    /** True when some point of the line is above the chart's baseline (y 68 of 70: a value above 0). */
    private boolean risesAboveZero(By line) {
        for (String point : attribute(line, "points").split(" ")) {
            if (!point.isEmpty() && Double.parseDouble(point.substring(point.indexOf(',') + 1)) < 68) {
                return true;
            }
        }
        return false;
    }

    @Test
    void chartsDrawTheTrafficAndMoveWithItUnderAHeaderAndTheEvents(@TempDir Path dir) throws Exception {
        TestConfig named = TestConfig.to(TestConfig.map("address", id(a), "name", "alpha"), id(b), id(c)).admin(null);
        try (RunningWeir h = RunningWeir.with(named).file(dir.resolve("weir.yaml")).start()) {
            browser.get(h.uri("/").toString());
            By alpha = By.cssSelector("tr[data-pool='p'][data-backend='alpha']");
            waitUpTo(10).until(ExpectedConditions.presenceOfElementLocated(alpha));
            assertThat(browser.findElement(alpha).findElement(By.tagName("td")).getText())
                    .as("the name, and the address under it").startsWith("alpha").contains(id(a));
            assertThat(browser.findElement(By.id("version")).getText()).isEqualTo("weir dev");
            assertThat(browser.findElement(By.id("transport")).getText()).isEqualTo(h.weir().transport());
            assertThat(browser.findElement(By.id("uptime")).getText()).matches("\\d+(s|m \\d+s)");
            assertThat(browser.findElement(By.id("last-reload")).getText()).isEqualTo("no reload since the start");

            By listenerLine = line("#listener-charts", "connections", "l");
            By alphaLine = line("section[data-pool='p']", "connections", "alpha");
            waitUpTo(10).until(ExpectedConditions.presenceOfElementLocated(listenerLine));
            assertThat(browser.findElements(By.cssSelector("section[data-pool='p'] figure.chart polyline")))
                    .as("a line per backend in each of the pool's three charts").hasSize(9);
            String before = attribute(listenerLine, "points");
            assertThat(attribute(listenerLine, "data-last")).isEqualTo("0");

            List<Socket> held = new ArrayList<>();
            try {
                for (int i = 0; i < 3; i++) {
                    Socket s = Sockets.connect(h.address());
                    held.add(s);
                    Sockets.whoami(s); // relayed: the connection reached a backend
                }
                // Round-robin: one each. The page refreshes every 2 s and draws the newest sample.
                waitUpTo(15).until(d -> attribute(listenerLine, "data-last").equals("3"));
                waitUpTo(15).until(d -> attribute(alphaLine, "data-last").equals("1"));
                assertThat(attribute(listenerLine, "points")).isNotEqualTo(before);
                assertThat(risesAboveZero(line("#listener-charts", "new", "l"))).as("new connections/s").isTrue();
                waitUpTo(15).until(d -> risesAboveZero(line("section[data-pool='p']", "bytes", "alpha")));
            } finally {
                for (Socket s : held) {
                    s.close();
                }
            }
            waitUpTo(15).until(d -> attribute(listenerLine, "data-last").equals("0"));
            waitUpTo(15).until(d -> attribute(alphaLine, "data-last").equals("0"));
            waitUpTo(15).until(d -> risesAboveZero(line("#listener-charts", "bytes", "l")));

            browser.findElement(alpha).findElement(By.cssSelector("button[data-action='drain']")).click();
            waitUpTo(10).until(d -> browser.findElement(alpha).getText().contains("drained, no connections left"));
            By drainEvent = By.cssSelector("#events tr[data-type='DRAIN']");
            waitUpTo(10).until(ExpectedConditions.presenceOfElementLocated(drainEvent));
            assertThat(browser.findElement(drainEvent).getText()).contains("p / alpha", "draining 0 connections");

            assertThat(h.post("/api/v1/reload", null).statusCode()).isEqualTo(200);
            waitUpTo(10).until(d -> browser.findElement(By.id("last-reload")).getText()
                    .startsWith("last reload RELOADED at "));
            assertThat(browser.findElement(By.id("last-reload")).getText()).contains("alpha active again");
            waitUpTo(10).until(d -> browser.findElements(By.cssSelector("#events tr[data-type='RELOAD']")).size() == 1);
            assertThat(browser.findElement(By.cssSelector("#events tbody tr")).getAttribute("data-type"))
                    .as("the newest first").isEqualTo("RELOAD");
        }
    }
}
