//! The KMIP listener: TLS connections, message framing, limits and graceful shutdown.
//!
//! Shape (after mini-redis): [`run`] owns the listening sockets and a connection semaphore and
//! spawns one task per connection; each task does the TLS handshake (bounded by
//! `handshake_timeout`), maps the verified client certificate to a [`ClientId`], then serves
//! one request at a time: it waits at most `idle_timeout` for a request's first byte, then
//! gives the whole request (the rest of its 8-byte TTLV header, checked, and its body) one
//! deadline, `message_timeout`, so a client trickling a byte at a time is closed once that
//! runs out however steadily it sends; then it hands the whole message to the [`Handler`] on a blocking thread
//! and writes the answer back.
//!
//! Framing checks, all before anything is allocated for the body:
//! - the first item must be a Structure (type 0x01), else the connection is closed;
//! - header plus body must fit `max_message_size`, else the connection is closed at once
//!   (a length claiming 2 GiB costs nothing);
//! - a Structure that is not a RequestMessage (tag 0x420078) is read and passed to
//!   [`Handler::reject`], which answers or closes.
//!
//! Over the connection limit, a new connection is accepted and closed at once, with a
//! (rate-limited) warning: the client learns immediately instead of hanging in the kernel's
//! backlog, and the operator sees it in the log.
//!
//! Shutdown: when the `shutdown` future completes, listening stops, connections waiting for a
//! request are closed, requests in flight run to completion and their answers are written;
//! after `shutdown_timeout` whatever is left is aborted.
//!
//! Logging: connection open/close at debug; handshake failures at info; refusals (limits,
//! framing, unmapped clients) at warn; always with the peer address and the reason, never
//! with payload bytes.

use crate::clients::ClientMap;
use crate::tls::certificate_identity;
use rustls::ServerConfig;
use std::future::Future;
use std::io;
use std::net::SocketAddr;
use std::sync::Arc;
use std::task::Poll;
use std::time::{Duration, Instant};
use tokio::io::{AsyncRead, AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::{watch, OwnedSemaphorePermit, Semaphore};
use tokio::task::JoinSet;
use tokio_rustls::TlsAcceptor;
use zeroize::Zeroizing;

/// Length of a TTLV item header: tag (3), type (1), length (4).
pub const HEADER_LEN: usize = 8;
/// Tag of the RequestMessage structure.
pub const REQUEST_MESSAGE_TAG: u32 = 0x42_0078;
/// TTLV type byte of a Structure.
pub const STRUCTURE_TYPE: u8 = 0x01;

/// How long a closing connection waits for its TLS close_notify to be sent.
const CLOSE_NOTIFY_WAIT: Duration = Duration::from_secs(1);
/// Pause after a failed `accept` (e.g. out of file descriptors) before trying again.
const ACCEPT_RETRY_PAUSE: Duration = Duration::from_millis(100);
/// At most one "over the connection limit" warning per this interval (a flood must not
/// flood the log too).
const OVER_LIMIT_LOG_INTERVAL: Duration = Duration::from_secs(1);

/// Who is on the other end of a connection, from its verified client certificate.
#[derive(Debug, Clone)]
pub struct ClientId {
    /// The certificate's subject in RFC 4514 form, e.g. `CN=client,O=softhsm-rs dev`.
    pub subject: String,
    /// The subject's common name, if it has one.
    pub common_name: Option<String>,
    /// Label of the token this client maps to, from the configuration.
    pub token: String,
}

/// The request dispatcher, seen from the listener.
pub trait Handler: Send + Sync + 'static {
    /// Answers one whole request message (binary TTLV, header included). Runs on a blocking
    /// thread. An empty answer closes the connection without a reply.
    fn handle(&self, client: &ClientId, request: &[u8]) -> Vec<u8>;
    /// Answer for a message whose 8-byte header is acceptable but whose body could not be used
    /// (e.g. first item is not a RequestMessage structure): return an error response, or None
    /// to close. Runs on a blocking thread.
    fn reject(&self, client: &ClientId, why: &str) -> Option<Vec<u8>>;
}

/// The listener's limits.
#[derive(Debug, Clone)]
pub struct Limits {
    /// Connections served at once (TLS handshakes included).
    pub max_connections: usize,
    /// The TLS handshake must finish within this.
    pub handshake_timeout: Duration,
    /// Longest wait for the next request's first byte (and for an answer to be taken by the
    /// client).
    pub idle_timeout: Duration,
    /// From a request's first byte, the whole request must arrive within this: one deadline
    /// for the message, not one per read (a byte-a-second trickle does not extend it).
    pub message_timeout: Duration,
    /// Largest message accepted, header included.
    pub max_message_size: u32,
    /// On shutdown, how long requests in flight may take to finish.
    pub shutdown_timeout: Duration,
}

impl Default for Limits {
    fn default() -> Self {
        Limits::from_config(&softhsm::config::KmipConfig::default())
    }
}

impl Limits {
    /// The limits `[kmip]` sets.
    pub fn from_config(k: &softhsm::config::KmipConfig) -> Limits {
        Limits {
            max_connections: k.max_connections,
            handshake_timeout: Duration::from_secs(k.handshake_timeout_secs),
            idle_timeout: Duration::from_secs(k.idle_timeout_secs),
            message_timeout: Duration::from_secs(k.message_timeout_secs),
            max_message_size: k.max_message_size,
            shutdown_timeout: Duration::from_secs(k.shutdown_timeout_secs),
        }
    }
}

/// What the listener needs besides the sockets, the TLS configuration and the handler.
#[derive(Debug, Clone)]
pub struct Settings {
    pub limits: Limits,
    /// Verified client → token.
    pub clients: Arc<ClientMap>,
}

/// What [`run`] did, returned once it has shut down.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct RunReport {
    /// Connections accepted and served (to whatever end).
    pub connections: u64,
    /// Connections closed at once because `max_connections` were open.
    pub refused_over_limit: u64,
    /// Connections still busy when `shutdown_timeout` ran out, and aborted.
    pub aborted_at_shutdown: usize,
}

/// What an acceptable 8-byte header announces.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Frame {
    /// A RequestMessage structure with a body of `body_len` bytes.
    Request { body_len: u32 },
    /// Some other structure, with a body of `body_len` bytes.
    Other { tag: u32, body_len: u32 },
}

impl Frame {
    pub fn body_len(&self) -> u32 {
        match *self {
            Frame::Request { body_len } | Frame::Other { body_len, .. } => body_len,
        }
    }
}

/// Why a header closes the connection.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FrameError {
    /// The first item is not a Structure.
    NotStructure { tag: u32, item_type: u8 },
    /// Header plus body would exceed the limit.
    TooLarge { len: u64, max: u32 },
}

impl std::fmt::Display for FrameError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            FrameError::NotStructure { tag, item_type } => write!(
                f,
                "the message's first item (tag 0x{tag:06X}) has type 0x{item_type:02X}, not Structure: \
                 not KMIP TTLV"
            ),
            FrameError::TooLarge { len, max } => write!(
                f,
                "the message claims {len} bytes, above the limit of {max} (kmip.max_message_size)"
            ),
        }
    }
}

/// Checks a message header against the framing rules (see the module docs).
pub fn check_header(h: &[u8; HEADER_LEN], max_message_size: u32) -> Result<Frame, FrameError> {
    let tag = u32::from_be_bytes([0, h[0], h[1], h[2]]);
    let item_type = h[3];
    let body_len = u32::from_be_bytes([h[4], h[5], h[6], h[7]]);
    if item_type != STRUCTURE_TYPE {
        return Err(FrameError::NotStructure { tag, item_type });
    }
    let len = HEADER_LEN as u64 + u64::from(body_len);
    if len > u64::from(max_message_size) {
        return Err(FrameError::TooLarge {
            len,
            max: max_message_size,
        });
    }
    Ok(if tag == REQUEST_MESSAGE_TAG {
        Frame::Request { body_len }
    } else {
        Frame::Other { tag, body_len }
    })
}

/// Serves `listener` until `shutdown` completes; see the module docs. Needs tokio's
/// multi-thread runtime: requests run on its workers through `block_in_place`.
pub async fn run(
    listener: TcpListener,
    tls: Arc<ServerConfig>,
    handler: Arc<dyn Handler>,
    settings: Settings,
    shutdown: impl Future,
) -> RunReport {
    run_all(vec![listener], tls, handler, settings, shutdown).await
}

/// [`run`] over several listening sockets sharing one connection limit.
pub async fn run_all(
    listeners: Vec<TcpListener>,
    tls: Arc<ServerConfig>,
    handler: Arc<dyn Handler>,
    settings: Settings,
    shutdown: impl Future,
) -> RunReport {
    let limits = settings.limits.clone();
    let ctx = Arc::new(Conn {
        acceptor: TlsAcceptor::from(tls),
        handler,
        limits: settings.limits,
        clients: settings.clients,
    });
    let permits = Arc::new(Semaphore::new(limits.max_connections));
    let (stop_tx, stop_rx) = watch::channel(false);
    let mut tasks = JoinSet::new();
    let mut report = RunReport::default();
    let mut over_limit = OverLimitLog::default();
    let mut next = 0usize;
    tokio::pin!(shutdown);
    loop {
        tokio::select! {
            _ = &mut shutdown => break,
            Some(done) = tasks.join_next(), if !tasks.is_empty() => {
                if let Err(e) = done {
                    if e.is_panic() {
                        log::error!("a connection task panicked; the connection was dropped");
                    }
                }
            }
            accepted = accept_any(&listeners, &mut next) => match accepted {
                Ok((stream, peer)) => match permits.clone().try_acquire_owned() {
                    Ok(permit) => {
                        report.connections += 1;
                        let _ = stream.set_nodelay(true);
                        tasks.spawn(connection(stream, peer, ctx.clone(), stop_rx.clone(), permit));
                    }
                    Err(_) => {
                        report.refused_over_limit += 1;
                        over_limit.refused(peer, limits.max_connections);
                        drop(stream);
                    }
                },
                Err(e) => {
                    log::warn!("accepting a connection failed: {e}; retrying");
                    tokio::time::sleep(ACCEPT_RETRY_PAUSE).await;
                }
            },
        }
    }
    drop(listeners);
    log::info!(
        "shutting down: stopped listening; {} connection(s) open, waiting up to {:?} for requests in flight",
        tasks.len(),
        limits.shutdown_timeout
    );
    let _ = stop_tx.send(true);
    let deadline = tokio::time::sleep(limits.shutdown_timeout);
    tokio::pin!(deadline);
    loop {
        tokio::select! {
            _ = &mut deadline => {
                report.aborted_at_shutdown = tasks.len();
                log::warn!(
                    "shutdown: {} connection(s) still busy after {:?}; aborting them",
                    tasks.len(),
                    limits.shutdown_timeout
                );
                tasks.shutdown().await;
                break;
            }
            done = tasks.join_next() => if done.is_none() { break },
        }
    }
    log::info!(
        "stopped: {} connection(s) served, {} refused over the limit",
        report.connections,
        report.refused_over_limit
    );
    report
}

/// The next connection on any of `listeners`, starting the scan after the last one that
/// produced a connection so that no listener starves the others.
fn accept_any<'a>(
    listeners: &'a [TcpListener],
    next: &'a mut usize,
) -> impl Future<Output = io::Result<(TcpStream, SocketAddr)>> + 'a {
    std::future::poll_fn(move |cx| {
        let n = listeners.len();
        for i in 0..n {
            let idx = (*next + i) % n;
            if let Poll::Ready(r) = listeners[idx].poll_accept(cx) {
                *next = (idx + 1) % n;
                return Poll::Ready(r);
            }
        }
        Poll::Pending
    })
}

/// Rate limit for the over-the-limit warning.
#[derive(Default)]
struct OverLimitLog {
    last: Option<Instant>,
    suppressed: u64,
}

impl OverLimitLog {
    fn refused(&mut self, peer: SocketAddr, max: usize) {
        let now = Instant::now();
        if self
            .last
            .is_some_and(|t| now.duration_since(t) < OVER_LIMIT_LOG_INTERVAL)
        {
            self.suppressed += 1;
            return;
        }
        let also = match std::mem::take(&mut self.suppressed) {
            0 => String::new(),
            n => format!(" ({n} more refused since the last warning)"),
        };
        log::warn!(
            "{peer}: refused: {max} connections already open (kmip.max_connections); closed at once{also}"
        );
        self.last = Some(now);
    }
}

/// What every connection task shares.
struct Conn {
    acceptor: TlsAcceptor,
    handler: Arc<dyn Handler>,
    limits: Limits,
    clients: Arc<ClientMap>,
}

type Tls = tokio_rustls::server::TlsStream<TcpStream>;

/// One connection, from handshake to close. Holds its permit until it ends.
async fn connection(
    stream: TcpStream,
    peer: SocketAddr,
    ctx: Arc<Conn>,
    mut stop: watch::Receiver<bool>,
    _permit: OwnedSemaphorePermit,
) {
    log::debug!("{peer}: connection opened");
    let why = match handshake(stream, peer, &ctx, &mut stop).await {
        Some((mut tls, client)) => {
            let why = match client {
                Some(client) => serve(&mut tls, peer, &ctx, &client, &mut stop).await,
                None => "client refused",
            };
            let _ = tokio::time::timeout(CLOSE_NOTIFY_WAIT, tls.shutdown()).await;
            why
        }
        None => "no TLS session",
    };
    log::debug!("{peer}: connection closed ({why})");
}

/// The TLS handshake and the client's identity. `None`: no TLS session; a `None` client: the
/// session is up but the client is refused. Either way the reason has been logged.
async fn handshake(
    stream: TcpStream,
    peer: SocketAddr,
    ctx: &Conn,
    stop: &mut watch::Receiver<bool>,
) -> Option<(Tls, Option<ClientId>)> {
    let limit = ctx.limits.handshake_timeout;
    let tls = tokio::select! {
        _ = stop.wait_for(|s| *s) => {
            log::debug!("{peer}: handshake abandoned: the server is shutting down");
            return None;
        }
        r = tokio::time::timeout(limit, ctx.acceptor.accept(stream)) => match r {
            Err(_) => {
                log::info!("{peer}: TLS handshake not finished within {limit:?}; closed");
                return None;
            }
            Ok(Err(e)) => {
                // A refused client certificate is worth a warning and a hint; anything else
                // (a port scanner, plain HTTP, a client giving up) stays informational.
                match crate::tls::refusal_hint(&e) {
                    Some(hint) => log::warn!("{peer}: TLS handshake failed: {e}; refused: {hint}"),
                    None => log::info!("{peer}: TLS handshake failed: {e}"),
                }
                return None;
            }
            Ok(Ok(tls)) => tls,
        },
    };
    let client = identify(&tls, peer, ctx);
    Some((tls, client))
}

/// The verified client's identity and token; `None` (logged) when it has none.
fn identify(tls: &Tls, peer: SocketAddr, ctx: &Conn) -> Option<ClientId> {
    let (_, session) = tls.get_ref();
    let version = session.protocol_version();
    let suite = session.negotiated_cipher_suite().map(|s| s.suite());
    let Some(leaf) = session.peer_certificates().and_then(|c| c.first()) else {
        // The verifier makes certificates mandatory; this is a safety net.
        log::warn!("{peer}: refused: no client certificate after the handshake");
        return None;
    };
    let (subject, common_name) = match certificate_identity(leaf.as_ref()) {
        Ok(id) => id,
        Err(e) => {
            log::warn!("{peer}: refused: cannot read the client certificate's subject: {e}");
            return None;
        }
    };
    let Some(token) = ctx.clients.token_for(&subject, common_name.as_deref()) else {
        log::warn!(
            "{peer}: refused: client {subject:?} is verified but maps to no token; add a \
             [[kmip.clients]] rule for it or set kmip.default_token"
        );
        return None;
    };
    log::debug!("{peer}: {version:?} {suite:?}, client {subject:?} uses token {token:?}");
    Some(ClientId {
        subject,
        common_name,
        token: token.to_string(),
    })
}

/// Requests, one at a time, until the client leaves, a limit is hit or the server stops.
/// Returns why the connection ends (for the debug close line; refusals are logged here).
async fn serve(
    tls: &mut Tls,
    peer: SocketAddr,
    ctx: &Conn,
    client: &ClientId,
    stop: &mut watch::Receiver<bool>,
) -> &'static str {
    let idle = ctx.limits.idle_timeout;
    let within = ctx.limits.message_timeout;
    loop {
        let mut header = [0u8; HEADER_LEN];
        // Waiting for a request is the only point at which shutdown interrupts a connection.
        let first = tokio::select! {
            biased;
            _ = stop.wait_for(|s| *s) => return "the server is shutting down",
            r = tokio::time::timeout(idle, tls.read(&mut header)) => r,
        };
        let got = match first {
            Err(_) => return "idle timeout",
            Ok(Ok(0)) => return "closed by the client",
            Ok(Ok(n)) => n,
            // A client that leaves without close_notify, between messages: a plain close.
            Ok(Err(e)) if e.kind() == io::ErrorKind::UnexpectedEof => return "closed by the client",
            Ok(Err(e)) => {
                log::info!("{peer}: reading a request failed: {e}");
                return "read error";
            }
        };
        // One deadline for the whole message from its first byte (header rest and body).
        let deadline = tokio::time::Instant::now() + within;
        let slow = |what: &str| {
            log::info!(
                "{peer}: {what} did not arrive within {within:?} of its first byte \
                 (kmip.message_timeout_secs); closed"
            );
            "slow message"
        };
        match tokio::time::timeout_at(deadline, read_header_from(tls, &mut header, got)).await {
            Err(_) => return slow("a message header"),
            Ok(Ok(_)) => {}
            Ok(Err(e)) => {
                log::info!("{peer}: reading a request failed: {e}");
                return "read error";
            }
        }
        let frame = match check_header(&header, ctx.limits.max_message_size) {
            Ok(f) => f,
            Err(e) => {
                log::warn!("{peer}: refused: {e}; closed");
                return "refused message";
            }
        };
        // Bounded by `check_header`: at most max_message_size bytes. Requests and answers may
        // carry key material or passwords: both buffers are wiped when dropped.
        let total = HEADER_LEN + frame.body_len() as usize;
        let mut message = Zeroizing::new(Vec::new());
        if message.try_reserve_exact(total).is_err() {
            log::warn!("{peer}: cannot allocate {total} bytes for a message; closed");
            return "out of memory";
        }
        message.extend_from_slice(&header);
        message.resize(total, 0);
        match tokio::time::timeout_at(deadline, tls.read_exact(&mut message[HEADER_LEN..])).await {
            Err(_) => return slow(&format!("the rest of a {total}-byte message")),
            Ok(Err(e)) => {
                log::info!("{peer}: reading a {total}-byte message failed: {e}");
                return "read error";
            }
            Ok(Ok(_)) => {}
        }
        let why = match frame {
            Frame::Request { .. } => None,
            Frame::Other { tag, .. } => Some(format!(
                "the message is a structure with tag 0x{tag:06X}, not a RequestMessage (0x{REQUEST_MESSAGE_TAG:06X})"
            )),
        };
        // The handler runs on this worker thread (`block_in_place` hands the worker's other
        // tasks to another thread while it runs): most requests take microseconds, and handing
        // each to the blocking pool cost two thread switches per request. A panic is caught
        // here and closes only this connection.
        let answer = tokio::task::block_in_place(|| {
            std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
                match why.as_deref() {
                    None => Some(ctx.handler.handle(client, &message)),
                    Some(why) => ctx.handler.reject(client, why),
                }
                .map(Zeroizing::new)
            }))
        });
        let answer = match answer {
            Err(_) => {
                log::error!("{peer}: the request handler panicked; closed");
                return "handler panic";
            }
            Ok(None) => {
                log::warn!(
                    "{peer}: refused: {}; closed",
                    why.as_deref().unwrap_or("rejected")
                );
                return "refused message";
            }
            Ok(Some(a)) if a.is_empty() => return "closed by the handler",
            Ok(Some(a)) => a,
        };
        let write = async {
            tls.write_all(&answer).await?;
            tls.flush().await
        };
        match tokio::time::timeout(idle, write).await {
            Err(_) => {
                log::info!(
                    "{peer}: the client did not take a {}-byte answer within {idle:?}; closed",
                    answer.len()
                );
                return "slow reader";
            }
            Ok(Err(e)) => {
                log::info!("{peer}: writing the answer failed: {e}");
                return "write error";
            }
            Ok(Ok(())) => {}
        }
    }
}

/// Reads a whole header. `Ok(false)`: the client closed the connection between messages.
#[cfg(test)]
async fn read_header<R: AsyncRead + Unpin>(r: &mut R, buf: &mut [u8; HEADER_LEN]) -> io::Result<bool> {
    read_header_from(r, buf, 0).await
}

/// Reads the rest of a header whose first `got` bytes are in `buf`. `Ok(false)`: the client
/// closed the connection before the first byte.
async fn read_header_from<R: AsyncRead + Unpin>(
    r: &mut R,
    buf: &mut [u8; HEADER_LEN],
    mut got: usize,
) -> io::Result<bool> {
    // Each pass reads at least one byte or ends: at most HEADER_LEN passes.
    while got < HEADER_LEN {
        match r.read(&mut buf[got..]).await {
            Ok(0) if got == 0 => return Ok(false),
            Ok(0) => {
                return Err(io::Error::new(
                    io::ErrorKind::UnexpectedEof,
                    format!("the connection closed {got} bytes into a message header"),
                ))
            }
            Ok(n) => got += n,
            // A client that leaves without close_notify, between messages: a plain close.
            Err(e) if got == 0 && e.kind() == io::ErrorKind::UnexpectedEof => return Ok(false),
            Err(e) => return Err(e),
        }
    }
    Ok(true)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn header(tag: u32, ty: u8, len: u32) -> [u8; 8] {
        let t = tag.to_be_bytes();
        let l = len.to_be_bytes();
        [t[1], t[2], t[3], ty, l[0], l[1], l[2], l[3]]
    }

    #[test]
    fn headers_are_checked_before_any_allocation() {
        let max = 1024;
        assert_eq!(
            check_header(&header(0x42_0078, 1, 16), max),
            Ok(Frame::Request { body_len: 16 })
        );
        assert_eq!(
            check_header(&header(0x42_0078, 1, 1016), max),
            Ok(Frame::Request { body_len: 1016 })
        );
        assert_eq!(
            check_header(&header(0x42_0078, 1, 1017), max),
            Err(FrameError::TooLarge { len: 1025, max })
        );
        assert_eq!(
            check_header(&header(0x42_0078, 1, 0x8000_0000), max),
            Err(FrameError::TooLarge {
                len: 0x8000_0008,
                max
            })
        );
        assert_eq!(
            check_header(&header(0x42_0078, 1, u32::MAX), u32::MAX),
            Err(FrameError::TooLarge {
                len: u64::from(u32::MAX) + 8,
                max: u32::MAX
            })
        );
        assert_eq!(
            check_header(&header(0x42_007B, 1, 8), max),
            Ok(Frame::Other {
                tag: 0x42_007B,
                body_len: 8
            })
        );
        assert_eq!(
            check_header(&header(0x42_0078, 7, 8), max),
            Err(FrameError::NotStructure {
                tag: 0x42_0078,
                item_type: 7
            })
        );
        // "GET / HT": not a structure.
        assert!(matches!(
            check_header(b"GET / HT", max),
            Err(FrameError::NotStructure { .. })
        ));
    }

    #[tokio::test]
    async fn headers_are_read_whole_or_reported() {
        let mut whole: &[u8] = &[1, 2, 3, 4, 5, 6, 7, 8, 9];
        let mut buf = [0u8; 8];
        assert!(read_header(&mut whole, &mut buf).await.unwrap());
        assert_eq!(buf, [1, 2, 3, 4, 5, 6, 7, 8]);
        let mut empty: &[u8] = &[];
        assert!(!read_header(&mut empty, &mut buf).await.unwrap());
        let mut short: &[u8] = &[1, 2, 3];
        assert_eq!(
            read_header(&mut short, &mut buf).await.unwrap_err().kind(),
            io::ErrorKind::UnexpectedEof
        );
    }
}
