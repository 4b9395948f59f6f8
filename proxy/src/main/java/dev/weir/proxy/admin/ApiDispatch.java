package dev.weir.proxy.admin;

import io.netty.channel.Channel;
import io.netty.channel.ChannelHandlerContext;
import io.netty.handler.codec.http.FullHttpRequest;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.HttpUtil;
import io.netty.util.AttributeKey;
import java.util.ArrayDeque;
import java.util.List;
import java.util.concurrent.Executor;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Where each admin request is answered. Health, readiness, metrics and the page are answered on the admin event
 * loop, which never waits; {@code /api} calls may wait for a reload, so they run on the control executor and their
 * answers are written back on the admin loop. While such an answer is pending, its connection is not read, and
 * requests it had already sent wait here, so answers keep the order of the requests.
 *
 * <p>Thread rule: {@link #take} and {@link #closed} run on the admin loop; a call runs on the control executor;
 * the counter of pending answers and {@link #afterPendingAnswers} may be touched from either.
 */
final class ApiDispatch {

    private static final Logger log = LoggerFactory.getLogger(ApiDispatch.class);
    /** Requests that came while an earlier one of the same connection was answered off the loop, in order. */
    private static final AttributeKey<ArrayDeque<FullHttpRequest>> WAITING = AttributeKey.valueOf("weir-admin-waiting");

    private final Executor control;
    private final AdminHandler router;
    /** {@code /api} requests handed to the control executor and not answered yet. */
    private final AtomicInteger answering = new AtomicInteger();
    /** What runs once nothing is being answered any more (see {@link #afterPendingAnswers}). */
    private final AtomicReference<Runnable> whenAnswered = new AtomicReference<>();

    ApiDispatch(Executor control, AdminHandler router) {
        this.control = control;
        this.router = router;
    }

    /** A request read on the admin loop ({@code request} is released by the caller when this returns). */
    void take(ChannelHandlerContext ctx, FullHttpRequest request) {
        ArrayDeque<FullHttpRequest> waiting = ctx.channel().attr(WAITING).get();
        if (waiting != null) {
            waiting.add(request.retain());
            return;
        }
        serve(ctx, request);
    }

    /** The connection closed: what still waited is dropped. */
    void closed(Channel ch) {
        ArrayDeque<FullHttpRequest> waiting = ch.attr(WAITING).getAndSet(null);
        if (waiting != null) {
            waiting.forEach(FullHttpRequest::release);
        }
    }

    /** True while an {@code /api} answer is pending on {@code ch} (the idle timeout must not cut it off). */
    static boolean answering(Channel ch) {
        return ch.attr(WAITING).get() != null;
    }

    /**
     * Runs {@code then} once every {@code /api} request taken so far is answered: at once when none is pending,
     * else right after the last answer is written (on the admin loop). For a reload that retires this endpoint.
     */
    void afterPendingAnswers(Runnable then) {
        whenAnswered.set(then);
        if (answering.get() == 0) {
            runWhenAnswered();
        }
    }

    private void runWhenAnswered() {
        Runnable r = whenAnswered.getAndSet(null);
        if (r != null) {
            r.run();
        }
    }

    private void serve(ChannelHandlerContext ctx, FullHttpRequest request) {
        boolean close = !HttpUtil.isKeepAlive(request);
        if (request.decoderResult().isFailure()) {
            router.answer(ctx, request, Reply.decodeFailure(request.decoderResult().cause()), true);
            return;
        }
        if (request.protocolVersion().majorVersion() != 1) {
            // Netty's decoder takes any HTTP/x.y; only HTTP/1.x is spoken here.
            router.answer(ctx, request, Reply.error(new ApiException(HttpResponseStatus.HTTP_VERSION_NOT_SUPPORTED,
                    "http_version_not_supported", AdminHandler.printable(request.protocolVersion().text())
                            + " (expected: HTTP/1.0 or HTTP/1.1)")), true);
            return;
        }
        if (!isApi(request)) {
            router.answer(ctx, request, router.handle(request), close);
            return;
        }
        ctx.channel().attr(WAITING).set(new ArrayDeque<>());
        ctx.channel().config().setAutoRead(false); // what a client sends meanwhile waits in the socket, not here
        request.retain();
        answering.incrementAndGet();
        try {
            control.execute(() -> {
                Reply reply = call(request);
                try {
                    ctx.executor().execute(() -> {
                        try {
                            router.answer(ctx, request, reply, close);
                        } finally {
                            request.release();
                            answered();
                        }
                        serveWaiting(ctx);
                    });
                } catch (RejectedExecutionException e) {
                    request.release(); // the endpoint stopped meanwhile: nobody is left to answer
                    answered();
                }
            });
        } catch (RejectedExecutionException e) {
            try {
                router.answer(ctx, request, Reply.error(new ApiException(HttpResponseStatus.SERVICE_UNAVAILABLE,
                        "stopping", "the proxy is stopping")), true);
            } finally {
                request.release();
                answered();
            }
            serveWaiting(ctx);
        }
    }

    /** The call, on the control executor; an Error too is answered (500), so the request is always released. */
    private Reply call(FullHttpRequest request) {
        try {
            return router.handle(request);
        } catch (Throwable t) {
            log.warn("admin request failed method={} path=\"{}\"", request.method(), AdminHandler.loggable(request.uri()),
                    t);
            return Reply.error(new ApiException(HttpResponseStatus.INTERNAL_SERVER_ERROR, "internal_error",
                    t.toString()));
        }
    }

    private void answered() {
        if (answering.decrementAndGet() == 0) {
            runWhenAnswered();
        }
    }

    /**
     * Serves the requests that waited, until one goes off the loop again (then the rest wait for it); reads the
     * connection again once none is left.
     */
    private void serveWaiting(ChannelHandlerContext ctx) {
        ArrayDeque<FullHttpRequest> waiting = ctx.channel().attr(WAITING).getAndSet(null);
        FullHttpRequest next;
        while (waiting != null && (next = waiting.poll()) != null) {
            try {
                serve(ctx, next);
            } finally {
                next.release();
            }
            ArrayDeque<FullHttpRequest> again = ctx.channel().attr(WAITING).get();
            if (again != null) {
                again.addAll(waiting);
                return;
            }
        }
        ctx.channel().config().setAutoRead(true);
    }

    /** Routed under {@code /api} (decoded as routing decodes it: {@code /%61pi} is {@code /api} too). */
    private static boolean isApi(FullHttpRequest request) {
        try {
            List<String> path = AdminHandler.segments(request.uri());
            return !path.isEmpty() && path.get(0).equals("api");
        } catch (ApiException e) {
            return false; // answered on the loop with its 400
        }
    }
}
