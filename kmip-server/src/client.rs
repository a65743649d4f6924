//! A small blocking KMIP-over-TLS client (no tokio): mutual TLS with rustls, and whole TTLV
//! messages framed by their 8-byte header. Used by the tests, the OASIS vector replayer and the
//! benchmark.
//!
//! Every socket operation is bounded by the connection's timeout, and a response is read only
//! after its announced length has been checked against `max_response`.

use crate::server::HEADER_LEN;
use crate::tls::{crypto_provider, parse_certificates, parse_private_key};
use rustls::pki_types::ServerName;
/// The TLS client configuration type [`client_config`] makes and [`KmipClient::connect_configured`] takes.
pub use rustls::ClientConfig;
use rustls::{AlertDescription, ClientConnection, ProtocolVersion, RootCertStore, StreamOwned};
use std::io::{self, Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::sync::Arc;
use std::time::Duration;

/// Default cap on a response's size, header included.
pub const DEFAULT_MAX_RESPONSE: u32 = 64 << 20;
/// Default timeout of connecting and of every read and write.
pub const DEFAULT_TIMEOUT: Duration = Duration::from_secs(30);
/// Upper bound on handshake round trips (each one either progresses or fails by timeout).
const MAX_HANDSHAKE_STEPS: usize = 32;

/// Which TLS versions the client offers.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum TlsVersions {
    /// TLS 1.3 and 1.2 (1.3 is chosen when the server has it).
    #[default]
    Any,
    Tls12Only,
    Tls13Only,
}

/// How to connect.
#[derive(Debug, Clone)]
pub struct ClientOptions<'a> {
    /// CA certificate(s) (PEM) the server certificate must chain to.
    pub ca_pem: &'a [u8],
    /// Client certificate chain (PEM); `None` connects without one.
    pub cert_pem: Option<&'a [u8]>,
    /// Client private key (PEM), with `cert_pem`.
    pub key_pem: Option<&'a [u8]>,
    /// Name the server certificate must carry; default: the address's IP.
    pub server_name: Option<&'a str>,
    pub versions: TlsVersions,
    /// Bound on connecting and on every read and write.
    pub timeout: Duration,
    /// Largest response accepted, header included.
    pub max_response: u32,
}

impl<'a> ClientOptions<'a> {
    /// Mutual TLS with a client certificate and key.
    pub fn new(ca_pem: &'a [u8], cert_pem: &'a [u8], key_pem: &'a [u8]) -> Self {
        ClientOptions {
            cert_pem: Some(cert_pem),
            key_pem: Some(key_pem),
            ..ClientOptions::anonymous(ca_pem)
        }
    }

    /// TLS without a client certificate (servers requiring one refuse it).
    pub fn anonymous(ca_pem: &'a [u8]) -> Self {
        ClientOptions {
            ca_pem,
            cert_pem: None,
            key_pem: None,
            server_name: None,
            versions: TlsVersions::Any,
            timeout: DEFAULT_TIMEOUT,
            max_response: DEFAULT_MAX_RESPONSE,
        }
    }
}

fn invalid(e: impl std::fmt::Display) -> io::Error {
    io::Error::new(io::ErrorKind::InvalidInput, e.to_string())
}

/// A connected client.
pub struct KmipClient {
    tls: StreamOwned<ClientConnection, TcpStream>,
    max_response: u32,
}

impl std::fmt::Debug for KmipClient {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("KmipClient")
            .field("peer", &self.tls.sock.peer_addr().ok())
            .field("version", &self.protocol_version())
            .finish()
    }
}

impl KmipClient {
    /// Connects with mutual TLS (the server name is the address's IP) and completes the
    /// handshake.
    pub fn connect(
        addr: SocketAddr,
        ca_pem: &[u8],
        client_cert_pem: &[u8],
        client_key_pem: &[u8],
    ) -> io::Result<KmipClient> {
        KmipClient::connect_with(addr, &ClientOptions::new(ca_pem, client_cert_pem, client_key_pem))
    }

    /// Connects as `opts` says and completes the handshake. With TLS 1.3 a server that
    /// refuses the client certificate says so after the handshake: the refusal then shows
    /// as an error of the first read.
    pub fn connect_with(addr: SocketAddr, opts: &ClientOptions<'_>) -> io::Result<KmipClient> {
        KmipClient::connect_configured(addr, client_config(opts)?, opts)
    }

    /// As [`KmipClient::connect_with`], with a TLS configuration made once by
    /// [`client_config`] and shared by many connections: certificates are parsed once, and
    /// later connections resume the TLS session when the server allows it, as a long-running
    /// client would. `opts` gives the server name, timeouts and response limit.
    pub fn connect_configured(
        addr: SocketAddr,
        config: Arc<ClientConfig>,
        opts: &ClientOptions<'_>,
    ) -> io::Result<KmipClient> {
        let name = match opts.server_name {
            Some(n) => ServerName::try_from(n.to_string()).map_err(invalid)?,
            None => ServerName::IpAddress(addr.ip().into()),
        };
        let conn = ClientConnection::new(config, name).map_err(invalid)?;
        let sock = TcpStream::connect_timeout(&addr, opts.timeout)?;
        sock.set_read_timeout(Some(opts.timeout))?;
        sock.set_write_timeout(Some(opts.timeout))?;
        sock.set_nodelay(true)?;
        let mut tls = StreamOwned::new(conn, sock);
        let mut steps = 0;
        while tls.conn.is_handshaking() {
            steps += 1;
            if steps > MAX_HANDSHAKE_STEPS {
                return Err(io::Error::new(
                    io::ErrorKind::TimedOut,
                    "the TLS handshake did not finish",
                ));
            }
            tls.conn.complete_io(&mut tls.sock)?;
        }
        Ok(KmipClient {
            tls,
            max_response: opts.max_response,
        })
    }

    /// Sends one whole message and reads one whole response.
    pub fn send_raw(&mut self, request: &[u8]) -> io::Result<Vec<u8>> {
        self.write_raw(request)?;
        self.read_message()
    }

    /// Writes bytes as they are (tests send partial or malformed messages with it).
    pub fn write_raw(&mut self, bytes: &[u8]) -> io::Result<()> {
        self.tls.write_all(bytes)?;
        self.tls.flush()
    }

    /// Reads one whole message: the header, then as many bytes as it announces (refused above
    /// `max_response`).
    pub fn read_message(&mut self) -> io::Result<Vec<u8>> {
        let mut header = [0u8; HEADER_LEN];
        self.tls.read_exact(&mut header)?;
        let len = u32::from_be_bytes([header[4], header[5], header[6], header[7]]);
        let total = HEADER_LEN as u64 + u64::from(len);
        if total > u64::from(self.max_response) {
            return Err(io::Error::new(
                io::ErrorKind::InvalidData,
                format!(
                    "the response claims {total} bytes, above the limit of {}",
                    self.max_response
                ),
            ));
        }
        // Bounded by the check above.
        let mut msg = vec![0u8; total as usize];
        msg[..HEADER_LEN].copy_from_slice(&header);
        self.tls.read_exact(&mut msg[HEADER_LEN..])?;
        Ok(msg)
    }

    /// Reads whatever arrives until the server closes; `Ok(n)` bytes were read before a clean
    /// close (tests use it to see that the server hangs up).
    pub fn read_to_close(&mut self, limit: usize) -> io::Result<usize> {
        let mut buf = [0u8; 4096];
        let mut total = 0;
        while total <= limit {
            match self.tls.read(&mut buf)? {
                0 => return Ok(total),
                n => total += n,
            }
        }
        Err(io::Error::other(format!(
            "more than {limit} bytes without a close"
        )))
    }

    /// The negotiated TLS version.
    pub fn protocol_version(&self) -> Option<ProtocolVersion> {
        self.tls.conn.protocol_version()
    }

    /// Whether the handshake resumed an earlier TLS session (no certificates exchanged).
    pub fn resumed(&self) -> bool {
        self.tls.conn.handshake_kind() == Some(rustls::HandshakeKind::Resumed)
    }

    /// Sends close_notify and closes the connection.
    pub fn close(mut self) {
        self.tls.conn.send_close_notify();
        let _ = self.tls.conn.complete_io(&mut self.tls.sock);
    }
}

/// The TLS alert a failed call received from the server, if that is why it failed.
pub fn tls_alert(err: &io::Error) -> Option<AlertDescription> {
    match err.get_ref()?.downcast_ref::<rustls::Error>()? {
        rustls::Error::AlertReceived(a) => Some(*a),
        _ => None,
    }
}

/// `config` with TLS session resumption turned off: every connection made with it performs a
/// full handshake.
pub fn without_resumption(config: &ClientConfig) -> Arc<ClientConfig> {
    let mut c = config.clone();
    c.resumption = rustls::client::Resumption::disabled();
    Arc::new(c)
}

/// The rustls client configuration `opts` describes (CA, client certificate, TLS versions).
pub fn client_config(opts: &ClientOptions<'_>) -> io::Result<Arc<ClientConfig>> {
    let mut roots = RootCertStore::empty();
    for ca in parse_certificates("CA", opts.ca_pem).map_err(invalid)? {
        roots.add(ca).map_err(invalid)?;
    }
    let versions: &[&'static rustls::SupportedProtocolVersion] = match opts.versions {
        TlsVersions::Any => &[&rustls::version::TLS13, &rustls::version::TLS12],
        TlsVersions::Tls12Only => &[&rustls::version::TLS12],
        TlsVersions::Tls13Only => &[&rustls::version::TLS13],
    };
    let builder = ClientConfig::builder_with_provider(crypto_provider())
        .with_protocol_versions(versions)
        .map_err(invalid)?
        .with_root_certificates(roots);
    let config = match (opts.cert_pem, opts.key_pem) {
        (Some(cert), Some(key)) => {
            let chain = parse_certificates("client certificate", cert).map_err(invalid)?;
            let key = parse_private_key("client key", key).map_err(invalid)?;
            builder.with_client_auth_cert(chain, key).map_err(invalid)?
        }
        (None, None) => builder.with_no_client_auth(),
        _ => {
            return Err(invalid(
                "a client certificate needs its key, and a key its certificate",
            ))
        }
    };
    Ok(Arc::new(config))
}
