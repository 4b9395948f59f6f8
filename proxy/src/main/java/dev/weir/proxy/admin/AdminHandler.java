package dev.weir.proxy.admin;

import static io.netty.handler.codec.http.HttpMethod.DELETE;
import static io.netty.handler.codec.http.HttpMethod.GET;
import static io.netty.handler.codec.http.HttpMethod.POST;

import dev.weir.proxy.api.ProxyControl;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import io.netty.channel.ChannelHandler;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.SimpleChannelInboundHandler;
import io.netty.handler.codec.PrematureChannelClosureException;
import io.netty.handler.codec.http.FullHttpRequest;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpMethod;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.QueryStringDecoder;
import io.netty.util.NetUtil;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.URLDecoder;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.NoSuchElementException;
import java.util.Set;
import java.util.concurrent.Executor;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Routes one admin request to {@link AdminApi} and answers it; shared by every admin connection.
 *
 * <p>Thread rule: requests arrive on the admin event loop; {@link ApiDispatch} decides where each is handled (the
 * loop, or the control executor for {@code /api}), so {@link #handle} runs on either; answers are written on the
 * loop. The token may be replaced from the control thread (volatile).
 *
 * <p>Reads (GET) need nothing. A state change (POST, DELETE) must first pass {@link AdminAuth}.
 */
@ChannelHandler.Sharable
final class AdminHandler extends SimpleChannelInboundHandler<FullHttpRequest> {

    private static final Logger log = LoggerFactory.getLogger(AdminHandler.class);

    private static final Set<String> ACTIONS = Set.of("drain", "disable", "enable");
    private static final String PAGE_CSP = "default-src 'none'; script-src 'unsafe-inline'; style-src 'unsafe-inline'; "
            + "connect-src 'self'; img-src data:; base-uri 'none'; form-action 'none'; frame-ancestors 'none'";


    private final AdminApi api;
    private final InventoryApi inventory;
    private final StatusApi status;
    private final boolean loopbackBind;
    // Written on the control thread (start, reload), read through auth on the admin loop.
    private volatile String token;
    private volatile List<String> allowedHosts = List.of();
    private volatile AdminAuth auth;
    private final byte[] page;

    private final ApiDispatch dispatch;

    /** @param control where /api calls run (they may wait on a reload); never this handler's own loop */
    AdminHandler(ProxyControl proxy, PrometheusMeterRegistry prometheus, String token, boolean loopbackBind, byte[] page,
                 Executor control) {
        super(true);
        this.loopbackBind = loopbackBind;
        this.token = token;
        this.auth = new AdminAuth(token, loopbackBind);
        this.api = new AdminApi(proxy, prometheus, () -> auth);
        this.inventory = new InventoryApi(proxy, Clock.systemUTC());
        this.status = new StatusApi(proxy.status(), System::currentTimeMillis);
        this.page = page;
        this.dispatch = new ApiDispatch(control, this);
    }

    /** See {@link ApiDispatch#afterPendingAnswers}. */
    void afterPendingAnswers(Runnable then) {
        dispatch.afterPendingAnswers(then);
    }

    /** Every state change from now on needs {@code token} (empty or null: none, as at start). */
    void token(String token) {
        this.token = token;
        auth = new AdminAuth(token, loopbackBind, allowedHosts);
    }

    /** Host names requests may name from now on, besides localhost and IP addresses ({@code admin.allowed-hosts}). */
    void allowedHosts(List<String> hosts) {
        this.allowedHosts = List.copyOf(hosts);
        auth = new AdminAuth(token, loopbackBind, allowedHosts);
    }

    @FunctionalInterface
    private interface Action {
        Reply run(FullHttpRequest request) throws ApiException;
    }

    /** What a path takes: its methods (as {@code Allow} lists them), the GET action and the change action. */
    private record Route(List<HttpMethod> methods, Action get, Action change) {
        static Route get(Action a) {
            return new Route(List.of(GET), a, null);
        }

        static Route change(HttpMethod method, Action a) {
            return new Route(List.of(method), null, a);
        }
    }

    /** See {@link ApiDispatch}: answered here on the admin loop, or off it and then in order. */
    @Override
    protected void channelRead0(ChannelHandlerContext ctx, FullHttpRequest request) {
        dispatch.take(ctx, request);
    }

    @Override
    public void channelInactive(ChannelHandlerContext ctx) throws Exception {
        dispatch.closed(ctx.channel());
        super.channelInactive(ctx);
    }

    /** Writes {@code reply} (logging state changes); on the admin loop. */
    void answer(ChannelHandlerContext ctx, FullHttpRequest request, Reply reply, boolean close) {
        if (!GET.equals(request.method())) {
            log.info("admin request method={} path=\"{}\" status={} client={}", request.method(),
                    loggable(request.uri()), reply.status().code(), client(ctx));
        }
        Reply.send(ctx, reply, close);
    }

    @Override
    public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
        if (cause instanceof IOException || cause instanceof PrematureChannelClosureException) {
            // A reset by the client, or a close in the middle of its request, is an event, not an error.
            log.debug("admin connection failed client={} cause=\"{}\"", client(ctx), cause.toString());
        } else {
            log.warn("admin connection failed client={}", client(ctx), cause);
        }
        ctx.close();
    }

    Reply handle(FullHttpRequest request) {
        try {
            auth.checkHost(request);
            List<String> path = segments(request.uri());
            Route route = route(path);
            if (route == null) {
                throw ApiException.notFound("no route " + printable(new QueryStringDecoder(request.uri()).rawPath()));
            }
            HttpMethod method = request.method();
            if (!route.methods().contains(method)) {
                String allow = String.join(", ", route.methods().stream().map(HttpMethod::name).toList());
                throw new ApiException(HttpResponseStatus.METHOD_NOT_ALLOWED, "method_not_allowed",
                        method + " " + printable(new QueryStringDecoder(request.uri()).rawPath())
                                + " (allowed: " + allow + ")", Map.of(HttpHeaderNames.ALLOW.toString(), allow));
            }
            if (GET.equals(method)) {
                return route.get().run(request);
            }
            auth.authorize(request);
            return route.change().run(request);
        } catch (ApiException e) {
            return Reply.error(e);
        } catch (NoSuchElementException e) {
            return Reply.error(ApiException.notFound(e.getMessage()));
        } catch (IllegalStateException e) {
            return Reply.error(new ApiException(HttpResponseStatus.CONFLICT, "conflict", e.getMessage()));
        } catch (IllegalArgumentException e) {
            return Reply.error(ApiException.badRequest(e.getMessage()));
        } catch (RuntimeException e) {
            log.warn("admin request failed method={} path=\"{}\"", request.method(), loggable(request.uri()), e);
            return Reply.error(new ApiException(HttpResponseStatus.INTERNAL_SERVER_ERROR, "internal_error", e.toString()));
        }
    }

    // ---- routes ----

    private Route route(List<String> p) {
        int n = p.size();
        if (n == 0) {
            return Route.get(r -> new Reply(HttpResponseStatus.OK, "text/html; charset=utf-8", page,
                    Map.of("Content-Security-Policy", PAGE_CSP, "Referrer-Policy", "no-referrer")));
        }
        if (n == 1) {
            return switch (p.get(0)) {
                case "healthz" -> Route.get(r -> Reply.text(HttpResponseStatus.OK, "ok"));
                case "readyz" -> Route.get(r -> api.ready());
                case "metrics" -> Route.get(api::metrics);
                default -> null;
            };
        }
        if (n < 3 || !p.get(0).equals("api") || !p.get(1).equals("v1")) {
            return null;
        }
        String what = p.get(2);
        if (n == 3) {
            return switch (what) {
                case "pools" -> Route.get(r -> Reply.json(HttpResponseStatus.OK, api.pools()));
                case "listeners" -> Route.get(r -> Reply.json(HttpResponseStatus.OK, api.listeners()));
                case "config" -> Route.get(api::config);
                case "session" -> Route.get(r -> Reply.json(HttpResponseStatus.OK, api.session()));
                case "certificates" -> Route.get(r -> Reply.json(HttpResponseStatus.OK, inventory.certificates()));
                case "info" -> Route.get(r -> Reply.json(HttpResponseStatus.OK, status.info()));
                case "history" -> Route.get(r -> Reply.json(HttpResponseStatus.OK, status.history()));
                case "events" -> Route.get(r -> Reply.json(HttpResponseStatus.OK, status.events()));
                case "reload" -> Route.change(POST, r -> api.reload());
                default -> null;
            };
        }
        if (what.equals("listeners") && n == 5 && p.get(4).equals("connections")) {
            String listener = p.get(3);
            return Route.get(r -> Reply.json(HttpResponseStatus.OK, inventory.connections(listener, r)));
        }
        if (!what.equals("pools")) {
            return null;
        }
        String pool = p.get(3);
        if (n == 4) {
            return Route.get(r -> Reply.json(HttpResponseStatus.OK, api.pool(pool)));
        }
        if (!p.get(4).equals("backends")) {
            return null;
        }
        if (n == 5) {
            return Route.change(POST, r -> api.addBackend(pool, r));
        }
        String id = p.get(5);
        if (n == 6) {
            return new Route(List.of(GET, DELETE), r -> Reply.json(HttpResponseStatus.OK, api.backend(pool, id)),
                    r -> api.removeBackend(pool, id));
        }
        if (n == 7 && ACTIONS.contains(p.get(6))) {
            String action = p.get(6);
            return Route.change(POST, r -> api.act(pool, id, action));
        }
        return null;
    }

    /**
     * The path's segments, each percent-decoded on its own, so an id such as {@code 127.0.0.1:9001}
     * or {@code [::1]:9001} may be sent encoded, and an encoded {@code /} stays inside its segment.
     * A trailing slash is ignored; {@code +} stays a plus (this is a path, not a form).
     */
    static List<String> segments(String uri) throws ApiException {
        String raw = new QueryStringDecoder(uri).rawPath();
        if (!raw.startsWith("/")) {
            throw ApiException.badRequest("path: \"" + printable(raw) + "\" (expected: starting with /)");
        }
        List<String> out = new ArrayList<>();
        String[] parts = raw.substring(1).split("/", -1);
        for (int i = 0; i < parts.length; i++) {
            if (parts[i].isEmpty() && i == parts.length - 1) {
                break;
            }
            try {
                out.add(URLDecoder.decode(parts[i].replace("+", "%2B"), StandardCharsets.UTF_8));
            } catch (IllegalArgumentException e) {
                throw ApiException.badRequest("path: \"" + printable(raw) + "\" (malformed percent-encoding)");
            }
        }
        return out;
    }

    static String encode(String segment) {
        return URLEncoder.encode(segment, StandardCharsets.UTF_8).replace("+", "%20");
    }

    // ---- logging ----

    private static String client(ChannelHandlerContext ctx) {
        return ctx.channel().remoteAddress() instanceof InetSocketAddress a ? NetUtil.toSocketAddressString(a) : "?";
    }

    /** Request text for a log line or an error detail: control characters escaped, length capped. */
    /** Names of query parameters whose values are not logged (a token a client put in the URL). */
    private static final java.util.regex.Pattern SECRET_PARAM = java.util.regex.Pattern.compile(
            "([?&](?:[^=&]*(?:token|password|secret|auth|key)[^=&]*)=)[^&#]*",
            java.util.regex.Pattern.CASE_INSENSITIVE);

    /** A request URI as a log shows it: printable, and the values of secret-looking query parameters as ****. */
    static String loggable(String uri) {
        return printable(SECRET_PARAM.matcher(uri).replaceAll("$1****"));
    }

    static String printable(String s) {
        StringBuilder sb = new StringBuilder(Math.min(s.length(), 200));
        for (int i = 0; i < s.length() && sb.length() < 200; i++) {
            char c = s.charAt(i);
            if (c < 0x20 || c == 0x7f || c == '"' || c == '\\') {
                sb.append(String.format("\\x%02x", (int) c));
            } else {
                sb.append(c);
            }
        }
        return s.length() > 200 ? sb + "..." : sb.toString();
    }
}
