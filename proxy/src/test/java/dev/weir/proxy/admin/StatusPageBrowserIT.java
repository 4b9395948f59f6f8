package dev.weir.proxy.admin;

import static org.assertj.core.api.Assertions.assertThat;

import dev.weir.proxy.RunningWeir;
import dev.weir.proxy.TestConfig;
import dev.weir.proxy.api.BackendStatus;
import dev.weir.proxy.backend.BackendState;
import dev.weir.proxy.tls.TestPki;
import dev.weir.sample.BackendSample;
import java.io.File;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
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
 * backends, a drain click changes a backend's state, a killed backend turns DOWN on screen, and a certificate that
 * expires soon is warned of.
 * Without chromium the test fails and says what to install: CI installs it, so a skip would hide
 * a broken setup.
 */
@Timeout(value = 120, unit = TimeUnit.SECONDS)
class StatusPageBrowserIT {

    private static final File CHROMIUM = new File("/usr/bin/chromium");
    private static final File CHROMEDRIVER = new File("/usr/bin/chromedriver");

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
}
