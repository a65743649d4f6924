//! TLS for the KMIP listener: the rustls server configuration and the client-certificate policy.
//!
//! - Protocols: TLS 1.3, and TLS 1.2 with ECDHE key exchange and AEAD ciphers only (AES-GCM,
//!   ChaCha20-Poly1305), all from aws-lc-rs, the crypto library the core already uses.
//! - Every client must present a certificate that chains to the configured client CA, is
//!   within its validity period and, when CRLs are configured, is not revoked (every
//!   certificate of the chain below the trust anchor needs a CRL from its issuer; an unknown
//!   status is refused).
//! - Extended key usage (`ClientVerifier`): with `require_client_eku` (the default) the
//!   client certificate must carry the EKU extension and it must list clientAuth; CA
//!   certificates in the chain that carry an EKU extension must list clientAuth too. Without
//!   it, EKU is not looked at. rustls's own `WebPkiClientVerifier` cannot express either
//!   policy (it accepts a leaf with no EKU extension and always refuses one without
//!   clientAuth), so the chain is checked here with webpki directly, the way rustls does.
//!
//! Architecture invariant: private-key bytes are only held in `Zeroizing` buffers while
//! parsed, and no error or log line carries key material.

use rustls::client::danger::HandshakeSignatureValid;
use rustls::crypto::{aws_lc_rs, CryptoProvider, WebPkiSupportedAlgorithms};
use rustls::server::danger::{ClientCertVerified, ClientCertVerifier};
use rustls::{
    CertificateError, DigitallySignedStruct, DistinguishedName, ExtendedKeyPurpose, RootCertStore,
    ServerConfig, SignatureScheme,
};
use rustls_pki_types::pem::PemObject;
use rustls_pki_types::{CertificateDer, CertificateRevocationListDer, PrivateKeyDer, UnixTime};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use webpki::{ExtendedKeyUsageValidator, KeyPurposeIdIter, KeyUsage};
use x509_cert::der::{Decode, Encode};
use zeroize::Zeroizing;

/// Largest PEM file read (certificates, keys, CRLs): far above any real one; stops a wrong
/// path (a disk image, /dev/zero) from being read into memory.
const MAX_PEM_FILE: u64 = 16 << 20;

/// Why the TLS configuration could not be built. Messages name the file and what to do; they
/// never carry key bytes.
#[derive(Debug)]
pub enum TlsError {
    /// A file could not be read.
    Read { path: PathBuf, err: std::io::Error },
    /// A PEM input held nothing usable (`what` names the input).
    Pem { what: String, detail: String },
    /// rustls refused the combination (e.g. the key does not match the certificate).
    Config(String),
}

impl std::fmt::Display for TlsError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            TlsError::Read { path, err } => write!(f, "cannot read {}: {err}", path.display()),
            TlsError::Pem { what, detail } => write!(f, "{what}: {detail}"),
            TlsError::Config(m) => write!(f, "TLS configuration refused: {m}"),
        }
    }
}

impl std::error::Error for TlsError {}

fn pem_err(what: &str, detail: impl std::fmt::Display) -> TlsError {
    TlsError::Pem {
        what: what.to_string(),
        detail: detail.to_string(),
    }
}

/// The aws-lc-rs provider restricted to TLS 1.3 suites and TLS 1.2 ECDHE-AEAD suites.
pub fn crypto_provider() -> Arc<CryptoProvider> {
    use aws_lc_rs::cipher_suite as cs;
    Arc::new(CryptoProvider {
        cipher_suites: vec![
            cs::TLS13_AES_256_GCM_SHA384,
            cs::TLS13_AES_128_GCM_SHA256,
            cs::TLS13_CHACHA20_POLY1305_SHA256,
            cs::TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384,
            cs::TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256,
            cs::TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256,
            cs::TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384,
            cs::TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256,
            cs::TLS_ECDHE_RSA_WITH_CHACHA20_POLY1305_SHA256,
        ],
        ..aws_lc_rs::default_provider()
    })
}

/// Every certificate in a PEM input, in order (leaf first for a chain).
pub fn parse_certificates(what: &str, pem: &[u8]) -> Result<Vec<CertificateDer<'static>>, TlsError> {
    let certs = CertificateDer::pem_slice_iter(pem)
        .collect::<Result<Vec<_>, _>>()
        .map_err(|e| pem_err(what, format!("not valid PEM ({e})")))?;
    if certs.is_empty() {
        return Err(pem_err(what, "no CERTIFICATE block found"));
    }
    Ok(certs)
}

/// The one private key in a PEM input (PKCS#8, SEC1 or PKCS#1).
pub fn parse_private_key(what: &str, pem: &[u8]) -> Result<PrivateKeyDer<'static>, TlsError> {
    PrivateKeyDer::from_pem_slice(pem).map_err(|e| {
        pem_err(
            what,
            format!("no usable private key (PKCS#8, SEC1 or PKCS#1 PEM expected): {e}"),
        )
    })
}

fn parse_crls(what: &str, pem: &[u8]) -> Result<Vec<CertificateRevocationListDer<'static>>, TlsError> {
    let crls = CertificateRevocationListDer::pem_slice_iter(pem)
        .collect::<Result<Vec<_>, _>>()
        .map_err(|e| pem_err(what, format!("not valid PEM ({e})")))?;
    if crls.is_empty() {
        return Err(pem_err(what, "no X509 CRL block found"));
    }
    Ok(crls)
}

/// Reads a PEM file (at most 16 MiB) into a buffer wiped on drop.
pub fn read_pem_file(path: &Path) -> Result<Zeroizing<Vec<u8>>, TlsError> {
    use std::io::Read;
    let read_err = |err| TlsError::Read {
        path: path.to_path_buf(),
        err,
    };
    let f = std::fs::File::open(path).map_err(read_err)?;
    let mut buf = Zeroizing::new(Vec::new());
    f.take(MAX_PEM_FILE + 1).read_to_end(&mut buf).map_err(read_err)?;
    if buf.len() as u64 > MAX_PEM_FILE {
        return Err(pem_err(
            &path.display().to_string(),
            format!("larger than {MAX_PEM_FILE} bytes: not a PEM file"),
        ));
    }
    Ok(buf)
}

/// PEM inputs of the server side of TLS.
#[derive(Debug, Clone, Copy)]
pub struct TlsPem<'a> {
    /// The server certificate chain, leaf first.
    pub server_chain: &'a [u8],
    /// The server private key.
    pub server_key: &'a [u8],
    /// The CA certificate(s) client certificates must chain to.
    pub client_ca: &'a [u8],
    /// CRLs, one PEM input each (each may hold several CRLs).
    pub crls: &'a [&'a [u8]],
}

/// Paths of the server side's PEM files, as the configuration names them.
#[derive(Debug, Clone)]
pub struct TlsFiles {
    pub server_cert: PathBuf,
    pub server_key: PathBuf,
    pub client_ca: PathBuf,
    pub crls: Vec<PathBuf>,
}

/// Builds the server configuration from PEM inputs; see the module docs for the policy.
pub fn server_config(pem: &TlsPem<'_>, require_client_eku: bool) -> Result<Arc<ServerConfig>, TlsError> {
    let chain = parse_certificates("server certificate", pem.server_chain)?;
    let key = parse_private_key("server key", pem.server_key)?;
    let mut roots = RootCertStore::empty();
    for ca in parse_certificates("client CA", pem.client_ca)? {
        roots
            .add(ca)
            .map_err(|e| pem_err("client CA", format!("not a usable CA certificate: {e}")))?;
    }
    let mut crls = Vec::new();
    for (i, c) in pem.crls.iter().enumerate() {
        let what = format!("CRL #{}", i + 1);
        for der in parse_crls(&what, c)? {
            let owned = webpki::OwnedCertRevocationList::from_der(der.as_ref())
                .map_err(|e| pem_err(&what, format!("not a valid CRL: {e}")))?;
            crls.push(webpki::CertRevocationList::from(owned));
        }
    }
    let provider = crypto_provider();
    let verifier = ClientVerifier::new(
        Arc::new(roots),
        crls,
        provider.signature_verification_algorithms,
        require_client_eku,
    );
    let config = ServerConfig::builder_with_provider(provider)
        .with_protocol_versions(&[&rustls::version::TLS13, &rustls::version::TLS12])
        .map_err(|e| TlsError::Config(e.to_string()))?
        .with_client_cert_verifier(Arc::new(verifier))
        .with_single_cert(chain, key)
        .map_err(|e| {
            TlsError::Config(format!(
                "the server key does not fit the server certificate, or is of an unsupported kind: {e}"
            ))
        })?;
    Ok(Arc::new(config))
}

/// Reads the files [`TlsFiles`] names and builds the server configuration.
pub fn server_config_from_files(
    files: &TlsFiles,
    require_client_eku: bool,
) -> Result<Arc<ServerConfig>, TlsError> {
    let name = |p: &Path, what: &str| format!("{what} {}", p.display());
    let chain = read_pem_file(&files.server_cert)?;
    let key = read_pem_file(&files.server_key)?;
    let ca = read_pem_file(&files.client_ca)?;
    let crls = files
        .crls
        .iter()
        .map(|p| read_pem_file(p))
        .collect::<Result<Vec<_>, _>>()?;
    let crl_refs: Vec<&[u8]> = crls.iter().map(|c| c.as_slice()).collect();
    let pem = TlsPem {
        server_chain: &chain,
        server_key: &key,
        client_ca: &ca,
        crls: &crl_refs,
    };
    // Re-label errors with the file they came from.
    server_config(&pem, require_client_eku).map_err(|e| match e {
        TlsError::Pem { what, detail } => {
            let file = match what.as_str() {
                "server certificate" => name(&files.server_cert, "server certificate"),
                "server key" => name(&files.server_key, "server key"),
                "client CA" => name(&files.client_ca, "client CA"),
                w => match w
                    .strip_prefix("CRL #")
                    .and_then(|n| n.parse::<usize>().ok())
                    .and_then(|n| files.crls.get(n.wrapping_sub(1)))
                {
                    Some(p) => name(p, "CRL"),
                    None => what,
                },
            };
            TlsError::Pem { what: file, detail }
        }
        other => other,
    })
}

/// The client-certificate verifier: webpki chain building, validity and CRL checks as rustls's
/// `WebPkiClientVerifier` does them, with the EKU policy of the configuration.
#[derive(Debug)]
pub(crate) struct ClientVerifier {
    roots: Arc<RootCertStore>,
    hints: Vec<DistinguishedName>,
    crls: Vec<webpki::CertRevocationList<'static>>,
    algs: WebPkiSupportedAlgorithms,
    require_client_eku: bool,
}

impl ClientVerifier {
    pub(crate) fn new(
        roots: Arc<RootCertStore>,
        crls: Vec<webpki::CertRevocationList<'static>>,
        algs: WebPkiSupportedAlgorithms,
        require_client_eku: bool,
    ) -> ClientVerifier {
        ClientVerifier {
            hints: roots.subjects(),
            roots,
            crls,
            algs,
            require_client_eku,
        }
    }
}

/// The EKU rule applied to every certificate of the path during chain building.
enum ChainEku {
    /// webpki's client rule: an EKU extension, where present, must list clientAuth.
    ClientAuthIfPresent,
    /// EKU is not looked at (the extension is still parsed, so a malformed one is refused).
    Any,
}

impl ExtendedKeyUsageValidator for ChainEku {
    fn validate(&self, iter: KeyPurposeIdIter<'_, '_>) -> Result<(), webpki::Error> {
        match self {
            ChainEku::ClientAuthIfPresent => KeyUsage::client_auth().validate(iter),
            ChainEku::Any => {
                for id in iter {
                    id?;
                }
                Ok(())
            }
        }
    }
}

impl ClientCertVerifier for ClientVerifier {
    fn offer_client_auth(&self) -> bool {
        true
    }

    fn client_auth_mandatory(&self) -> bool {
        true
    }

    fn root_hint_subjects(&self) -> &[DistinguishedName] {
        &self.hints
    }

    fn verify_client_cert(
        &self,
        end_entity: &CertificateDer<'_>,
        intermediates: &[CertificateDer<'_>],
        now: UnixTime,
    ) -> Result<ClientCertVerified, rustls::Error> {
        let cert = webpki::EndEntityCert::try_from(end_entity).map_err(pki_error)?;
        let crl_refs: Vec<&webpki::CertRevocationList<'static>> = self.crls.iter().collect();
        let revocation = match webpki::RevocationOptionsBuilder::new(&crl_refs) {
            Ok(b) => Some(
                b.with_depth(webpki::RevocationCheckDepth::Chain)
                    .with_status_policy(webpki::UnknownStatusPolicy::Deny)
                    .with_expiration_policy(webpki::ExpirationPolicy::Ignore)
                    .build(),
            ),
            // No CRLs configured.
            Err(_) => None,
        };
        let eku = if self.require_client_eku {
            ChainEku::ClientAuthIfPresent
        } else {
            ChainEku::Any
        };
        cert.verify_for_usage(
            self.algs.all,
            &self.roots.roots,
            intermediates,
            now,
            eku,
            revocation,
            None,
        )
        .map_err(pki_error)?;
        if self.require_client_eku {
            leaf_has_client_auth(end_entity)?;
        }
        Ok(ClientCertVerified::assertion())
    }

    fn verify_tls12_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        rustls::crypto::verify_tls12_signature(message, cert, dss, &self.algs)
    }

    fn verify_tls13_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        rustls::crypto::verify_tls13_signature(message, cert, dss, &self.algs)
    }

    fn supported_verify_schemes(&self) -> Vec<SignatureScheme> {
        self.algs.supported_schemes()
    }
}

/// The leaf must carry an EKU extension (the chain check has already made sure that one
/// present lists clientAuth; this refuses a leaf without the extension).
fn leaf_has_client_auth(der: &CertificateDer<'_>) -> Result<(), rustls::Error> {
    let cert = x509_cert::Certificate::from_der(der.as_ref())
        .map_err(|_| rustls::Error::InvalidCertificate(CertificateError::BadEncoding))?;
    let eku_oid = x509_cert::der::oid::ObjectIdentifier::new_unwrap("2.5.29.37");
    let client_auth = x509_cert::der::oid::ObjectIdentifier::new_unwrap("1.3.6.1.5.5.7.3.2");
    let listed = cert
        .tbs_certificate
        .extensions
        .iter()
        .flatten()
        .filter(|e| e.extn_id == eku_oid)
        .filter_map(|e| x509_cert::ext::pkix::ExtendedKeyUsage::from_der(e.extn_value.as_bytes()).ok())
        .any(|eku| eku.0.contains(&client_auth));
    if listed {
        Ok(())
    } else {
        Err(rustls::Error::InvalidCertificate(
            CertificateError::InvalidPurposeContext {
                required: ExtendedKeyPurpose::ClientAuth,
                presented: Vec::new(),
            },
        ))
    }
}

/// webpki's verdict as the rustls error (and so the TLS alert) rustls itself would give.
fn pki_error(e: webpki::Error) -> rustls::Error {
    use webpki::Error as W;
    use CertificateError as C;
    #[allow(deprecated)]
    let c = match e {
        W::BadDer | W::BadDerTime | W::TrailingData(_) => C::BadEncoding,
        W::CertNotValidYet { time, not_before } => C::NotValidYetContext { time, not_before },
        W::CertExpired { time, not_after } => C::ExpiredContext { time, not_after },
        W::InvalidCertValidity => C::Expired,
        W::UnknownIssuer => C::UnknownIssuer,
        W::CertRevoked => C::Revoked,
        W::UnknownRevocationStatus => C::UnknownRevocationStatus,
        W::CrlExpired { time, next_update } => C::ExpiredRevocationListContext { time, next_update },
        W::InvalidSignatureForPublicKey => C::BadSignature,
        W::RequiredEkuNotFound | W::RequiredEkuNotFoundContext(_) => C::InvalidPurposeContext {
            required: ExtendedKeyPurpose::ClientAuth,
            presented: Vec::new(),
        },
        other => C::Other(rustls::OtherError(Arc::new(other))),
    };
    rustls::Error::InvalidCertificate(c)
}

/// What an operator should do about a failed handshake, when the client's certificate was the
/// reason: appended to the server's log line (rustls's own text names the defect, not the
/// setting that decides it).
pub(crate) fn refusal_hint(e: &std::io::Error) -> Option<&'static str> {
    use CertificateError as C;
    let e = e.get_ref()?.downcast_ref::<rustls::Error>()?;
    Some(match e {
        rustls::Error::NoCertificatesPresented => {
            "the client sent no certificate; mutual TLS is required (kmip.client_ca)"
        }
        rustls::Error::InvalidCertificate(c) => match c {
            C::Expired | C::ExpiredContext { .. } => "the client certificate has expired: issue a new one",
            C::NotValidYet | C::NotValidYetContext { .. } => {
                "the client certificate is not valid yet: check its notBefore and both machines' clocks"
            }
            C::Revoked => "the client certificate is revoked by a CRL in kmip.crls",
            C::UnknownRevocationStatus => {
                "no CRL in kmip.crls is from the client certificate's issuer: add that CA's CRL"
            }
            C::ExpiredRevocationList | C::ExpiredRevocationListContext { .. } => {
                "a CRL in kmip.crls has expired: fetch a fresh one"
            }
            C::UnknownIssuer | C::BadSignature => {
                "the client certificate was not issued by a CA in kmip.client_ca (or is forged)"
            }
            C::InvalidPurpose | C::InvalidPurposeContext { .. } => {
                "the client certificate lacks the clientAuth extended key usage (kmip.require_client_eku)"
            }
            _ => "the client certificate was refused by the checks of kmip.client_ca",
        },
        _ => return None,
    })
}

/// Subject (RFC 4514) and common name of a DER certificate.
pub fn certificate_identity(der: &[u8]) -> Result<(String, Option<String>), String> {
    let cert = x509_cert::Certificate::from_der(der).map_err(|e| format!("unparsable certificate: {e}"))?;
    let subject = &cert.tbs_certificate.subject;
    let cn_oid = x509_cert::der::oid::ObjectIdentifier::new_unwrap("2.5.4.3");
    // The most specific (last) CN, as RFC 4514 prints it first.
    let cn = subject
        .0
        .iter()
        .rev()
        .flat_map(|rdn| rdn.0.iter())
        .find(|atv| atv.oid == cn_oid)
        .and_then(|atv| directory_string(&atv.value));
    Ok((subject.to_string(), cn))
}

/// The text of a DirectoryString-like value (UTF8, Printable, IA5 or Teletex string).
pub(crate) fn directory_string(v: &x509_cert::der::Any) -> Option<String> {
    use x509_cert::der::asn1::{Ia5StringRef, PrintableStringRef, TeletexStringRef, Utf8StringRef};
    use x509_cert::der::{Tag, Tagged};
    Some(match v.tag() {
        Tag::Utf8String => Utf8StringRef::try_from(v).ok()?.as_str().to_string(),
        Tag::PrintableString => PrintableStringRef::try_from(v).ok()?.as_str().to_string(),
        Tag::Ia5String => Ia5StringRef::try_from(v).ok()?.as_str().to_string(),
        Tag::TeletexString => TeletexStringRef::try_from(v).ok()?.as_str().to_string(),
        _ => return None,
    })
}

/// A subject written in a configuration, in the form [`certificate_identity`] produces
/// (attribute names upper-cased, values escaped the same way), so the two compare as strings.
/// Spaces around the separators (`CN = a, O = b`, as `openssl x509 -subject` prints by
/// default) are dropped first.
pub fn canonical_subject(s: &str) -> Result<String, String> {
    use std::str::FromStr;
    let tidy = tidy_name(s);
    let name = x509_cert::name::Name::from_str(&tidy).map_err(|e| format!("not an RFC 4514 name: {e}"))?;
    // Round-trip through DER so the same Display code prints both sides.
    let der = name.to_der().map_err(|e| format!("not an RFC 4514 name: {e}"))?;
    let name = x509_cert::name::Name::from_der(&der).map_err(|e| format!("not an RFC 4514 name: {e}"))?;
    Ok(name.to_string())
}

/// Drops unescaped spaces next to `,`, `+` and `=`.
fn tidy_name(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    let mut escaped = false;
    let mut skip_spaces = false;
    for c in s.trim().chars() {
        if escaped {
            out.push(c);
            escaped = false;
            skip_spaces = false;
            continue;
        }
        match c {
            '\\' => {
                out.push(c);
                escaped = true;
                skip_spaces = false;
            }
            ',' | '+' | '=' => {
                // Spaces before the separator (unless escaped, which `out` keeps as "\ ").
                while out.ends_with(' ') && !out.ends_with("\\ ") {
                    out.pop();
                }
                out.push(c);
                skip_spaces = true;
            }
            ' ' if skip_spaces => {}
            _ => {
                out.push(c);
                skip_spaces = false;
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn configured_subjects_are_canonicalised() {
        assert_eq!(
            canonical_subject("cn=db1, o=Example").unwrap(),
            "CN=db1,O=Example"
        );
        assert_eq!(
            canonical_subject("CN = kmip-client , O = softhsm-rs dev").unwrap(),
            "CN=kmip-client,O=softhsm-rs dev"
        );
        assert_eq!(canonical_subject("CN=a\\,b,O=x").unwrap(), "CN=a\\,b,O=x");
        assert!(canonical_subject("nonsense").is_err());
    }

    #[test]
    fn provider_offers_only_aead_suites_with_forward_secrecy() {
        for s in &crypto_provider().cipher_suites {
            let name = format!("{:?}", s.suite());
            assert!(
                name.starts_with("TLS13_") || name.starts_with("TLS_ECDHE_"),
                "{name}"
            );
            assert!(
                name.contains("GCM") || name.contains("CHACHA20_POLY1305"),
                "{name}"
            );
        }
    }
}
