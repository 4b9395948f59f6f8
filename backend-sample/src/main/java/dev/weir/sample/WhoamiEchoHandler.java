package dev.weir.sample;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.socket.ChannelInputShutdownEvent;
import io.netty.channel.socket.DuplexChannel;
import io.netty.util.ReferenceCountUtil;

import java.nio.charset.StandardCharsets;

/**
 * One connection of the sample backend: answers a {@code whoami} line with the server's name and
 * echoes every other byte unchanged, in order.
 *
 * <p>A {@code whoami} line starts at the beginning of the connection or right after a {@code \n}
 * and ends with {@code \n} or {@code \r\n}. Only the few bytes that may still become such a line
 * are held back between reads; everything else is echoed from the buffer it arrived in.
 */
final class WhoamiEchoHandler extends ChannelInboundHandlerAdapter {

    private static final byte[] WHOAMI = "whoami".getBytes(StandardCharsets.US_ASCII);
    private static final int MISMATCH = -1;
    private static final int COMPLETE = -2;

    private final byte[] answer;
    private final byte[] banner;

    /** The start of a possible {@code whoami\r\n} line that a read ended in the middle of. */
    private final byte[] held = new byte[WHOAMI.length + 1];
    private int heldLength;
    private boolean atLineStart = true;

    /**
     * @param answer the reply to {@code whoami}, newline included; shared, never written to
     * @param banner bytes sent on connect, or null
     */
    WhoamiEchoHandler(byte[] answer, byte[] banner) {
        this.answer = answer;
        this.banner = banner;
    }

    @Override
    public void channelActive(ChannelHandlerContext ctx) {
        if (banner != null) {
            ctx.writeAndFlush(Unpooled.wrappedBuffer(banner));
        }
        ctx.fireChannelActive();
    }

    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) {
        if (!(msg instanceof ByteBuf in)) {
            ReferenceCountUtil.release(msg);
            return;
        }
        boolean passedOn = false;
        try {
            passedOn = echoAndAnswer(ctx, in);
        } finally {
            if (!passedOn) {
                in.release();
            }
        }
    }

    /** Writes the echo and the answers for {@code in}; returns true if {@code in} itself was written. */
    private boolean echoAndAnswer(ChannelHandlerContext ctx, ByteBuf in) {
        int first = in.readerIndex();
        int end = in.writerIndex();
        int echoFrom = first;
        int i = first;
        while (i < end) {
            if (!atLineStart) {
                int lf = in.indexOf(i, end, (byte) '\n');
                if (lf < 0) {
                    break;
                }
                i = lf + 1;
                atLineStart = true;
                continue;
            }
            int candidate = i;
            int state = heldLength;
            while (i < end && state >= 0) {
                state = advance(state, in.getByte(i++));
            }
            if (state == COMPLETE) {
                echo(ctx, in, echoFrom, candidate);
                heldLength = 0;
                ctx.write(Unpooled.wrappedBuffer(answer));
                echoFrom = i;
            } else if (state == MISMATCH) {
                // Held bytes come from earlier reads, so they go out before anything of this one.
                writeHeld(ctx);
                atLineStart = false;
                i--; // the mismatching byte is ordinary data and may itself be the '\n'
            } else {
                in.getBytes(candidate, held, heldLength, end - candidate);
                heldLength = state;
                echo(ctx, in, echoFrom, candidate);
                echoFrom = end;
            }
        }
        if (echoFrom == first) {
            ctx.write(in);
            return true;
        }
        echo(ctx, in, echoFrom, end);
        return false;
    }

    /**
     * The next match state after byte {@code b}, given that {@code matched} bytes of
     * {@code whoami\n} or {@code whoami\r\n} have been seen.
     */
    private static int advance(int matched, byte b) {
        if (matched < WHOAMI.length) {
            return b == WHOAMI[matched] ? matched + 1 : MISMATCH;
        }
        if (matched == WHOAMI.length && b == '\r') {
            return matched + 1;
        }
        return b == '\n' ? COMPLETE : MISMATCH;
    }

    private static void echo(ChannelHandlerContext ctx, ByteBuf in, int from, int to) {
        if (to > from) {
            ctx.write(in.retainedSlice(from, to - from));
        }
    }

    private void writeHeld(ChannelHandlerContext ctx) {
        if (heldLength > 0) {
            ctx.write(ctx.alloc().buffer(heldLength).writeBytes(held, 0, heldLength));
            heldLength = 0;
        }
    }

    @Override
    public void channelReadComplete(ChannelHandlerContext ctx) {
        ctx.flush();
        ctx.fireChannelReadComplete();
    }

    @Override
    public void channelWritabilityChanged(ChannelHandlerContext ctx) {
        // The echo queue is fed only by our own reads: stop reading while it is full.
        ctx.channel().config().setAutoRead(ctx.channel().isWritable());
        ctx.fireChannelWritabilityChanged();
    }

    @Override
    public void userEventTriggered(ChannelHandlerContext ctx, Object evt) {
        if (evt instanceof ChannelInputShutdownEvent) {
            // An unfinished "who" at EOF is ordinary data. shutdownOutput() fails queued writes,
            // so it waits for the last one.
            writeHeld(ctx);
            ctx.writeAndFlush(Unpooled.EMPTY_BUFFER).addListener((ChannelFutureListener) written -> {
                if (written.isSuccess()) {
                    ((DuplexChannel) written.channel()).shutdownOutput().addListener(ChannelFutureListener.CLOSE);
                } else {
                    written.channel().close();
                }
            });
        }
        ctx.fireUserEventTriggered(evt);
    }

    @Override
    public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
        // Resets and broken pipes are the client's business; the sample just drops the connection.
        ctx.close();
    }
}
