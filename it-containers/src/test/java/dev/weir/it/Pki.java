package dev.weir.it;

import org.bouncycastle.asn1.x500.X500Name;
import org.bouncycastle.asn1.x509.BasicConstraints;
import org.bouncycastle.asn1.x509.Extension;
import org.bouncycastle.asn1.x509.GeneralName;
import org.bouncycastle.asn1.x509.GeneralNames;
import org.bouncycastle.asn1.x509.KeyUsage;
import org.bouncycastle.cert.X509v3CertificateBuilder;
import org.bouncycastle.cert.jcajce.JcaX509CertificateConverter;
import org.bouncycastle.cert.jcajce.JcaX509v3CertificateBuilder;
import org.bouncycastle.openssl.jcajce.JcaPEMWriter;
import org.bouncycastle.openssl.jcajce.JcaPKCS8Generator;
import org.bouncycastle.operator.jcajce.JcaContentSignerBuilder;

import java.io.IOException;
import java.io.StringWriter;
import java.math.BigInteger;
import java.security.GeneralSecurityException;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.KeyStore;
import java.security.SecureRandom;
import java.security.cert.X509Certificate;
import java.security.spec.ECGenParameterSpec;
import java.time.Duration;
import java.time.Instant;
import java.util.Date;
import java.util.concurrent.atomic.AtomicLong;
import javax.net.ssl.SSLContext;
import javax.net.ssl.TrustManagerFactory;

/**
 * A certificate authority made for a test (EC P-256, BouncyCastle), the server certificates it issues as the PEM
 * text Weir reads, and TLS clients that trust it. (The proxy module's TestPki does more; this suite needs only this.)
 */
final class Pki {

    private static final AtomicLong SERIALS = new AtomicLong(System.nanoTime() & 0xffff_ffffL);

    final KeyPair keys;
    final X509Certificate cert;

    private Pki(KeyPair keys, X509Certificate cert) {
        this.keys = keys;
        this.cert = cert;
    }

    /** A new CA, valid for two days. */
    static Pki ca(String cn) {
        KeyPair keys = keyPair();
        return new Pki(keys, sign(new X500Name("CN=" + cn), keys, keys, null));
    }

    /** A server certificate for {@code dnsName} (its CN and subjectAltName), with a serial of its own. */
    Leaf issue(String dnsName) {
        KeyPair leafKeys = keyPair();
        return new Leaf(leafKeys, sign(new X500Name(cert.getSubjectX500Principal().getName()), keys, leafKeys, dnsName),
                this);
    }

    /** A leaf certificate and its key. */
    record Leaf(KeyPair keys, X509Certificate cert, Pki issuer) {

        BigInteger serial() {
            return cert.getSerialNumber();
        }

        /** The certificate file: this certificate, then its issuer's. */
        String chainPem() {
            return pem(cert, issuer.cert);
        }

        /** The key file: PKCS#8. */
        String keyPem() {
            try {
                return pem(new JcaPKCS8Generator(keys.getPrivate(), null).generate());
            } catch (IOException e) {
                throw new IllegalStateException(e);
            }
        }
    }

    /** A TLS client context that trusts this CA only. */
    SSLContext client() {
        try {
            KeyStore trust = KeyStore.getInstance("PKCS12");
            trust.load(null, null);
            trust.setCertificateEntry("ca", cert);
            TrustManagerFactory tmf = TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
            tmf.init(trust);
            SSLContext ctx = SSLContext.getInstance("TLS");
            ctx.init(null, tmf.getTrustManagers(), new SecureRandom());
            return ctx;
        } catch (GeneralSecurityException | IOException e) {
            throw new IllegalStateException(e);
        }
    }

    private static String pem(Object... objects) {
        try {
            StringWriter out = new StringWriter();
            try (JcaPEMWriter w = new JcaPEMWriter(out)) {
                for (Object o : objects) {
                    w.writeObject(o);
                }
            }
            return out.toString();
        } catch (IOException e) {
            throw new IllegalStateException(e);
        }
    }

    private static KeyPair keyPair() {
        try {
            KeyPairGenerator gen = KeyPairGenerator.getInstance("EC");
            gen.initialize(new ECGenParameterSpec("secp256r1"));
            return gen.generateKeyPair();
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException(e);
        }
    }

    /** A CA's certificate when {@code dnsName} is null (self-signed), else a server's for that name. */
    private static X509Certificate sign(X500Name issuer, KeyPair issuerKeys, KeyPair subjectKeys, String dnsName) {
        boolean isCa = dnsName == null;
        try {
            Instant now = Instant.now();
            X500Name subject = isCa ? issuer : new X500Name("CN=" + dnsName);
            X509v3CertificateBuilder b = new JcaX509v3CertificateBuilder(issuer,
                    BigInteger.valueOf(SERIALS.incrementAndGet()), Date.from(now.minus(Duration.ofDays(1))),
                    Date.from(now.plus(Duration.ofDays(2))), subject, subjectKeys.getPublic());
            b.addExtension(Extension.basicConstraints, true, new BasicConstraints(isCa));
            b.addExtension(Extension.keyUsage, true, new KeyUsage(isCa
                    ? KeyUsage.keyCertSign | KeyUsage.cRLSign : KeyUsage.digitalSignature));
            if (!isCa) {
                b.addExtension(Extension.subjectAlternativeName, false,
                        new GeneralNames(new GeneralName(GeneralName.dNSName, dnsName)));
            }
            return new JcaX509CertificateConverter().getCertificate(
                    b.build(new JcaContentSignerBuilder("SHA256withECDSA").build(issuerKeys.getPrivate())));
        } catch (GeneralSecurityException | IOException | org.bouncycastle.operator.OperatorCreationException e) {
            throw new IllegalStateException(e);
        }
    }
}
