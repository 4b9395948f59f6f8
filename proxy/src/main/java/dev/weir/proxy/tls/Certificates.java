package dev.weir.proxy.tls;

import dev.weir.proxy.api.StartException;
import dev.weir.proxy.config.TlsConfig;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.KeyFactory;
import java.security.PrivateKey;
import java.security.Signature;
import java.security.cert.CertificateException;
import java.security.cert.CertificateFactory;
import java.security.cert.X509Certificate;
import java.security.spec.PKCS8EncodedKeySpec;
import java.util.ArrayList;
import java.util.Base64;
import java.util.Collection;
import java.util.List;
import java.util.Locale;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import javax.naming.InvalidNameException;
import javax.naming.ldap.LdapName;
import javax.naming.ldap.Rdn;

/** PEM certificates and keys, read with the JDK alone: the names a certificate serves, and whether a key is its own. */
final class Certificates {

    private static final Pattern PKCS8 = Pattern.compile(
            "-----BEGIN PRIVATE KEY-----([A-Za-z0-9+/=\\s]+)-----END PRIVATE KEY-----");

    private Certificates() {
    }

    /** The certificates in a PEM file, the leaf first; empty when it holds none. */
    static List<X509Certificate> read(String at, Path file) throws StartException {
        try (InputStream in = Files.newInputStream(file)) {
            Collection<? extends java.security.cert.Certificate> all =
                    CertificateFactory.getInstance("X.509").generateCertificates(in);
            List<X509Certificate> out = new ArrayList<>();
            for (java.security.cert.Certificate c : all) {
                out.add((X509Certificate) c);
            }
            return out;
        } catch (CertificateException e) {
            throw new StartException(at + ": " + file + ": not a PEM certificate (" + ServerTls.reason(e) + ")", e);
        } catch (IOException e) {
            throw new StartException(at + ": " + file + ": cannot read (" + e.getMessage() + ")", e);
        }
    }

    /** The DNS names a certificate serves: its subjectAltName DNS entries, else its subject's CN. Lower case. */
    static List<String> dnsNames(X509Certificate cert) {
        List<String> names = new ArrayList<>();
        try {
            Collection<List<?>> sans = cert.getSubjectAlternativeNames();
            if (sans != null) {
                for (List<?> san : sans) {
                    if (Integer.valueOf(2).equals(san.get(0))) {
                        names.add(((String) san.get(1)).toLowerCase(Locale.ROOT));
                    }
                }
            }
        } catch (CertificateException e) {
            // An unreadable extension: fall back to the CN.
        }
        if (names.isEmpty()) {
            try {
                for (Rdn rdn : new LdapName(cert.getSubjectX500Principal().getName()).getRdns()) {
                    if (rdn.getType().equalsIgnoreCase("CN")) {
                        names.add(String.valueOf(rdn.getValue()).toLowerCase(Locale.ROOT));
                    }
                }
            } catch (InvalidNameException e) {
                // No usable name: the certificate serves only as the default.
            }
        }
        return names;
    }

    /**
     * Checks that the PKCS#8 key of {@code c} belongs to its certificate (a signature made with it verifies with the
     * certificate's public key); other key formats were already read, or refused, by the TLS library.
     */
    static void checkKeyMatches(String at, TlsConfig.Certificate c) throws StartException {
        String pem;
        try {
            pem = Files.readString(c.key(), StandardCharsets.US_ASCII);
        } catch (IOException e) {
            throw new StartException(at + ".key: " + c.key() + ": cannot read (" + e.getMessage() + ")", e);
        }
        Matcher m = PKCS8.matcher(pem);
        if (!m.find()) {
            return;
        }
        X509Certificate leaf = read(at + ".cert", c.cert()).get(0);
        try {
            byte[] der = Base64.getMimeDecoder().decode(m.group(1));
            String algorithm = leaf.getPublicKey().getAlgorithm();
            PrivateKey key = KeyFactory.getInstance(algorithm).generatePrivate(new PKCS8EncodedKeySpec(der));
            String sigAlg = switch (algorithm) {
                case "RSA" -> "SHA256withRSA";
                case "EC" -> "SHA256withECDSA";
                case "Ed25519", "EdDSA" -> "Ed25519";
                default -> null;
            };
            if (sigAlg == null) {
                return;
            }
            byte[] probe = "weir key check".getBytes(StandardCharsets.US_ASCII);
            Signature sign = Signature.getInstance(sigAlg);
            sign.initSign(key);
            sign.update(probe);
            byte[] signature = sign.sign();
            Signature verify = Signature.getInstance(sigAlg);
            verify.initVerify(leaf.getPublicKey());
            verify.update(probe);
            if (!verify.verify(signature)) {
                throw new StartException(at + ".key: " + c.key() + " does not match the certificate " + c.cert(), null);
            }
        } catch (GeneralSecurityException | IllegalArgumentException e) {
            throw new StartException(at + ".key: " + c.key() + " does not match the certificate " + c.cert()
                    + " (" + ServerTls.reason(e) + ")", e);
        }
    }
}
