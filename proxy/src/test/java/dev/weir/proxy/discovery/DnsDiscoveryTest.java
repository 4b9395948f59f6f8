package dev.weir.proxy.discovery;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.read.ListAppender;
import dev.weir.proxy.config.DiscoveryConfig;
import dev.weir.proxy.config.HostPort;
import dev.weir.proxy.discovery.TestDnsServer.Mode;
import dev.weir.proxy.transport.Transport;
import io.netty.channel.EventLoop;
import io.netty.channel.EventLoopGroup;
import io.netty.util.concurrent.Future;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;
import org.slf4j.LoggerFactory;

/** DNS discovery against an in-test DNS server, on every transport that works here. */
@Timeout(60)
class DnsDiscoveryTest {

    private static final String NAME = "web.internal";
    private static final int PORT = 8080;
    private static final Duration REFRESH = Duration.ofMillis(200);
    private static final Duration WAIT = Duration.ofSeconds(10);

    /** One callback as the listener saw it, and whether it ran on the discovery's loop. */
    private record Change(Set<InetSocketAddress> added, Set<InetSocketAddress> removed,
                          Set<InetSocketAddress> all, boolean onLoop) {
    }

    private final BlockingQueue<Change> changes = new LinkedBlockingQueue<>();
    private final ListAppender<ILoggingEvent> logs = new ListAppender<>();
    private final Logger logger = (Logger) LoggerFactory.getLogger(DnsDiscovery.class);
    private TestDnsServer server;
    private EventLoopGroup group;
    private DnsDiscovery discovery;

    static Stream<Transport> transports() {
        return Transport.available().stream();
    }

    static Stream<Arguments> transportsAndFailures() {
        return transports().flatMap(t -> Stream.of(Mode.SERVFAIL, Mode.NXDOMAIN, Mode.EMPTY, Mode.SILENT)
                .map(m -> Arguments.of(t, m)));
    }

    @BeforeEach
    void setUp() throws InterruptedException {
        server = new TestDnsServer();
        server.answer(NAME, "10.0.0.1", "10.0.0.2", "::1");
        logs.start();
        logger.addAppender(logs);
        logger.setLevel(Level.INFO);
        logger.setAdditive(false); // asserted here, not printed
    }

    @AfterEach
    void tearDown() {
        logger.detachAppender(logs);
        logger.setLevel(null);
        logger.setAdditive(true);
        if (discovery != null) {
            discovery.close();
        }
        if (group != null) {
            group.shutdownGracefully(0, 2, TimeUnit.SECONDS).syncUninterruptibly();
        }
        server.close();
    }

    @ParameterizedTest
    @MethodSource("transports")
    void firstResultIsTheInitialSetOfAAndAaaaRecords(Transport transport) throws InterruptedException {
        start(transport);

        Future<Set<InetSocketAddress>> first = discovery.firstResult().await();
        assertThat(first.isSuccess()).as("first lookup: %s", first.cause()).isTrue();
        assertThat(first.getNow()).containsExactly(at("10.0.0.1"), at("10.0.0.2"), at("::1"));
        assertThat(discovery.current()).isEqualTo(first.getNow());

        Change change = nextChange();
        assertThat(change.added()).containsExactly(at("10.0.0.1"), at("10.0.0.2"), at("::1"));
        assertThat(change.removed()).isEmpty();
        assertThat(change.all()).isEqualTo(change.added());
        assertThat(change.onLoop()).isTrue();
    }

    @ParameterizedTest
    @MethodSource("transports")
    void changedAnswerIsReportedAsExactlyItsDiff(Transport transport) throws InterruptedException {
        start(transport);
        nextChange();

        server.answer(NAME, "10.0.0.2", "10.0.0.3", "::1");

        Change change = nextChange();
        assertThat(change.added()).containsExactly(at("10.0.0.3"));
        assertThat(change.removed()).containsExactly(at("10.0.0.1"));
        assertThat(change.all()).containsExactly(at("10.0.0.2"), at("10.0.0.3"), at("::1"));
        assertThat(change.onLoop()).isTrue();
        assertThat(discovery.current()).isEqualTo(change.all());
    }

    @ParameterizedTest
    @MethodSource("transports")
    void identicalAnswerCallsNoOne(Transport transport) throws InterruptedException {
        start(transport);
        nextChange();

        awaitLookups();

        assertThat(changes).isEmpty();
        assertThat(discovery.current()).containsExactly(at("10.0.0.1"), at("10.0.0.2"), at("::1"));
    }

    @ParameterizedTest(name = "{0} {1}")
    @MethodSource("transportsAndFailures")
    void failedLookupsKeepTheLastSetAndWarnOnceUntilRecovery(Transport transport, Mode failure)
            throws InterruptedException {
        start(transport);
        Set<InetSocketAddress> before = nextChange().all();

        server.mode(failure);
        awaitLookups();

        assertThat(changes).isEmpty();
        assertThat(discovery.current()).isEqualTo(before);
        List<String> warnings = lines(Level.WARN);
        assertThat(warnings).hasSize(1);
        assertThat(warnings.get(0)).isEqualTo("discovery failed pool=web dns=web.internal cause=\"%s\" keeping=3 addresses",
                switch (failure) {
                    case SERVFAIL -> "server answered SERVFAIL";
                    case NXDOMAIN -> "server answered NXDOMAIN";
                    case EMPTY -> "no A or AAAA records";
                    default -> "no answer from " + server.hostPort() + " within 200ms";
                });

        server.answer(NAME, "10.0.0.1", "10.0.0.4", "::1");
        server.mode(Mode.ANSWER);

        Change change = nextChange();
        assertThat(change.added()).containsExactly(at("10.0.0.4"));
        assertThat(change.removed()).containsExactly(at("10.0.0.2"));
        assertThat(lines(Level.INFO)).contains("discovery recovered pool=web dns=web.internal addresses=3");
        assertThat(lines(Level.WARN)).hasSize(1);
    }

    @ParameterizedTest
    @MethodSource("transports")
    void firstResultFailsWhenTheFirstLookupFailsAndALaterAnswerStillCounts(Transport transport)
            throws InterruptedException {
        server.mode(Mode.SERVFAIL);
        start(transport);

        Future<Set<InetSocketAddress>> first = discovery.firstResult().await();
        assertThat(first.isSuccess()).isFalse();
        assertThat(discovery.current()).isEmpty();
        assertThat(lines(Level.WARN)).singleElement().asString().endsWith("keeping=0 addresses");

        server.mode(Mode.ANSWER);

        Change change = nextChange();
        assertThat(change.added()).containsExactly(at("10.0.0.1"), at("10.0.0.2"), at("::1"));
        assertThat(discovery.current()).isEqualTo(change.all());
    }

    @ParameterizedTest
    @MethodSource("transports")
    void closeStopsTheQueries(Transport transport) throws InterruptedException {
        start(transport);
        nextChange();
        awaitLookups();

        discovery.close();
        int atClose = server.queries();

        // A lookup that was already under way may still land (up to three questions); refreshes would
        // add two or more every 200ms.
        await().during(REFRESH.multipliedBy(5)).atMost(WAIT)
                .until(() -> server.queries() <= atClose + 3);
        assertThat(changes).isEmpty();
    }

    @Test
    void closeBeforeAnyAnswerFailsFirstResult() throws InterruptedException {
        server.mode(Mode.SILENT);
        start(Transport.NIO);

        discovery.close();

        Future<Set<InetSocketAddress>> first = discovery.firstResult().await();
        assertThat(first.cause()).isInstanceOf(IllegalStateException.class).hasMessageContaining("closed");
    }

    @Test
    void resolverMustBeAnIpLiteral() {
        group = Transport.NIO.newGroup(1, "discovery-test");
        DiscoveryConfig cfg = new DiscoveryConfig(NAME, PORT, REFRESH, List.of(new HostPort("dns.example", 53)), 1);

        assertThatThrownBy(() -> new DnsDiscovery("web", cfg, group.next(), Transport.NIO, (a, r, all) -> { }))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessage("discovery.resolvers: dns.example (expected: an IP address)");
    }

    @Test
    void queryTimeoutIsTheRefreshCappedAtFiveSeconds() {
        assertThat(DnsDiscovery.queryTimeout(Duration.ofMillis(200))).isEqualTo(Duration.ofMillis(200));
        assertThat(DnsDiscovery.queryTimeout(Duration.ofSeconds(30))).isEqualTo(Duration.ofSeconds(5));
        assertThat(DnsDiscovery.queryTimeout(Duration.ofNanos(10))).isEqualTo(Duration.ofMillis(1));
    }

    private void start(Transport transport) {
        group = transport.newGroup(1, "discovery-" + transport.name());
        EventLoop loop = group.next();
        DiscoveryConfig cfg = new DiscoveryConfig(NAME, PORT, REFRESH, List.of(server.hostPort()), 1);
        discovery = new DnsDiscovery("web", cfg, loop, transport,
                (added, removed, all) -> changes.add(new Change(added, removed, all, loop.inEventLoop())));
        discovery.start();
    }

    private Change nextChange() throws InterruptedException {
        Change change = changes.poll(WAIT.toMillis(), TimeUnit.MILLISECONDS);
        assertThat(change).as("a change within %s", WAIT).isNotNull();
        return change;
    }

    /**
     * Waits until the server has seen three more lookups' worth of queries. A lookup asks two questions
     * (A, AAAA) or three (a CNAME query after both found nothing), and lookups run one after another:
     * so at least one whole lookup, started after the call, has been handled when this returns.
     */
    private void awaitLookups() {
        int target = server.queries() + 6;
        await().atMost(WAIT).until(() -> server.queries() >= target);
    }

    private List<String> lines(Level level) {
        synchronized (logs) { // ListAppender appends under this lock
            List<String> out = new ArrayList<>();
            for (ILoggingEvent e : logs.list) {
                if (e.getLevel() == level) {
                    out.add(e.getFormattedMessage());
                }
            }
            return out;
        }
    }

    private static InetSocketAddress at(String ip) {
        return new InetSocketAddress(Addresses.literal(ip), PORT);
    }
}
