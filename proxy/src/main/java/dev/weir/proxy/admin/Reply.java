package dev.weir.proxy.admin;

import com.fasterxml.jackson.databind.JsonNode;
import io.netty.buffer.Unpooled;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandlerContext;
import io.netty.handler.codec.TooLongFrameException;
import io.netty.handler.codec.http.DefaultFullHttpResponse;
import io.netty.handler.codec.http.FullHttpResponse;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpHeaderValues;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.HttpVersion;
import io.netty.handler.codec.http.TooLongHttpHeaderException;
import io.netty.handler.codec.http.TooLongHttpLineException;
import java.nio.charset.StandardCharsets;
import java.util.LinkedHashMap;
import java.util.Map;

/** An admin answer: status, content type, body and extra headers; and how one is written. Immutable. */
record Reply(HttpResponseStatus status, String contentType, byte[] body, Map<String, String> headers) {

    private static final String JSON = "application/json; charset=utf-8";
    private static final String TEXT = "text/plain; charset=utf-8";

    static Reply json(HttpResponseStatus status, JsonNode body) {
        return new Reply(status, JSON, ApiJson.bytes(body), Map.of());
    }

    static Reply text(HttpResponseStatus status, String body) {
        return new Reply(status, TEXT, (body + "\n").getBytes(StandardCharsets.UTF_8), Map.of());
    }

    Reply with(String name, String value) {
        Map<String, String> h = new LinkedHashMap<>(headers);
        h.put(name, value);
        return new Reply(status, contentType, body, h);
    }

    /** Writes {@code reply} with the headers every admin answer carries; closes the connection after it when asked. */
    static void send(ChannelHandlerContext ctx, Reply reply, boolean close) {
        FullHttpResponse response = new DefaultFullHttpResponse(HttpVersion.HTTP_1_1, reply.status(),
                Unpooled.wrappedBuffer(reply.body()));
        response.headers()
                .set(HttpHeaderNames.CONTENT_TYPE, reply.contentType())
                .setInt(HttpHeaderNames.CONTENT_LENGTH, reply.body().length)
                .set(HttpHeaderNames.CACHE_CONTROL, HttpHeaderValues.NO_STORE)
                .set("X-Content-Type-Options", "nosniff");
        reply.headers().forEach(response.headers()::set);
        if (close) {
            response.headers().set(HttpHeaderNames.CONNECTION, HttpHeaderValues.CLOSE);
            ctx.writeAndFlush(response).addListener(ChannelFutureListener.CLOSE);
        } else {
            ctx.writeAndFlush(response).addListener(ChannelFutureListener.CLOSE_ON_FAILURE);
        }
    }

    /** The answer to a request the HTTP decoder could not read. */
    static Reply decodeFailure(Throwable cause) {
        if (cause instanceof TooLongHttpLineException) {
            return error(new ApiException(HttpResponseStatus.REQUEST_URI_TOO_LONG, "uri_too_long", cause.getMessage()));
        }
        if (cause instanceof TooLongHttpHeaderException) {
            return error(new ApiException(HttpResponseStatus.REQUEST_HEADER_FIELDS_TOO_LARGE, "headers_too_large",
                    cause.getMessage()));
        }
        if (cause instanceof TooLongFrameException) {
            return error(new ApiException(HttpResponseStatus.REQUEST_ENTITY_TOO_LARGE, "payload_too_large",
                    cause.getMessage()));
        }
        return error(ApiException.badRequest("malformed HTTP request: " + cause.getMessage()));
    }

    /** The JSON error answer of {@code e}, with its extra headers. */
    static Reply error(ApiException e) {
        Reply r = Reply.json(e.status, ApiJson.error(e.code, e.getMessage()));
        for (Map.Entry<String, String> h : e.headers.entrySet()) {
            r = r.with(h.getKey(), h.getValue());
        }
        return r;
    }
}
