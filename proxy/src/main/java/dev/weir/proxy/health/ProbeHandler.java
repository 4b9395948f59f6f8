package dev.weir.proxy.health;

import dev.weir.proxy.config.HealthCheckConfig;
import dev.weir.proxy.config.HealthCheckType;
import dev.weir.proxy.config.Units;
import dev.weir.proxy.tls.ClientTls;
import dev.weir.proxy.transport.SocketErrors;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFuture;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.ConnectTimeoutException;
import io.netty.channel.EventLoop;
import io.netty.handler.ssl.SslHandler;
import io.netty.util.ReferenceCountUtil;
import io.netty.util.concurrent.Future;
import java.net.Inet6Address;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Arrays;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;

/**
 * One probe on one channel, from connect to result. Everything runs on the health loop, so the
 * state needs no synchronisation. The reply is copied out of each buffer and the buffer released
 * at once: nothing reference-counted outlives a read.
 */
final class ProbeHandler extends ChannelInboundHandlerAdapter implements Prober.Handle {

    /** A PROXY header to open with (health-check.proxy-protocol), or null. */
    private final byte[] proxyHeader;
    /** The pool's TLS: the probe handshakes first (a {@code tcp} check is the handshake), or null. */
    private final ClientTls tls;
    private boolean handshaking;

    /** A send-expect reply that grows past this without the expected bytes fails. */
    static final int MAX_REPLY = 64 * 1024;
    /** An HTTP status line longer than this is not one. */
    static final int MAX_STATUS_LINE = 8 * 1024;
    private static final byte[] LF = {'\n'};

    private final HealthCheckConfig check;
    private final long timeoutMillis;
    private final InetSocketAddress target;
    private final Consumer<Prober.Result> done;
    private final long startNanos = System.nanoTime();
    private final byte[] expect;
    private byte[] reply = new byte[256];
    private int replyLength;
    private Channel channel;
    private Future<?> timer;
    private boolean finished;

    ProbeHandler(HealthCheckConfig check, long timeoutMillis, InetSocketAddress target, Consumer<Prober.Result> done,
                 byte[] proxyHeader, ClientTls tls) {
        this.proxyHeader = proxyHeader;
        this.tls = tls;
        this.check = check;
        this.timeoutMillis = timeoutMillis;
        this.target = target;
        this.done = done;
        this.expect = check.type() == HealthCheckType.SEND_EXPECT && check.expect() != null
                && check.expect().length() > 0 ? check.expect().value() : null;
    }

    /** Called right after connect() was issued, on the loop. */
    void start(ChannelFuture connect, EventLoop loop) {
        channel = connect.channel();
        // Bounds the whole probe, not just the connect: a backend that accepts and never answers fails too.
        timer = loop.schedule(this::timedOut, timeoutMillis, TimeUnit.MILLISECONDS);
        connect.addListener((ChannelFuture f) -> connected(f));
    }

    @Override
    public void abort() {
        if (!finished) {
            finished = true;
            cleanUp();
        }
    }

    private void timedOut() {
        fail(timedOutText());
    }

    private void connected(ChannelFuture f) {
        if (finished) {
            return;
        }
        if (!f.isSuccess()) {
            fail(describe(f.cause()));
            return;
        }
        if (proxyHeader != null) {
            // Written ahead of the probe's own bytes; flushed with them (or alone for tcp), or before the ClientHello.
            channel.write(Unpooled.wrappedBuffer(proxyHeader));
        }
        if (tls == null) {
            probe(proxyHeader != null);
            return;
        }
        handshaking = true;
        SslHandler h = tls.newHandler(channel.alloc(), target.getHostString(), target.getPort(), timeoutMillis);
        channel.pipeline().addFirst("tls", h);
        h.handshakeFuture().addListener(hs -> {
            if (finished) {
                return;
            }
            if (!hs.isSuccess()) {
                fail(describe(hs.cause()));
                return;
            }
            handshaking = false;
            probe(false);
        });
    }

    /** Connected (and the handshake done, with TLS): the check's own exchange. {@code header}: one is unsent. */
    private void probe(boolean header) {
        switch (check.type()) {
            case TCP:
                if (header) {
                    send(new byte[0], true);
                } else {
                    pass();
                }
                break;
            case SEND_EXPECT:
                if (check.send() != null && check.send().length() > 0) {
                    send(check.send().value(), expect == null);
                } else if (expect == null) {
                    if (header) {
                        send(new byte[0], true);
                    } else {
                        pass();
                    }
                } else if (header) {
                    channel.flush();
                }
                break;
            case HTTP:
                send(httpRequest().getBytes(StandardCharsets.ISO_8859_1), false);
                break;
            default:
                throw new AssertionError(check.type());
        }
    }

    private void send(byte[] bytes, boolean passWhenWritten) {
        channel.writeAndFlush(Unpooled.wrappedBuffer(bytes)).addListener(w -> {
            if (!w.isSuccess()) {
                fail(describe(w.cause()));
            } else if (passWhenWritten) {
                pass();
            }
        });
    }

    private String httpRequest() {
        String path = check.path() == null || check.path().isEmpty() ? "/" : check.path();
        String host = target.getHostString();
        if (target.getAddress() instanceof Inet6Address && host.indexOf(':') >= 0) {
            host = "[" + host + "]";
        }
        return "GET " + path + " HTTP/1.1\r\nHost: " + host
                + "\r\nConnection: close\r\nUser-Agent: weir-health\r\n\r\n";
    }

    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) {
        try {
            if (!finished && msg instanceof ByteBuf buf) {
                received(buf);
            }
        } finally {
            ReferenceCountUtil.release(msg);
        }
    }

    private void received(ByteBuf buf) {
        HealthCheckType type = check.type();
        if (type == HealthCheckType.TCP || (type == HealthCheckType.SEND_EXPECT && expect == null)) {
            return;
        }
        int limit = type == HealthCheckType.HTTP ? MAX_STATUS_LINE : MAX_REPLY;
        int before = replyLength;
        int n = Math.min(buf.readableBytes(), limit - replyLength);
        if (replyLength + n > reply.length) {
            reply = Arrays.copyOf(reply, Math.min(limit, Math.max(reply.length * 2, replyLength + n)));
        }
        buf.readBytes(reply, replyLength, n);
        replyLength += n;
        boolean full = buf.isReadable() || replyLength >= limit;
        if (type == HealthCheckType.SEND_EXPECT) {
            // Search only where a match could end in the new bytes.
            if (Replies.indexOf(reply, replyLength, expect, before - expect.length + 1) >= 0) {
                pass();
            } else if (full) {
                fail("expect \"" + Replies.show(expect) + "\" not found in first " + limit + " bytes of reply");
            }
        } else {
            int eol = Replies.indexOf(reply, replyLength, LF, before);
            if (eol >= 0) {
                statusLine(Replies.line(reply, eol));
            } else if (full) {
                fail("no status line in first " + limit + " bytes of reply");
            }
        }
    }

    private void statusLine(String line) {
        int status = Replies.statusCode(line);
        if (status < 0) {
            fail("bad status line \"" + line + "\"");
        } else if (status >= check.statusMin() && status <= check.statusMax()) {
            pass();
        } else {
            fail("status " + status);
        }
    }

    @Override
    public void channelInactive(ChannelHandlerContext ctx) {
        if (!finished) {
            if (check.type() == HealthCheckType.HTTP) {
                fail(replyLength == 0 ? "connection closed without a reply" : "connection closed before status line");
            } else if (expect != null) {
                fail("expect \"" + Replies.show(expect) + "\" not found in reply");
            } else {
                fail("connection closed");
            }
        }
        ctx.fireChannelInactive();
    }

    @Override
    public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
        // Expected on a failing backend (e.g. reset by peer): a result, not a stack trace.
        fail(describe(cause));
    }

    private void pass() {
        finish(Prober.Result.pass(elapsedMillis()));
    }

    private void fail(String cause) {
        finish(Prober.Result.fail(handshaking ? "tls: " + cause : cause, elapsedMillis()));
    }

    private void finish(Prober.Result result) {
        if (finished) {
            return;
        }
        finished = true;
        cleanUp();
        done.accept(result);
    }

    private void cleanUp() {
        if (timer != null) {
            timer.cancel(false);
        }
        if (channel != null) {
            channel.close();
        }
        reply = null;
    }

    private long elapsedMillis() {
        return TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - startNanos);
    }

    /** A failure in a few words ({@code connection refused}), without the stack trace or the address. */
    private String describe(Throwable t) {
        return t instanceof ConnectTimeoutException ? timedOutText() : SocketErrors.describe(t);
    }

    /** The probe's timeout in the config's syntax: {@code timed out after 2s}. */
    private String timedOutText() {
        return "timed out after " + Units.formatDuration(Duration.ofMillis(timeoutMillis));
    }
}
