package dev.weir.proxy.tls;

import dev.weir.proxy.api.StartException;
import java.io.IOException;
import java.io.InputStream;
import java.io.Reader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.PrivateKey;
import java.security.Signature;
import java.security.cert.CertificateException;
import java.security.cert.CertificateFactory;
import java.security.cert.X509Certificate;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Locale;
import javax.naming.InvalidNameException;
import javax.naming.ldap.LdapName;
import javax.naming.ldap.Rdn;
import org.bouncycastle.asn1.pkcs.PrivateKeyInfo;
import org.bouncycastle.openssl.PEMEncryptedKeyPair;
import org.bouncycastle.openssl.PEMKeyPair;
import org.bouncycastle.openssl.PEMParser;
import org.bouncycastle.openssl.jcajce.JcaPEMKeyConverter;
import org.bouncycastle.pkcs.PKCS8EncryptedPrivateKeyInfo;

/**
 * PEM certificates and keys: the chain in a certificate file, the private key in a key file (PKCS#8, or a
 * traditional RSA or EC key, read with BouncyCastle's PEM parser), the names a certificate serves, and whether a key
 * is its certificate's own. Every problem is a config error naming the YAML path.
 */
final class Certificates {

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
            throw StartException.config(at + ": " + file + ": not a PEM certificate (" + ServerTls.reason(e) + ")", e);
        } catch (IOException e) {
            throw StartException.config(at + ": " + file + ": cannot read (" + e.getMessage() + ")", e);
        }
    }

    /**
     * The private key in a PEM file: {@code BEGIN PRIVATE KEY} (PKCS#8), {@code BEGIN RSA PRIVATE KEY} or
     * {@code BEGIN EC PRIVATE KEY} (traditional, an {@code EC PARAMETERS} block before it allowed). Encrypted keys
     * are refused with the command that decrypts them: Weir would need the passphrase on every reload.
     */
    static PrivateKey readKey(String at, Path file) throws StartException {
        try (Reader r = Files.newBufferedReader(file, StandardCharsets.US_ASCII); PEMParser pem = new PEMParser(r)) {
            JcaPEMKeyConverter convert = new JcaPEMKeyConverter();
            for (Object o = pem.readObject(); o != null; o = pem.readObject()) {
                if (o instanceof PrivateKeyInfo pkcs8) {
                    return convert.getPrivateKey(pkcs8);
                }
                if (o instanceof PEMKeyPair traditional) {
                    // The private part alone: an EC key's public point is optional in its traditional form.
                    return convert.getPrivateKey(traditional.getPrivateKeyInfo());
                }
                if (o instanceof PEMEncryptedKeyPair || o instanceof PKCS8EncryptedPrivateKeyInfo) {
                    throw StartException.config(at + ": " + file + ": an encrypted key (decrypt it: openssl pkey -in "
                            + file + " -out KEY)", null);
                }
            }
            throw StartException.config(at + ": " + file + ": holds no PEM private key (expected: BEGIN PRIVATE KEY, "
                    + "BEGIN RSA PRIVATE KEY or BEGIN EC PRIVATE KEY)", null);
        } catch (IOException | IllegalArgumentException e) {
            // PEMParser reports a damaged block as an IOException too, so say both.
            throw StartException.config(at + ": " + file + ": cannot read a private key (" + ServerTls.reason(e) + ")", e);
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
     * Checks that {@code key} (read from {@code keyFile}) belongs to {@code leaf} (from {@code certFile}): a
     * signature made with it verifies with the certificate's public key.
     *
     * @param at the YAML path of the pair, to which {@code .key} is added
     */
    static void checkKeyMatches(String at, Path keyFile, Path certFile, PrivateKey key, X509Certificate leaf)
            throws StartException {
        String algorithm = leaf.getPublicKey().getAlgorithm();
        String sigAlg = switch (algorithm) {
            case "RSA" -> "SHA256withRSA";
            case "EC" -> "SHA256withECDSA";
            case "Ed25519", "EdDSA" -> "Ed25519";
            default -> null;
        };
        if (sigAlg == null) {
            return; // another kind of key: the TLS library checks the pair when it builds the context
        }
        String mismatch = at + ".key: " + keyFile + " does not match the certificate " + certFile;
        if (!key.getAlgorithm().equals(algorithm) && !(algorithm.startsWith("Ed") && key.getAlgorithm().startsWith("Ed"))) {
            throw StartException.config(mismatch + " (a " + key.getAlgorithm() + " key, a " + algorithm + " certificate)",
                    null);
        }
        try {
            byte[] probe = "weir key check".getBytes(StandardCharsets.US_ASCII);
            Signature sign = Signature.getInstance(sigAlg);
            sign.initSign(key);
            sign.update(probe);
            byte[] signature = sign.sign();
            Signature verify = Signature.getInstance(sigAlg);
            verify.initVerify(leaf.getPublicKey());
            verify.update(probe);
            if (!verify.verify(signature)) {
                throw StartException.config(mismatch, null);
            }
        } catch (GeneralSecurityException | IllegalArgumentException e) {
            throw StartException.config(mismatch + " (" + ServerTls.reason(e) + ")", e);
        }
    }
}
