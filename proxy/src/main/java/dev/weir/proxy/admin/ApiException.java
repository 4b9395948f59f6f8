package dev.weir.proxy.admin;

import io.netty.handler.codec.http.HttpResponseStatus;
import java.util.Map;

/**
 * A request the admin API refuses: becomes {@code {"error": code, "detail": detail}} with
 * {@code status}. The code is stable (scripts match it); the detail is for people.
 */
final class ApiException extends Exception {

    final HttpResponseStatus status;
    final String code;
    final Map<String, String> headers;

    ApiException(HttpResponseStatus status, String code, String detail) {
        this(status, code, detail, Map.of());
    }

    ApiException(HttpResponseStatus status, String code, String detail, Map<String, String> headers) {
        super(detail, null, false, false);
        this.status = status;
        this.code = code;
        this.headers = headers;
    }

    static ApiException badRequest(String detail) {
        return new ApiException(HttpResponseStatus.BAD_REQUEST, "bad_request", detail);
    }

    static ApiException notFound(String detail) {
        return new ApiException(HttpResponseStatus.NOT_FOUND, "not_found", detail);
    }
}
