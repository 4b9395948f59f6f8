package dev.weir.proxy.discovery;

import dev.weir.proxy.config.HostPort;
import dev.weir.proxy.transport.Transport;
import io.netty.bootstrap.Bootstrap;
import io.netty.buffer.Unpooled;
import io.netty.channel.Channel;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.SimpleChannelInboundHandler;
import io.netty.channel.socket.DatagramChannel;
import io.netty.channel.socket.nio.NioDatagramChannel;
import io.netty.handler.codec.dns.DatagramDnsQuery;
import io.netty.handler.codec.dns.DatagramDnsQueryDecoder;
import io.netty.handler.codec.dns.DatagramDnsResponse;
import io.netty.handler.codec.dns.DatagramDnsResponseEncoder;
import io.netty.handler.codec.dns.DefaultDnsQuestion;
import io.netty.handler.codec.dns.DefaultDnsRawRecord;
import io.netty.handler.codec.dns.DnsOpCode;
import io.netty.handler.codec.dns.DnsQuestion;
import io.netty.handler.codec.dns.DnsRecordType;
import io.netty.handler.codec.dns.DnsResponseCode;
import io.netty.handler.codec.dns.DnsSection;
import io.netty.util.NetUtil;
import java.net.InetSocketAddress;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * A DNS server on UDP 127.0.0.1 (port 0) whose answers a test changes while it runs: A and AAAA
 * records from a name -> IPs map, or a failure mode. It counts every query it receives.
 *
 * <p>Changes take effect at the next A query. Netty's resolver sends a lookup's A query before its
 * AAAA query (and a CNAME query after both when they found nothing), so all questions of one lookup
 * see the same state: a switch in the middle can't turn "SERVFAIL" into "an A-only answer".
 */
final class TestDnsServer implements AutoCloseable {

    enum Mode {
        /** The map's records; NXDOMAIN for a name not in it. */
        ANSWER,
        /** NOERROR with no records. */
        EMPTY,
        SERVFAIL,
        NXDOMAIN,
        /** No answer at all: the client times out. */
        SILENT
    }

    private final EventLoopGroup group = Transport.NIO.newGroup(1, "test-dns");
    private final Map<String, List<String>> records = new ConcurrentHashMap<>();
    private final AtomicInteger queries = new AtomicInteger();
    private volatile Mode mode = Mode.ANSWER;
    /** What the current lookup is answered from; touched on the server's loop only. */
    private State state = new State(Mode.ANSWER, Map.of());
    private final Channel channel;

    TestDnsServer() throws InterruptedException {
        channel = new Bootstrap().group(group).channel(NioDatagramChannel.class)
                .handler(new ChannelInitializer<DatagramChannel>() {
                    @Override
                    protected void initChannel(DatagramChannel ch) {
                        ch.pipeline().addLast(new DatagramDnsQueryDecoder(), new DatagramDnsResponseEncoder(),
                                new Responder());
                    }
                })
                .bind("127.0.0.1", 0).sync().channel();
    }

    /** This server as a discovery resolver entry. */
    HostPort hostPort() {
        InetSocketAddress a = (InetSocketAddress) channel.localAddress();
        return new HostPort(a.getAddress().getHostAddress(), a.getPort());
    }

    /** From now on, {@code name} resolves to {@code ips} (IPv4 and IPv6 literals, split into A and AAAA). */
    void answer(String name, String... ips) {
        records.put(name.toLowerCase(Locale.ROOT), List.of(ips));
    }

    void mode(Mode mode) {
        this.mode = mode;
    }

    int queries() {
        return queries.get();
    }

    @Override
    public void close() {
        channel.close().syncUninterruptibly();
        group.shutdownGracefully(0, 2, TimeUnit.SECONDS).syncUninterruptibly();
    }

    private record State(Mode mode, Map<String, List<String>> records) {
    }

    /** Answers each query with one response; the inbound handler releases the query afterwards. */
    private final class Responder extends SimpleChannelInboundHandler<DatagramDnsQuery> {

        @Override
        protected void channelRead0(ChannelHandlerContext ctx, DatagramDnsQuery query) {
            queries.incrementAndGet();
            DnsQuestion question = query.recordAt(DnsSection.QUESTION);
            if (question == null) {
                return;
            }
            if (question.type() == DnsRecordType.A) {
                state = new State(mode, Map.copyOf(records));
            }
            Mode m = state.mode();
            if (m == Mode.SILENT) {
                return;
            }
            List<String> ips = state.records().get(bare(question.name()));
            DnsResponseCode code = switch (m) {
                case SERVFAIL -> DnsResponseCode.SERVFAIL;
                case NXDOMAIN -> DnsResponseCode.NXDOMAIN;
                default -> ips == null ? DnsResponseCode.NXDOMAIN : DnsResponseCode.NOERROR;
            };
            DatagramDnsResponse response = new DatagramDnsResponse(query.recipient(), query.sender(), query.id(),
                    DnsOpCode.QUERY, code);
            response.setRecursionAvailable(true);
            response.addRecord(DnsSection.QUESTION, new DefaultDnsQuestion(question.name(), question.type()));
            if (m == Mode.ANSWER && ips != null) {
                for (String ip : ips) {
                    byte[] bytes = NetUtil.createByteArrayFromIpAddressString(ip);
                    if (bytes.length == lengthOf(question.type())) {
                        // The response owns the record's buffer: the encoder releases both once written.
                        response.addRecord(DnsSection.ANSWER, new DefaultDnsRawRecord(question.name(),
                                question.type(), 0, Unpooled.wrappedBuffer(bytes)));
                    }
                }
            }
            ctx.writeAndFlush(response);
        }

        private int lengthOf(DnsRecordType type) {
            return type == DnsRecordType.A ? 4 : type == DnsRecordType.AAAA ? 16 : -1;
        }

        private String bare(String name) {
            String n = name.toLowerCase(Locale.ROOT);
            return n.endsWith(".") ? n.substring(0, n.length() - 1) : n;
        }
    }
}
