//! A development CA made with rcgen: what the server needs to run out of the box, never for
//! production (bring your own CA there; see `certs/README.md`).
//!
//! [`ensure_dev_ca`] makes, in one directory, whatever of these is missing:
//!
//! | file | what |
//! | --- | --- |
//! | `ca.pem`, `ca.key` | a self-signed CA, "CN=softhsm-rs development CA,O=softhsm-rs dev" |
//! | `server.pem`, `server.key` | the server: SAN 127.0.0.1, ::1, localhost; serverAuth EKU |
//! | `client.pem`, `client.key` | a client: CN=kmip-client; clientAuth EKU |
//!
//! All keys are ECDSA P-256. Existing files are never overwritten (a certificate without its
//! key, or the reverse, is an error to resolve by hand). Private keys are created with mode
//! 0600, the directory with 0700.
//!
//! [`Ca`] issues further certificates (other clients, and the odd ones the tests need: expired,
//! without clientAuth, revoked with a CRL).

use rcgen::{
    BasicConstraints, CertificateParams, CertificateRevocationListParams, DistinguishedName, DnType,
    ExtendedKeyUsagePurpose, IsCa, Issuer, KeyIdMethod, KeyPair, KeyUsagePurpose, RevocationReason,
    RevokedCertParams, SerialNumber,
};
use std::io::Write;
use std::path::{Path, PathBuf};
use std::time::{Duration, SystemTime};
use x509_cert::der::{Decode, Encode};
use zeroize::Zeroizing;

pub const CA_CERT_FILE: &str = "ca.pem";
pub const CA_KEY_FILE: &str = "ca.key";
pub const SERVER_CERT_FILE: &str = "server.pem";
pub const SERVER_KEY_FILE: &str = "server.key";
pub const CLIENT_CERT_FILE: &str = "client.pem";
pub const CLIENT_KEY_FILE: &str = "client.key";

/// Organization of every certificate the development CA makes.
pub const ORGANIZATION: &str = "softhsm-rs dev";
/// Common name of the development CA.
pub const CA_COMMON_NAME: &str = "softhsm-rs development CA";
/// Common name of the development server certificate.
pub const SERVER_COMMON_NAME: &str = "kmip-server";
/// Common name of the development client certificate.
pub const CLIENT_COMMON_NAME: &str = "kmip-client";

const DAY: Duration = Duration::from_secs(86_400);
/// Validity of the development CA.
const CA_VALIDITY: Duration = Duration::from_secs(10 * 365 * 86_400);
/// Validity of certificates it issues.
const LEAF_VALIDITY: Duration = Duration::from_secs(2 * 365 * 86_400);
/// Certificates start this far in the past, for clocks a little behind.
const BACKDATE: Duration = Duration::from_secs(3600);

/// Why the development CA could not be made or used. Never carries key bytes.
#[derive(Debug)]
pub enum DevCaError {
    Io {
        path: PathBuf,
        err: std::io::Error,
    },
    /// Only one half of a certificate/key pair exists.
    HalfPair {
        present: PathBuf,
        missing: PathBuf,
    },
    /// rcgen or the certificate parser failed.
    Cert(String),
}

impl std::fmt::Display for DevCaError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            DevCaError::Io { path, err } => write!(f, "{}: {err}", path.display()),
            DevCaError::HalfPair { present, missing } => write!(
                f,
                "{} exists but {} does not; nothing is overwritten: restore the missing file, or \
                 remove the other to have both made again",
                present.display(),
                missing.display()
            ),
            DevCaError::Cert(m) => write!(f, "development CA: {m}"),
        }
    }
}

impl std::error::Error for DevCaError {}

fn cert_err(what: &str) -> impl Fn(rcgen::Error) -> DevCaError + '_ {
    move |e| DevCaError::Cert(format!("{what}: {e}"))
}

/// The extended key usage of an issued certificate.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Eku {
    ClientAuth,
    ServerAuth,
    /// No EKU extension at all.
    Absent,
}

/// What to put in an issued certificate.
#[derive(Debug, Clone)]
pub struct LeafSpec {
    pub common_name: String,
    /// Default: [`ORGANIZATION`].
    pub organization: Option<String>,
    /// DNS names and IP addresses (as text).
    pub subject_alt_names: Vec<String>,
    pub eku: Eku,
    pub not_before: SystemTime,
    pub not_after: SystemTime,
}

impl LeafSpec {
    /// A client certificate (clientAuth), valid from now.
    pub fn client(common_name: &str) -> LeafSpec {
        let now = SystemTime::now();
        LeafSpec {
            common_name: common_name.to_string(),
            organization: Some(ORGANIZATION.to_string()),
            subject_alt_names: Vec::new(),
            eku: Eku::ClientAuth,
            not_before: now - BACKDATE,
            not_after: now + LEAF_VALIDITY,
        }
    }

    /// The server certificate for local use: 127.0.0.1, ::1 and localhost (serverAuth).
    pub fn local_server() -> LeafSpec {
        LeafSpec {
            subject_alt_names: vec!["127.0.0.1".into(), "::1".into(), "localhost".into()],
            eku: Eku::ServerAuth,
            ..LeafSpec::client(SERVER_COMMON_NAME)
        }
    }

    /// Makes the certificate valid only in the past (expired yesterday).
    pub fn expired(mut self) -> LeafSpec {
        let now = SystemTime::now();
        self.not_before = now - 30 * DAY;
        self.not_after = now - DAY;
        self
    }
}

/// An issued certificate with its key.
pub struct Leaf {
    pub cert_pem: String,
    pub key_pem: Zeroizing<String>,
    /// The serial number, big-endian (for CRLs).
    pub serial: Vec<u8>,
}

impl std::fmt::Debug for Leaf {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Leaf")
            .field("serial", &hex::encode(&self.serial))
            .finish_non_exhaustive()
    }
}

/// A CA that can issue certificates and CRLs.
pub struct Ca {
    issuer: Issuer<'static, KeyPair>,
    cert_pem: String,
}

impl std::fmt::Debug for Ca {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Ca").finish_non_exhaustive()
    }
}

fn name(common_name: &str, organization: Option<&str>) -> DistinguishedName {
    let mut dn = DistinguishedName::new();
    // Encoded in this order, so RFC 4514 prints "CN=...,O=...".
    if let Some(o) = organization {
        dn.push(DnType::OrganizationName, o);
    }
    dn.push(DnType::CommonName, common_name);
    dn
}

fn ca_params(common_name: &str, organization: Option<&str>) -> CertificateParams {
    let now = SystemTime::now();
    let mut p = CertificateParams::default();
    p.distinguished_name = name(common_name, organization);
    p.is_ca = IsCa::Ca(BasicConstraints::Constrained(0));
    p.key_usages = vec![
        KeyUsagePurpose::KeyCertSign,
        KeyUsagePurpose::CrlSign,
        KeyUsagePurpose::DigitalSignature,
    ];
    p.not_before = (now - BACKDATE).into();
    p.not_after = (now + CA_VALIDITY).into();
    p.key_identifier_method = KeyIdMethod::Sha256;
    p
}

/// A random positive serial number of 16 bytes.
fn random_serial() -> Result<Vec<u8>, DevCaError> {
    let mut s = vec![0u8; 16];
    aws_lc_rs::rand::fill(&mut s).map_err(|_| DevCaError::Cert("the random generator failed".into()))?;
    s[0] = (s[0] & 0x7f) | 0x01;
    Ok(s)
}

fn new_key() -> Result<KeyPair, DevCaError> {
    KeyPair::generate_for(&rcgen::PKCS_ECDSA_P256_SHA256).map_err(cert_err("key generation"))
}

fn pem_to_der(pem: &str, what: &str) -> Result<Vec<u8>, DevCaError> {
    use rustls_pki_types::pem::PemObject;
    rustls_pki_types::CertificateDer::from_pem_slice(pem.as_bytes())
        .map(|c| c.to_vec())
        .map_err(|e| DevCaError::Cert(format!("{what} is not a PEM certificate: {e}")))
}

impl Ca {
    /// A new self-signed CA with a fresh P-256 key.
    pub fn generate(common_name: &str, organization: Option<&str>) -> Result<Ca, DevCaError> {
        let key = new_key()?;
        let mut params = ca_params(common_name, organization);
        params.serial_number = Some(SerialNumber::from_slice(&random_serial()?));
        let cert = params.self_signed(&key).map_err(cert_err("CA certificate"))?;
        Ok(Ca {
            cert_pem: cert.pem(),
            issuer: Issuer::new(params, key),
        })
    }

    /// A CA this module made earlier, from its certificate and key. Refused when the key does
    /// not belong to the certificate or the certificate's subject is not one [`Ca::generate`]
    /// makes (certificates issued by it would not chain).
    pub fn load(cert_pem: &str, key_pem: &str) -> Result<Ca, DevCaError> {
        let key = KeyPair::from_pem(key_pem).map_err(cert_err("CA key"))?;
        let der = pem_to_der(cert_pem, "the CA certificate")?;
        let cert = x509_cert::Certificate::from_der(&der)
            .map_err(|e| DevCaError::Cert(format!("the CA certificate cannot be parsed: {e}")))?;
        let spki = cert
            .tbs_certificate
            .subject_public_key_info
            .to_der()
            .map_err(|e| DevCaError::Cert(e.to_string()))?;
        if spki != rcgen::PublicKeyData::subject_public_key_info(&key) {
            return Err(DevCaError::Cert(
                "the CA key does not belong to the CA certificate".into(),
            ));
        }
        let attr = |oid: &str| {
            let oid = x509_cert::der::oid::ObjectIdentifier::new_unwrap(oid);
            cert.tbs_certificate
                .subject
                .0
                .iter()
                .flat_map(|rdn| rdn.0.iter())
                .find(|a| a.oid == oid)
                .and_then(|a| x509_cert::der::asn1::Utf8StringRef::try_from(&a.value).ok())
                .map(|s| s.as_str().to_string())
        };
        let cn = attr("2.5.4.3").unwrap_or_default();
        let org = attr("2.5.4.10");
        let params = ca_params(&cn, org.as_deref());
        // Re-encode the subject as certificates issued now will carry it, and compare bytes.
        let probe = params.self_signed(&key).map_err(cert_err("CA check"))?;
        let probe = x509_cert::Certificate::from_der(probe.der())
            .map_err(|e| DevCaError::Cert(format!("CA check: {e}")))?;
        let same = probe.tbs_certificate.subject.to_der().ok() == cert.tbs_certificate.subject.to_der().ok();
        if !same {
            return Err(DevCaError::Cert(format!(
                "the CA {:?} was not made by kmip-server; issue certificates with the tool that made it",
                cert.tbs_certificate.subject.to_string()
            )));
        }
        Ok(Ca {
            issuer: Issuer::new(params, key),
            cert_pem: cert_pem.to_string(),
        })
    }

    /// The CA certificate (PEM).
    pub fn cert_pem(&self) -> &str {
        &self.cert_pem
    }

    /// The CA private key (PKCS#8 PEM).
    pub fn key_pem(&self) -> Zeroizing<String> {
        Zeroizing::new(self.issuer.key().serialize_pem())
    }

    /// Issues a certificate with a fresh P-256 key.
    pub fn issue(&self, spec: &LeafSpec) -> Result<Leaf, DevCaError> {
        let key = new_key()?;
        let mut p = CertificateParams::new(spec.subject_alt_names.clone()).map_err(cert_err("names"))?;
        p.distinguished_name = name(&spec.common_name, spec.organization.as_deref());
        p.is_ca = IsCa::ExplicitNoCa;
        p.key_usages = vec![KeyUsagePurpose::DigitalSignature];
        p.extended_key_usages = match spec.eku {
            Eku::ClientAuth => vec![ExtendedKeyUsagePurpose::ClientAuth],
            Eku::ServerAuth => vec![ExtendedKeyUsagePurpose::ServerAuth],
            Eku::Absent => Vec::new(),
        };
        p.not_before = spec.not_before.into();
        p.not_after = spec.not_after.into();
        let serial = random_serial()?;
        p.serial_number = Some(SerialNumber::from_slice(&serial));
        p.use_authority_key_identifier_extension = true;
        let cert = p.signed_by(&key, &self.issuer).map_err(cert_err("certificate"))?;
        Ok(Leaf {
            cert_pem: cert.pem(),
            key_pem: Zeroizing::new(key.serialize_pem()),
            serial,
        })
    }

    /// A CRL (PEM) revoking the certificates with these serial numbers, valid for 30 days.
    pub fn crl(&self, revoked_serials: &[&[u8]]) -> Result<String, DevCaError> {
        let now = SystemTime::now();
        let params = CertificateRevocationListParams {
            this_update: (now - BACKDATE).into(),
            next_update: (now + 30 * DAY).into(),
            crl_number: SerialNumber::from(1u64),
            issuing_distribution_point: None,
            revoked_certs: revoked_serials
                .iter()
                .map(|s| RevokedCertParams {
                    serial_number: SerialNumber::from_slice(s),
                    revocation_time: (now - BACKDATE).into(),
                    reason_code: Some(RevocationReason::KeyCompromise),
                    invalidity_date: None,
                })
                .collect(),
            key_identifier_method: KeyIdMethod::Sha256,
        };
        params
            .signed_by(&self.issuer)
            .and_then(|c| c.pem())
            .map_err(cert_err("CRL"))
    }
}

/// The files of a development CA directory.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DevCaPaths {
    pub dir: PathBuf,
    pub ca_cert: PathBuf,
    pub ca_key: PathBuf,
    pub server_cert: PathBuf,
    pub server_key: PathBuf,
    pub client_cert: PathBuf,
    pub client_key: PathBuf,
}

impl DevCaPaths {
    pub fn new(dir: &Path) -> DevCaPaths {
        DevCaPaths {
            dir: dir.to_path_buf(),
            ca_cert: dir.join(CA_CERT_FILE),
            ca_key: dir.join(CA_KEY_FILE),
            server_cert: dir.join(SERVER_CERT_FILE),
            server_key: dir.join(SERVER_KEY_FILE),
            client_cert: dir.join(CLIENT_CERT_FILE),
            client_key: dir.join(CLIENT_KEY_FILE),
        }
    }
}

/// What [`ensure_dev_ca`] found and did.
#[derive(Debug, Clone)]
pub struct DevCa {
    pub paths: DevCaPaths,
    /// The files made by this call (empty when all existed).
    pub created: Vec<PathBuf>,
}

fn io_err(path: &Path) -> impl Fn(std::io::Error) -> DevCaError + '_ {
    move |err| DevCaError::Io {
        path: path.to_path_buf(),
        err,
    }
}

/// Writes a new file; never replaces one. Keys get mode 0600.
fn write_new(path: &Path, data: &str, private: bool) -> Result<(), DevCaError> {
    let mut o = std::fs::OpenOptions::new();
    o.write(true).create_new(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        o.mode(if private { 0o600 } else { 0o644 });
    }
    #[cfg(not(unix))]
    let _ = private;
    let mut f = o.open(path).map_err(io_err(path))?;
    f.write_all(data.as_bytes()).map_err(io_err(path))?;
    f.sync_all().map_err(io_err(path))
}

/// Whether both halves of a pair exist (false: neither; a half pair is an error).
fn pair_exists(cert: &Path, key: &Path) -> Result<bool, DevCaError> {
    match (cert.exists(), key.exists()) {
        (true, true) => Ok(true),
        (false, false) => Ok(false),
        (true, false) => Err(DevCaError::HalfPair {
            present: cert.to_path_buf(),
            missing: key.to_path_buf(),
        }),
        (false, true) => Err(DevCaError::HalfPair {
            present: key.to_path_buf(),
            missing: cert.to_path_buf(),
        }),
    }
}

fn read(path: &Path) -> Result<Zeroizing<String>, DevCaError> {
    std::fs::read_to_string(path)
        .map(Zeroizing::new)
        .map_err(io_err(path))
}

/// Makes whatever is missing of the development CA in `dir` (see the module docs).
pub fn ensure_dev_ca(dir: &Path) -> Result<DevCa, DevCaError> {
    let paths = DevCaPaths::new(dir);
    let mut created = Vec::new();
    if !dir.exists() {
        let mut b = std::fs::DirBuilder::new();
        b.recursive(true);
        #[cfg(unix)]
        {
            use std::os::unix::fs::DirBuilderExt;
            b.mode(0o700);
        }
        b.create(dir).map_err(io_err(dir))?;
    }
    let have_ca = pair_exists(&paths.ca_cert, &paths.ca_key)?;
    let have_server = pair_exists(&paths.server_cert, &paths.server_key)?;
    let have_client = pair_exists(&paths.client_cert, &paths.client_key)?;
    if have_ca && have_server && have_client {
        return Ok(DevCa { paths, created });
    }
    let ca = if have_ca {
        Ca::load(&read(&paths.ca_cert)?, &read(&paths.ca_key)?).map_err(|e| match e {
            DevCaError::Cert(m) => DevCaError::Cert(format!("{}: {m}", paths.ca_cert.display())),
            other => other,
        })?
    } else {
        let ca = Ca::generate(CA_COMMON_NAME, Some(ORGANIZATION))?;
        write_new(&paths.ca_key, &ca.key_pem(), true)?;
        write_new(&paths.ca_cert, ca.cert_pem(), false)?;
        created.extend([paths.ca_cert.clone(), paths.ca_key.clone()]);
        ca
    };
    for (have, spec, cert, key) in [
        (
            have_server,
            LeafSpec::local_server(),
            &paths.server_cert,
            &paths.server_key,
        ),
        (
            have_client,
            LeafSpec::client(CLIENT_COMMON_NAME),
            &paths.client_cert,
            &paths.client_key,
        ),
    ] {
        if have {
            continue;
        }
        let leaf = ca.issue(&spec)?;
        write_new(key, &leaf.key_pem, true)?;
        write_new(cert, &leaf.cert_pem, false)?;
        created.extend([cert.clone(), key.clone()]);
    }
    Ok(DevCa { paths, created })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn makes_what_is_missing_and_never_overwrites() {
        let dir = tempfile::tempdir().unwrap();
        let d = dir.path().join("certs");
        let first = ensure_dev_ca(&d).unwrap();
        assert_eq!(first.created.len(), 6);
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            for k in [
                &first.paths.ca_key,
                &first.paths.server_key,
                &first.paths.client_key,
            ] {
                let mode = std::fs::metadata(k).unwrap().permissions().mode() & 0o777;
                assert_eq!(mode, 0o600, "{}", k.display());
            }
        }
        let ca_before = std::fs::read(&first.paths.ca_cert).unwrap();
        let again = ensure_dev_ca(&d).unwrap();
        assert!(again.created.is_empty());

        // A lost client pair is made again by the same CA; the CA is kept.
        std::fs::remove_file(&first.paths.client_cert).unwrap();
        std::fs::remove_file(&first.paths.client_key).unwrap();
        let third = ensure_dev_ca(&d).unwrap();
        assert_eq!(
            third.created,
            vec![first.paths.client_cert.clone(), first.paths.client_key.clone()]
        );
        assert_eq!(std::fs::read(&first.paths.ca_cert).unwrap(), ca_before);

        // Half a pair is left alone and reported.
        std::fs::remove_file(&first.paths.server_key).unwrap();
        let err = ensure_dev_ca(&d).unwrap_err();
        assert!(matches!(err, DevCaError::HalfPair { .. }), "{err}");
    }

    #[test]
    fn issued_certificates_name_their_subject() {
        let ca = Ca::generate("Test CA", Some(ORGANIZATION)).unwrap();
        let leaf = ca.issue(&LeafSpec::client("app-1")).unwrap();
        let der = pem_to_der(&leaf.cert_pem, "leaf").unwrap();
        let (subject, cn) = crate::tls::certificate_identity(&der).unwrap();
        assert_eq!(subject, "CN=app-1,O=softhsm-rs dev");
        assert_eq!(cn.as_deref(), Some("app-1"));
        assert!(!format!("{leaf:?}").contains("PRIVATE"));
        // A CA reloaded from its files issues certificates that chain the same way.
        let again = Ca::load(ca.cert_pem(), &ca.key_pem()).unwrap();
        assert!(again.issue(&LeafSpec::client("x")).is_ok());
        let other = Ca::generate("Other", None).unwrap();
        assert!(Ca::load(ca.cert_pem(), &other.key_pem()).is_err());
        assert!(ca.crl(&[&leaf.serial]).unwrap().contains("BEGIN X509 CRL"));
    }
}
