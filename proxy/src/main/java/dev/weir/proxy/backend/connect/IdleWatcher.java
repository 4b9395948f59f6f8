package dev.weir.proxy.backend.connect;

import dev.weir.proxy.backend.connect.PerLoop;
import io.netty.buffer.ByteBuf;
import io.netty.channel.Channel;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.socket.ChannelInputShutdownEvent;
import io.netty.util.ReferenceCountUtil;
import java.util.ArrayList;
import java.util.List;

/**
 * Watches an idle pooled socket: keeps what the backend sends first (a banner, capped) for the
 * client that takes the socket, and reports an EOF or error so the socket is dropped, never handed out.
 */
final class IdleWatcher extends ChannelInboundHandlerAdapter {

    /** A backend that says more than this before any client arrives is not a banner: drop the socket. */
    static final int MAX_BANNER = 64 * 1024;

    private final PerLoop owner;
    private List<ByteBuf> banner = new ArrayList<>(1);
    private int bannerBytes;
    private boolean dead;

    IdleWatcher(PerLoop owner) {
        this.owner = owner;
    }

    boolean dead() {
        return dead;
    }

    /** Removes this watcher and gives the kept bytes to the caller (who must release or forward them). */
    List<ByteBuf> handOver(Channel ch) {
        List<ByteBuf> out = banner;
        banner = null;
        ch.pipeline().remove(this);
        return out;
    }

    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) {
        if (banner == null || dead || !(msg instanceof ByteBuf buf)) {
            ReferenceCountUtil.release(msg);
            return;
        }
        bannerBytes += buf.readableBytes();
        banner.add(buf);
        if (bannerBytes > MAX_BANNER) {
            die(ctx);
        }
    }

    @Override
    public void userEventTriggered(ChannelHandlerContext ctx, Object evt) {
        if (evt instanceof ChannelInputShutdownEvent) {
            die(ctx);
        }
        ReferenceCountUtil.release(evt);
    }

    @Override
    public void channelInactive(ChannelHandlerContext ctx) {
        die(ctx);
    }

    @Override
    public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
        die(ctx);
    }

    @Override
    public void handlerRemoved(ChannelHandlerContext ctx) {
        release();
    }

    private void die(ChannelHandlerContext ctx) {
        if (!dead) {
            dead = true;
            release();
            owner.died(ctx.channel());
        }
    }

    private void release() {
        if (banner != null) {
            banner.forEach(ReferenceCountUtil::release);
            banner.clear();
            bannerBytes = 0;
        }
    }
}
