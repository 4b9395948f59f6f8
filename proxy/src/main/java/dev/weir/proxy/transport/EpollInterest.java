package dev.weir.proxy.transport;

import io.netty.channel.Channel;
import io.netty.channel.epoll.AbstractEpollStreamChannel;
import io.netty.channel.epoll.EpollIoOps;
import java.lang.invoke.MethodHandle;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.MethodType;
import java.lang.invoke.VarHandle;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Steps around a Netty 4.2.18 epoll bug that can cut a half-closed connection short.
 *
 * <p>When a channel's epoll interest set becomes empty, which happens once its input is shut down
 * (the peer's FIN) and nothing is waiting to be written, Netty removes the fd from epoll
 * ({@code EPOLL_CTL_DEL}) but keeps its registration marked as added. The next interest it asks for
 * (write interest, when the socket's send buffer fills; read interest, when reading is turned back on)
 * is then an {@code EPOLL_CTL_MOD}, which fails with ENOENT, and Netty closes the channel, dropping what
 * was still queued for it.
 *
 * <p>When a proxied epoll channel's input is shut down, Weir sets its interest set to {@code EPOLLERR | EPOLLET}
 * (plus {@code EPOLLOUT} while a write waits), so the set is never empty again and the fd stays in epoll until the
 * channel closes. Edge-triggered, so an error or hang-up on a socket with nothing left to read or write is reported
 * once, not on every loop turn (a level-triggered {@code EPOLLERR} made the loop spin on a client that
 * half-closed and then reset). Nothing is read from such a channel any more, and Netty's writes run
 * until the socket refuses more before they ask for write interest, which is what edge-triggering
 * needs. {@code EPOLLIN} and {@code EPOLLRDHUP} go in the same {@code epoll_ctl}: Netty would clear each with one
 * of its own right after (when reads stop, and in {@code epollRdHupReady}), so a half-closed channel costs one
 * {@code epoll_ctl} instead of three. See docs/operations.md, "Epoll and half-closed connections".
 *
 * <p>{@link #readFromStart} puts {@code EPOLLIN} into a channel's interest set before it is registered, so that its
 * {@code EPOLL_CTL_ADD} carries it: a socket Weir reads from the start (a client while its backend connects, a
 * backend socket once connected) then needs no {@code EPOLL_CTL_MOD} for its first read.
 *
 * <p>Thread rule: called on the channel's event loop, or before the channel is registered.
 */
public final class EpollInterest {

    private static final Logger log = LoggerFactory.getLogger(EpollInterest.class);
    private static final MethodHandle SET_FLAG = setFlag();
    private static final int FLAGS = EpollIoOps.EPOLLERR.value() | EpollIoOps.EPOLLET.value();
    /** The channel's interest set ({@code AbstractEpollChannel.ops}) and its one submit; null if this Netty lacks them. */
    private static final VarHandle OPS;
    private static final MethodHandle SUBMIT;

    static {
        VarHandle ops = null;
        MethodHandle submit = null;
        try {
            Class<?> channel = AbstractEpollStreamChannel.class.getSuperclass(); // AbstractEpollChannel, package-private
            MethodHandles.Lookup lookup = MethodHandles.privateLookupIn(channel, MethodHandles.lookup());
            ops = lookup.findVarHandle(channel, "ops", EpollIoOps.class);
            submit = lookup.findVirtual(channel, "submitCurrentOps", MethodType.methodType(void.class));
        } catch (ReflectiveOperationException | RuntimeException | LinkageError e) {
            log.debug("Netty's epoll channel has no ops field or submitCurrentOps() here ({}): a half-closed channel"
                    + " costs three epoll_ctl instead of one", e.toString());
            ops = null;
            submit = null;
        }
        OPS = ops;
        SUBMIT = submit;
    }

    private EpollInterest() {
    }

    private static MethodHandle setFlag() {
        try {
            return MethodHandles.privateLookupIn(AbstractEpollStreamChannel.class, MethodHandles.lookup())
                    .findVirtual(AbstractEpollStreamChannel.class, "setFlag", MethodType.methodType(void.class, int.class));
        } catch (ReflectiveOperationException | RuntimeException | LinkageError e) {
            log.warn("Netty's epoll channel has no setFlag(int) here ({}): half-closed connections on epoll may be"
                    + " cut short (docs/operations.md, \"Epoll and half-closed connections\")", e.toString());
            return null;
        }
    }

    /** Whether the workaround is in effect (false only if this Netty no longer has the hook). */
    public static boolean active() {
        return SET_FLAG != null;
    }

    /**
     * Call when {@code ch}'s input has been shut down (on its {@code ChannelInputShutdownEvent}, in
     * its event loop): keeps it in epoll's set for as long as it is open. A no-op on other transports.
     */
    public static void inputShutDown(Channel ch) {
        if (SET_FLAG == null || !(ch instanceof AbstractEpollStreamChannel epoll) || !ch.isOpen()) {
            return;
        }
        try {
            if (SUBMIT != null) {
                EpollIoOps now = (EpollIoOps) OPS.get(epoll);
                EpollIoOps next = now.without(EpollIoOps.EPOLLIN).without(EpollIoOps.EPOLLRDHUP)
                        .with(EpollIoOps.EPOLLERR).with(EpollIoOps.EPOLLET);
                if (!next.equals(now)) {
                    OPS.set(epoll, next);
                    SUBMIT.invoke(epoll);
                }
            } else {
                SET_FLAG.invoke(epoll, FLAGS);
            }
        } catch (Throwable t) {
            // epoll_ctl refused: the fd is already gone from epoll, so this channel cannot be served.
            ch.pipeline().fireExceptionCaught(t);
        }
    }

    /**
     * Call on a channel not registered yet that will be read as soon as it is active: its
     * registration then asks for {@code EPOLLIN} at once, where Netty would add it with an {@code EPOLL_CTL_MOD} on
     * the first read. Epoll reads a readable socket whether or not a read was asked for, so a channel read before the
     * caller turns reading on is read once, and then no more until it does. A no-op on other transports.
     */
    public static void readFromStart(Channel ch) {
        if (SET_FLAG == null || !(ch instanceof AbstractEpollStreamChannel epoll) || ch.isRegistered()) {
            return;
        }
        try {
            SET_FLAG.invoke(epoll, EpollIoOps.EPOLLIN.value()); // not registered: only the field changes
        } catch (Throwable t) {
            log.debug("cannot pre-set EPOLLIN ({}): the first read asks for it instead", t.toString());
        }
    }
}
