package dev.weir.proxy.relay;

import static org.assertj.core.api.Assertions.assertThat;

import io.netty.handler.codec.DecoderException;
import io.netty.handler.ssl.NotSslRecordException;
import io.netty.handler.ssl.SslHandshakeTimeoutException;
import java.security.cert.CertificateException;
import java.util.concurrent.TimeUnit;
import javax.net.ssl.SSLHandshakeException;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * The causes of failed client handshakes as the two providers report them (the messages below are the ones their
 * engines threw in OpensslClientTest and TlsTerminationTest), named for the counter's tag and the log line.
 */
@Timeout(value = 10, unit = TimeUnit.SECONDS)
class TlsFailuresTest {

    @Test
    void boringSslsReasonsForAMissingOrUntrustedClientCertificate() {
        Throwable none = new DecoderException(new SSLHandshakeException(
                "error:100000c0:SSL routines:OPENSSL_internal:PEER_DID_NOT_RETURN_A_CERTIFICATE"));
        assertThat(TlsFailures.kind(none)).isEqualTo("no_certificate");

        // The engine wraps the trust manager's reason in a message that says nothing by itself.
        SSLHandshakeException untrusted = new SSLHandshakeException("General OpenSslEngine problem");
        untrusted.initCause(new CertificateException("PKIX path building failed: unable to find valid certification"
                + " path to requested target", new Exception("unable to find valid certification path to requested target")));
        assertThat(TlsFailures.kind(new DecoderException(untrusted))).isEqualTo("bad_certificate");
        assertThat(TlsFailures.describe(new DecoderException(untrusted)))
                .isEqualTo("General OpenSslEngine problem: unable to find valid certification path to requested target");
    }

    @Test
    void theJdksReasonsAndTheOthers() {
        assertThat(TlsFailures.kind(new SSLHandshakeException("Empty client certificate chain")))
                .isEqualTo("no_certificate");
        assertThat(TlsFailures.kind(new SSLHandshakeException("PKIX path building failed: ...")))
                .isEqualTo("bad_certificate");
        assertThat(TlsFailures.kind(new SslHandshakeTimeoutException("handshake timed out after 300ms")))
                .isEqualTo("timeout");
        assertThat(TlsFailures.kind(new DecoderException(new NotSslRecordException("not an SSL/TLS record"))))
                .isEqualTo("not_tls");
        assertThat(TlsFailures.kind(new SSLHandshakeException("No appropriate protocol (protocol is disabled or"
                + " cipher suites are inappropriate)"))).isEqualTo("protocol");
        assertThat(TlsFailures.describe(new SSLHandshakeException("line one\n\"two\"")))
                .as("one line, no double quote").isEqualTo("line one 'two'");
    }
}
