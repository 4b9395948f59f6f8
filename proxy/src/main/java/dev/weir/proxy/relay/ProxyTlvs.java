package dev.weir.proxy.relay;

import dev.weir.proxy.metrics.AccessLog;
import io.netty.buffer.Unpooled;
import io.netty.handler.codec.haproxy.HAProxySSLTLV;
import io.netty.handler.codec.haproxy.HAProxyTLV;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import javax.naming.InvalidNameException;
import javax.naming.ldap.LdapName;
import javax.naming.ldap.Rdn;

/**
 * The PROXY v2 TLVs of a terminated TLS session, as HAProxy sends them: {@code PP2_TYPE_SSL} (client flags, verify
 * result, and the version, client certificate CN and cipher inside), {@code PP2_TYPE_AUTHORITY} (the SNI) and
 * {@code PP2_TYPE_ALPN}. Stateless.
 */
final class ProxyTlvs {

    private static final byte CLIENT_SSL = 0x01;
    private static final byte CLIENT_CERT_CONN = 0x02;
    private static final byte CLIENT_CERT_SESS = 0x04;
    private static final byte SUBTYPE_SSL_CIPHER = 0x23;

    private ProxyTlvs() {
    }

    static List<HAProxyTLV> of(AccessLog.Tls tls) {
        List<HAProxyTLV> inside = new ArrayList<>(3);
        inside.add(text(HAProxyTLV.Type.PP2_TYPE_SSL_VERSION, tls.version()));
        String cn = commonName(tls.clientSubject());
        if (cn != null) {
            inside.add(text(HAProxyTLV.Type.PP2_TYPE_SSL_CN, cn));
        }
        inside.add(new HAProxyTLV(SUBTYPE_SSL_CIPHER, Unpooled.copiedBuffer(tls.cipher(), StandardCharsets.US_ASCII)));
        boolean cert = tls.clientSubject() != null;
        byte client = (byte) (CLIENT_SSL | (cert ? CLIENT_CERT_CONN | CLIENT_CERT_SESS : 0));
        // verify: 0 when the client presented a certificate and it was verified (else the handshake failed).
        List<HAProxyTLV> tlvs = new ArrayList<>(3);
        if (tls.alpn() != null) {
            tlvs.add(text(HAProxyTLV.Type.PP2_TYPE_ALPN, tls.alpn()));
        }
        if (tls.sni() != null) {
            tlvs.add(text(HAProxyTLV.Type.PP2_TYPE_AUTHORITY, tls.sni()));
        }
        tlvs.add(new HAProxySSLTLV(cert ? 0 : 1, client, inside));
        return tlvs;
    }

    private static HAProxyTLV text(HAProxyTLV.Type type, String value) {
        return new HAProxyTLV(type, Unpooled.copiedBuffer(value, StandardCharsets.UTF_8));
    }

    /** The CN of an RFC 2253 subject, or null (no subject, or none in it). */
    static String commonName(String subject) {
        if (subject == null) {
            return null;
        }
        try {
            List<Rdn> rdns = new LdapName(subject).getRdns();
            for (int i = rdns.size() - 1; i >= 0; i--) { // LdapName lists the most significant first
                if (rdns.get(i).getType().equalsIgnoreCase("CN")) {
                    return rdns.get(i).getValue().toString();
                }
            }
        } catch (InvalidNameException e) {
            return null;
        }
        return null;
    }
}
