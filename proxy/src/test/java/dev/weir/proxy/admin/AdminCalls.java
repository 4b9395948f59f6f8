package dev.weir.proxy.admin;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.http.HttpResponse;

/** What admin tests read from the API's answers and write into its paths; the calls are {@code RunningWeir}'s. */
final class AdminCalls {

    private AdminCalls() {
    }

    static InetSocketAddress loopback() {
        return new InetSocketAddress("127.0.0.1", 0);
    }

    static JsonNode json(HttpResponse<String> r) {
        try {
            return ApiJson.MAPPER.readTree(r.body());
        } catch (IOException e) {
            throw new AssertionError("not JSON: " + r.body(), e);
        }
    }

    /** A backend's path segment: its id, percent-encoded. */
    static String seg(String id) {
        return AdminHandler.encode(id);
    }
}
