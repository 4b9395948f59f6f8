package dev.weir.proxy.tls;

import java.io.IOException;
import java.io.StringWriter;
import java.math.BigInteger;
import java.nio.file.Files;
import java.nio.file.Path;
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
import javax.net.ssl.KeyManagerFactory;
import javax.net.ssl.SSLContext;
import javax.net.ssl.TrustManagerFactory;
import org.bouncycastle.asn1.ASN1Encodable;
import org.bouncycastle.asn1.pkcs.PrivateKeyInfo;
import org.bouncycastle.asn1.x500.X500Name;
import org.bouncycastle.asn1.x509.BasicConstraints;
import org.bouncycastle.asn1.x509.Extension;
import org.bouncycastle.asn1.x509.GeneralName;
import org.bouncycastle.asn1.x509.GeneralNames;
import org.bouncycastle.asn1.x509.KeyUsage;
import org.bouncycastle.asn1.x509.SubjectPublicKeyInfo;
import org.bouncycastle.cert.X509v3CertificateBuilder;
import org.bouncycastle.cert.jcajce.JcaX509CertificateConverter;
import org.bouncycastle.cert.jcajce.JcaX509v3CertificateBuilder;
import org.bouncycastle.openssl.jcajce.JcaPEMWriter;
import org.bouncycastle.openssl.jcajce.JcaPKCS8Generator;
import org.bouncycastle.operator.ContentSigner;
import org.bouncycastle.operator.jcajce.JcaContentSignerBuilder;
import org.bouncycastle.util.io.pem.PemObject;

/**
 * Certificate authorities and certificates made for a test (EC P-256, with BouncyCastle), written as the PEM files
 * Weir reads, and JDK TLS clients that trust them.
 */
public final class TestPki {

    private static final AtomicLong SERIALS = new AtomicLong(System.nanoTime() & 0xffff_ffffL);

    private TestPki() {
    }

    /** A key pair and its certificate; for a CA, it issues others. */
    public record Issued(KeyPair keys, X509Certificate cert, Issued issuer) {

        /** A leaf certificate for {@code cn} with these DNS names (subjectAltName), valid for a day. */
        public Issued issue(String cn, String... dnsNames) {
            return TestPki.issue(this, cn, false, Duration.ofDays(1), dnsNames);
        }

        /** A leaf certificate for {@code cn} that expires {@code validFor} from now (its expiry is what a test checks). */
        public Issued issue(String cn, Duration validFor, String... dnsNames) {
            return TestPki.issue(this, cn, false, validFor, dnsNames);
        }

        /** A certificate that expired an hour ago. */
        public Issued issueExpired(String cn, String... dnsNames) {
            return TestPki.issue(this, cn, false, Duration.ofHours(-1), dnsNames);
        }

        /** {@link #issue} with an RSA-2048 key. */
        public Issued issueRsa(String cn, String... dnsNames) {
            return TestPki.issue(this, cn, false, Duration.ofDays(1), "RSA", dnsNames);
        }

        public BigInteger serial() {
            return cert.getSerialNumber();
        }

        /** Writes {@code name}.pem (this certificate, then its issuer's) and {@code name}.key (PKCS#8). */
        public Files2 write(Path dir, String name) {
            return write(dir, name, true);
        }

        /**
         * {@link #write}, the key in its traditional form: {@code BEGIN RSA PRIVATE KEY} or {@code BEGIN EC PRIVATE
         * KEY}, as {@code openssl genrsa} and {@code openssl ecparam -genkey} write them.
         */
        public Files2 writeTraditional(Path dir, String name) {
            return write(dir, name, false);
        }

        private Files2 write(Path dir, String name, boolean pkcs8) {
            try {
                Path certFile = dir.resolve(name + ".pem");
                Path keyFile = dir.resolve(name + ".key");
                StringWriter chain = new StringWriter();
                try (JcaPEMWriter w = new JcaPEMWriter(chain)) {
                    w.writeObject(cert);
                    if (issuer != null) {
                        w.writeObject(issuer.cert);
                    }
                }
                StringWriter key = new StringWriter();
                try (JcaPEMWriter w = new JcaPEMWriter(key)) {
                    if (pkcs8) {
                        w.writeObject(new JcaPKCS8Generator(keys.getPrivate(), null));
                    } else if (keys.getPrivate() instanceof java.security.interfaces.ECPrivateKey ec) {
                        w.writeObject(new PemObject("EC PRIVATE KEY", sec1(ec, keys.getPublic())));
                    } else {
                        w.writeObject(keys.getPrivate()); // BouncyCastle writes an RSA key in its traditional form
                    }
                }
                Files.writeString(certFile, chain.toString());
                Files.writeString(keyFile, key.toString());
                return new Files2(certFile, keyFile);
            } catch (IOException e) {
                throw new IllegalStateException(e);
            }
        }

        /** Writes only this certificate, as a CA file. */
        public Path writeCert(Path file) {
            try {
                StringWriter out = new StringWriter();
                try (JcaPEMWriter w = new JcaPEMWriter(out)) {
                    w.writeObject(cert);
                }
                Files.writeString(file, out.toString());
                return file;
            } catch (IOException e) {
                throw new IllegalStateException(e);
            }
        }
    }

    /**
     * An EC key as OpenSSL writes it (RFC 5915: the curve and the public point inside); the JDK's encoding leaves both
     * to the PKCS#8 wrapper, so BouncyCastle alone would write a key OpenSSL refuses.
     */
    private static byte[] sec1(java.security.interfaces.ECPrivateKey key, java.security.PublicKey pub) throws IOException {
        PrivateKeyInfo info = PrivateKeyInfo.getInstance(key.getEncoded());
        ASN1Encodable curve = info.getPrivateKeyAlgorithm().getParameters();
        SubjectPublicKeyInfo spki = SubjectPublicKeyInfo.getInstance(pub.getEncoded());
        return new org.bouncycastle.asn1.sec.ECPrivateKey(key.getParams().getOrder().bitLength(), key.getS(),
                spki.getPublicKeyData(), curve).getEncoded();
    }

    /** The two files of a certificate. */
    public record Files2(Path cert, Path key) {
    }

    public static Issued ca(String cn) {
        return issue(null, cn, true, Duration.ofDays(2));
    }

    /** A TLS client context that trusts {@code ca} and, when {@code client} is not null, presents it. */
    public static SSLContext client(Issued ca, Issued client) {
        try {
            KeyStore trust = KeyStore.getInstance("PKCS12");
            trust.load(null, null);
            trust.setCertificateEntry("ca", ca.cert());
            TrustManagerFactory tmf = TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
            tmf.init(trust);
            KeyManagerFactory kmf = null;
            if (client != null) {
                KeyStore keys = KeyStore.getInstance("PKCS12");
                keys.load(null, null);
                keys.setKeyEntry("me", client.keys().getPrivate(), new char[0],
                        new java.security.cert.Certificate[] {client.cert(), client.issuer().cert()});
                kmf = KeyManagerFactory.getInstance(KeyManagerFactory.getDefaultAlgorithm());
                kmf.init(keys, new char[0]);
            }
            SSLContext ctx = SSLContext.getInstance("TLS");
            ctx.init(kmf == null ? null : kmf.getKeyManagers(), tmf.getTrustManagers(), new SecureRandom());
            return ctx;
        } catch (GeneralSecurityException | IOException e) {
            throw new IllegalStateException(e);
        }
    }

    private static Issued issue(Issued issuer, String cn, boolean isCa, Duration validFor, String... dnsNames) {
        return issue(issuer, cn, isCa, validFor, "EC", dnsNames);
    }

    private static Issued issue(Issued issuer, String cn, boolean isCa, Duration validFor, String algorithm,
                                String... dnsNames) {
        try {
            KeyPairGenerator gen = KeyPairGenerator.getInstance(algorithm);
            if (algorithm.equals("EC")) {
                gen.initialize(new ECGenParameterSpec("secp256r1"));
            } else {
                gen.initialize(2048);
            }
            KeyPair keys = gen.generateKeyPair();
            Instant now = Instant.now();
            Instant notBefore = now.minus(Duration.ofDays(1));
            Instant notAfter = now.plus(validFor);
            X500Name subject = new X500Name("CN=" + cn);
            X500Name issuerName = issuer == null ? subject : new X500Name(issuer.cert().getSubjectX500Principal().getName());
            X509v3CertificateBuilder b = new JcaX509v3CertificateBuilder(issuerName,
                    BigInteger.valueOf(SERIALS.incrementAndGet()), Date.from(notBefore), Date.from(notAfter), subject,
                    keys.getPublic());
            b.addExtension(Extension.basicConstraints, true, new BasicConstraints(isCa));
            if (isCa) {
                b.addExtension(Extension.keyUsage, true, new KeyUsage(KeyUsage.keyCertSign | KeyUsage.cRLSign));
            } else {
                b.addExtension(Extension.keyUsage, true, new KeyUsage(KeyUsage.digitalSignature));
            }
            if (dnsNames.length > 0) {
                GeneralName[] names = new GeneralName[dnsNames.length];
                for (int i = 0; i < dnsNames.length; i++) {
                    names[i] = new GeneralName(GeneralName.dNSName, dnsNames[i]);
                }
                b.addExtension(Extension.subjectAlternativeName, false, new GeneralNames(names));
            }
            ContentSigner signer = new JcaContentSignerBuilder("SHA256withECDSA")
                    .build(issuer == null ? keys.getPrivate() : issuer.keys().getPrivate());
            X509Certificate cert = new JcaX509CertificateConverter().getCertificate(b.build(signer));
            return new Issued(keys, cert, issuer);
        } catch (GeneralSecurityException | org.bouncycastle.operator.OperatorCreationException
                 | org.bouncycastle.cert.CertIOException e) {
            throw new IllegalStateException(e);
        }
    }
}
