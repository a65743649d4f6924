//! Streaming (multi-part) cryptography: Encrypt, Decrypt, Sign, Signature Verify, MAC, MAC
//! Verify and Hash with Init Indicator, Final Indicator and Correlation Value (KMIP 1.3/1.4
//! §4.29–§4.34 and 2.1 §6.1.11, §6.1.12, §6.1.23, §6.1.27, §6.1.28, §6.1.42, §6.1.43).
//!
//! The first request (Init Indicator true, Final Indicator not true) starts an operation in a
//! core session of its own and is answered with a server-chosen Correlation Value (16 random
//! bytes); requests carrying that value continue it, and Final Indicator true finishes it. The
//! streams live in a bounded table ([`Streams`]) in the server: each is bound to the client
//! that started it (its token and certificate subject — anyone else's request is answered as
//! if the value were unknown), the table holds at most [`StreamLimits::max_streams`] streams and
//! [`StreamLimits::max_per_client`] per client, and a stream idle for longer than
//! [`StreamLimits::idle`] is dropped with its core session at the next streaming request. A core
//! error ends the stream (the PKCS#11 rule: an error ends the operation).
//!
//! The core does the multi-part work: AES-CBC with PKCS#5 padding holds back the last block
//! (`CKM_AES_CBC_PAD`), AES-GCM encryption streams and its tag comes with the final answer,
//! AES-GCM decryption keeps the ciphertext until the tag (sent with any part, normally the
//! final one) has verified, so no unauthenticated plaintext leaves the server. Streams whose
//! core operation keeps its input (GCM decryption, RSA encryption, signatures over a digest)
//! are refused past [`StreamLimits::max_buffered`] bytes.

use super::crypto::{crypto_failure, validity, MAX_DATA};
use super::Ctx;
use crate::error::{KmipError, Result};
use crate::ttlv::enums::{ResultReason, ValidityIndicator};
use crate::ttlv::{Tag, Ttlv};
use cryptoki_sys as ck;
use softhsm::hsm::Hsm;
use softhsm::mechanism::Mechanism;
use softhsm::session::{Out, Output};
use std::collections::HashMap;
use std::sync::{Mutex, MutexGuard};
use std::time::{Duration, Instant};

/// Length of a Correlation Value the server makes: 128 random bits, so a value cannot be guessed.
pub const CORRELATION_LEN: usize = 16;

/// Bounds on the live streams (each holds a core session and its operation state).
#[derive(Debug, Clone, Copy)]
pub struct StreamLimits {
    /// Streams open at once on this server (stops one client pool exhausting core sessions).
    pub max_streams: usize,
    /// Streams open at once for one client (stops one client taking the whole table).
    pub max_per_client: usize,
    /// A stream not continued for this long is dropped (stops abandoned streams pinning memory).
    pub idle: Duration,
    /// Input a buffering stream (GCM decryption, RSA encryption) may hold in total (stops a
    /// stream of many small requests growing without bound).
    pub max_buffered: usize,
}

impl Default for StreamLimits {
    fn default() -> StreamLimits {
        StreamLimits {
            max_streams: 64,
            max_per_client: 8,
            idle: Duration::from_secs(300),
            max_buffered: MAX_DATA,
        }
    }
}

/// The operation a stream runs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    Encrypt,
    Decrypt,
    Sign,
    Verify,
    Mac,
    MacVerify,
    Hash,
}

/// Where a request stands in a stream.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Part {
    /// A whole operation in one request (no indicators, or both true).
    Single,
    /// Starts a stream.
    Init,
    /// Continues the stream its Correlation Value names; `last` finishes it.
    Next { last: bool },
}

/// Reads Init Indicator, Final Indicator and Correlation Value.
pub fn part(payload: &Ttlv) -> Result<Part> {
    let flag = |tag| payload.find(tag).and_then(Ttlv::as_bool).unwrap_or(false);
    let (init, last) = (flag(Tag::INIT_INDICATOR), flag(Tag::FINAL_INDICATOR));
    let has_cv = payload.find(Tag::CORRELATION_VALUE).is_some();
    match (has_cv, init, last) {
        (true, true, _) => Err(KmipError::new(
            ResultReason::INVALID_CORRELATION_VALUE,
            "a request with Init Indicator starts a stream and carries no Correlation Value",
        )),
        (true, false, last) => Ok(Part::Next { last }),
        (false, true, false) => Ok(Part::Init),
        (false, false, true) => Err(KmipError::new(
            ResultReason::INVALID_CORRELATION_VALUE,
            "Final Indicator needs the Correlation Value of the stream it ends",
        )),
        (false, _, _) => Ok(Part::Single),
    }
}

/// How a stream starts: what the operation's handler decided from the request and the key.
pub struct Start {
    pub kind: Kind,
    /// The key (none for Hash) and its Unique Identifier.
    pub key: Option<(u64, String)>,
    pub mech: Mechanism,
    /// A second verification mechanism, run beside the first in a session of its own and
    /// asked when the first says invalid (PSS with the signer's choice of salt length).
    pub alt: Option<Mechanism>,
    /// Items for the first answer besides Data (an IV the server made).
    pub extra: Vec<Ttlv>,
}

struct Stream {
    /// Who started it: token label and certificate subject.
    owner: String,
    /// The core session that holds the operation.
    session: u64,
    /// The session of the second verification mechanism, if any.
    alt: Option<u64>,
    kind: Kind,
    uid: Option<String>,
    /// AES-GCM tag length in bytes.
    gcm_tag: Option<usize>,
    /// Whether the core keeps this stream's input until the end.
    buffers: bool,
    /// Input taken so far.
    total: usize,
    /// The latest Signature Data / MAC Data (Verify) or Authenticated Encryption Tag (GCM
    /// decryption) a part carried; used by the final part.
    check: Option<Vec<u8>>,
    last_used: Instant,
    /// A request is working on it (a second one at the same time is refused).
    busy: bool,
}

impl Stream {
    fn close(&self, hsm: &Hsm) {
        let _ = hsm.close_session(self.session);
        if let Some(a) = self.alt {
            let _ = hsm.close_session(a);
        }
    }
}

/// The live streams of a server.
pub struct Streams {
    table: Mutex<HashMap<[u8; CORRELATION_LEN], Stream>>,
    pub limits: StreamLimits,
}

impl Default for Streams {
    fn default() -> Streams {
        Streams::new(StreamLimits::default())
    }
}

impl std::fmt::Debug for Streams {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Streams").field("limits", &self.limits).finish()
    }
}

fn unknown() -> KmipError {
    KmipError::new(
        ResultReason::INVALID_CORRELATION_VALUE,
        "the Correlation Value names no live stream of this client (unknown, finished or expired)",
    )
}

fn limit(what: &str) -> KmipError {
    KmipError::new(
        ResultReason::SERVER_LIMIT_EXCEEDED,
        format!("too many open streams ({what}); finish or abandon one first"),
    )
}

impl Streams {
    pub fn new(limits: StreamLimits) -> Streams {
        Streams {
            table: Mutex::new(HashMap::new()),
            limits,
        }
    }

    fn lock(&self) -> MutexGuard<'_, HashMap<[u8; CORRELATION_LEN], Stream>> {
        self.table.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// How many streams are open (all clients).
    pub fn open_count(&self) -> usize {
        self.lock().len()
    }

    /// Drops idle streams and closes their core sessions.
    fn sweep(&self, hsm: &Hsm, t: &mut HashMap<[u8; CORRELATION_LEN], Stream>) {
        let idle = self.limits.idle;
        t.retain(|_, s| {
            let keep = s.busy || s.last_used.elapsed() <= idle;
            if !keep {
                log::info!("a {:?} stream was idle too long and is dropped", s.kind);
                s.close(hsm);
            }
            keep
        });
    }

    fn check_room(&self, t: &HashMap<[u8; CORRELATION_LEN], Stream>, owner: &str) -> Result<()> {
        if t.len() >= self.limits.max_streams {
            return Err(limit("server"));
        }
        if t.values().filter(|s| s.owner == owner).count() >= self.limits.max_per_client {
            return Err(limit("this client"));
        }
        Ok(())
    }

    /// Ends every stream (the server is going away).
    pub fn close_all(&self, hsm: &Hsm) {
        for (_, s) in self.lock().drain() {
            s.close(hsm);
        }
    }
}

/// Data of one part: optional (a final part may carry none), bounded like a single request.
fn part_data(payload: &Ttlv) -> Result<&[u8]> {
    let d = payload
        .find(Tag::DATA)
        .and_then(Ttlv::as_bytes)
        .unwrap_or_default();
    if d.len() > MAX_DATA {
        return Err(KmipError::new(
            ResultReason::INVALID_FIELD,
            "Data is longer than the server accepts",
        ));
    }
    Ok(d)
}

fn data(o: Output) -> Vec<u8> {
    match o {
        Output::Data(d) => d,
        Output::Len(_) => Vec::new(),
    }
}

/// Whether the core operation for `mech` keeps all its input until the final part.
fn buffers(kind: Kind, mech: u64) -> bool {
    matches!(
        (kind, mech),
        (Kind::Decrypt, ck::CKM_AES_GCM)
            | (
                _,
                ck::CKM_RSA_PKCS
                    | ck::CKM_RSA_PKCS_OAEP
                    | ck::CKM_RSA_X_509
                    | ck::CKM_RSA_PKCS_PSS
                    | ck::CKM_ECDSA
            )
    )
}

/// Starts a stream: opens a core session on the client's token, initialises the operation
/// there, feeds the first part's Data and answers with the new Correlation Value.
pub fn start(ctx: &mut Ctx<'_>, s: Start, payload: &Ttlv) -> Result<Vec<Ttlv>> {
    let streams = &ctx.kmip.streams;
    let hsm = &*ctx.kmip.hsm;
    {
        let mut t = streams.lock();
        streams.sweep(hsm, &mut t);
        streams.check_room(&t, ctx.owner)?;
    }
    let session = ctx.kmip.open(ctx.token)?;
    let gcm_tag = match &s.mech.param {
        softhsm::mechanism::Param::Gcm { tag_bits, .. } => Some((*tag_bits / 8) as usize),
        _ => None,
    };
    let mut st = Stream {
        owner: ctx.owner.to_string(),
        session,
        alt: None,
        kind: s.kind,
        uid: s.key.as_ref().map(|(_, u)| u.clone()),
        gcm_tag,
        buffers: buffers(s.kind, s.mech.mech),
        total: 0,
        check: None,
        last_used: Instant::now(),
        busy: true,
    };
    let init = |session: u64, mech: &Mechanism| -> Result<()> {
        Ok(match (s.kind, &s.key) {
            (Kind::Encrypt | Kind::Decrypt, Some((h, _))) => {
                hsm.cipher_init(session, mech, *h, s.kind == Kind::Encrypt)
            }
            (Kind::Sign | Kind::Mac, Some((h, _))) => hsm.sign_init(session, mech, *h),
            (Kind::Verify | Kind::MacVerify, Some((h, _))) => hsm.verify_init(session, mech, *h),
            (Kind::Hash, _) => hsm.digest_init(session, mech),
            _ => Err(softhsm::Error::KeyHandleInvalid),
        }?)
    };
    let fed = init(session, &s.mech)
        .and_then(|()| match &s.alt {
            Some(alt) => {
                let a = ctx.kmip.open(ctx.token)?;
                st.alt = Some(a);
                init(a, alt)
            }
            None => Ok(()),
        })
        .and_then(|()| feed(ctx, &mut st, payload, false));
    let out = match fed {
        Ok(out) => out,
        Err(e) => {
            st.close(hsm);
            return Err(e);
        }
    };
    let mut cv = [0u8; CORRELATION_LEN];
    if softhsm::crypto::random(&mut cv).is_err() {
        st.close(hsm);
        return Err(KmipError::new(ResultReason::GENERAL_FAILURE, "no randomness"));
    }
    {
        let mut t = streams.lock();
        if let Err(e) = streams.check_room(&t, ctx.owner) {
            st.close(hsm);
            return Err(e);
        }
        st.busy = false;
        st.last_used = Instant::now();
        t.insert(cv, st);
    }
    log::info!("a {:?} stream starts", s.kind);
    let mut items: Vec<Ttlv> = s.key.iter().map(|(_, u)| ctx.uid_item(u)).collect();
    items.extend(out);
    items.extend(s.extra);
    items.push(Ttlv::bytes(Tag::CORRELATION_VALUE, cv.to_vec()));
    if let Some((_, u)) = s.key {
        ctx.placeholder = Some(u);
    }
    Ok(items)
}

/// Continues (and with `last`, finishes) the stream the request's Correlation Value names.
pub fn next(ctx: &mut Ctx<'_>, kind: Kind, payload: &Ttlv, last: bool) -> Result<Vec<Ttlv>> {
    let cv: [u8; CORRELATION_LEN] = payload
        .find(Tag::CORRELATION_VALUE)
        .and_then(Ttlv::as_bytes)
        .and_then(|b| b.try_into().ok())
        .ok_or_else(unknown)?;
    let streams = &ctx.kmip.streams;
    let hsm = &*ctx.kmip.hsm;
    let mut st = {
        let mut t = streams.lock();
        streams.sweep(hsm, &mut t);
        let s = t.get_mut(&cv).ok_or_else(unknown)?;
        if s.owner != ctx.owner {
            log::warn!("a client named a Correlation Value of another client's stream");
            return Err(unknown());
        }
        if s.busy {
            return Err(KmipError::illegal("the stream is working on another request"));
        }
        if s.kind != kind {
            return Err(KmipError::new(
                ResultReason::INVALID_CORRELATION_VALUE,
                format!("the Correlation Value names a {:?} stream, not {kind:?}", s.kind),
            ));
        }
        if let (Some(want), Some(got)) = (
            &s.uid,
            payload.find(Tag::UNIQUE_IDENTIFIER).and_then(Ttlv::as_text),
        ) {
            if want != got {
                return Err(KmipError::new(
                    ResultReason::INVALID_CORRELATION_VALUE,
                    "the Correlation Value names a stream under another key",
                ));
            }
        }
        s.busy = true;
        Stream {
            owner: String::new(),
            session: s.session,
            alt: s.alt,
            kind: s.kind,
            uid: s.uid.clone(),
            gcm_tag: s.gcm_tag,
            buffers: s.buffers,
            total: s.total,
            check: s.check.take(),
            last_used: s.last_used,
            busy: true,
        }
    };
    let r = feed(ctx, &mut st, payload, last);
    {
        let mut t = streams.lock();
        if r.is_err() || last {
            if let Some(s) = t.remove(&cv) {
                s.close(hsm);
            }
        } else if let Some(s) = t.get_mut(&cv) {
            s.total = st.total;
            s.check = st.check.take();
            s.busy = false;
            s.last_used = Instant::now();
        }
    }
    let out = r?;
    let mut items: Vec<Ttlv> = st.uid.iter().map(|u| ctx.uid_item(u)).collect();
    items.extend(out);
    if !last {
        items.push(Ttlv::bytes(Tag::CORRELATION_VALUE, cv.to_vec()));
    }
    if let Some(u) = st.uid {
        ctx.placeholder = Some(u);
    }
    Ok(items)
}

/// Runs one part in the stream's core session; returns the answer's items after the Unique
/// Identifier and before the Correlation Value.
fn feed(ctx: &Ctx<'_>, st: &mut Stream, payload: &Ttlv, last: bool) -> Result<Vec<Ttlv>> {
    let hsm = &*ctx.kmip.hsm;
    let input = part_data(payload)?;
    st.total = st.total.saturating_add(input.len());
    if st.buffers && st.total > ctx.kmip.streams.limits.max_buffered {
        return Err(KmipError::new(
            ResultReason::INVALID_FIELD,
            "the stream's data is longer than the server keeps for this operation",
        ));
    }
    let check_tag = match st.kind {
        Kind::Verify => Some(Tag::SIGNATURE_DATA),
        Kind::MacVerify => Some(Tag::MAC_DATA),
        Kind::Decrypt if st.gcm_tag.is_some() => Some(Tag::AUTHENTICATED_ENCRYPTION_TAG),
        _ => None,
    };
    if let Some(c) = check_tag.and_then(|t| payload.find(t)).and_then(Ttlv::as_bytes) {
        if c.len() > 16 * 1024 {
            return Err(KmipError::invalid("signature, MAC or tag length"));
        }
        st.check = Some(c.to_vec());
    }
    if let Some(uid) = &st.uid {
        if !input.is_empty() && matches!(st.kind, Kind::Encrypt | Kind::Decrypt | Kind::Sign | Kind::Mac) {
            let m = ctx.load(uid)?;
            super::limits::consume(ctx, &m, input.len())?;
        }
    }
    let s = st.session;
    let mut items = Vec::new();
    match st.kind {
        Kind::Encrypt | Kind::Decrypt => {
            let enc = st.kind == Kind::Encrypt;
            let mut out = Vec::new();
            if !input.is_empty() {
                out = data(
                    hsm.cipher_update(s, input, Out::Cap(input.len() + 64), enc)
                        .map_err(crypto_failure)?,
                );
            }
            let mut tag = None;
            if last {
                if let (false, Some(n)) = (enc, st.gcm_tag) {
                    // PKCS#11 takes the GCM tag as the end of the ciphertext.
                    let t = st
                        .check
                        .take()
                        .ok_or_else(|| KmipError::missing("Authenticated Encryption Tag"))?;
                    if t.len() != n {
                        return Err(KmipError::invalid("Authenticated Encryption Tag length"));
                    }
                    data(
                        hsm.cipher_update(s, &t, Out::Cap(64), enc)
                            .map_err(crypto_failure)?,
                    );
                }
                let cap = if st.buffers { st.total + 64 } else { 64 };
                out.extend(data(
                    hsm.cipher_final(s, Out::Cap(cap), enc).map_err(crypto_failure)?,
                ));
                if let (true, Some(n)) = (enc, st.gcm_tag) {
                    tag = Some(out.split_off(out.len().saturating_sub(n)));
                }
            }
            if !out.is_empty() {
                items.push(Ttlv::bytes(Tag::DATA, out));
            }
            if let Some(t) = tag {
                items.push(Ttlv::bytes(Tag::AUTHENTICATED_ENCRYPTION_TAG, t));
            }
        }
        Kind::Sign | Kind::Mac => {
            if !input.is_empty() {
                hsm.sign_update(s, input)?;
            }
            if last {
                let mut sig = data(hsm.sign_final(s, Out::Cap(2048))?);
                let tag = if st.kind == Kind::Sign {
                    if let Some(uid) = &st.uid {
                        sig = super::crypto::kmip_signature(&ctx.load(uid)?, sig);
                    }
                    Tag::SIGNATURE_DATA
                } else {
                    Tag::MAC_DATA
                };
                items.push(Ttlv::bytes(tag, sig));
            }
        }
        Kind::Verify | Kind::MacVerify => {
            if !input.is_empty() {
                hsm.verify_update(s, input)?;
                if let Some(a) = st.alt {
                    hsm.verify_update(a, input)?;
                }
            }
            if last {
                let what = if st.kind == Kind::Verify {
                    "Signature Data"
                } else {
                    "MAC Data"
                };
                let mut sig = st.check.take().ok_or_else(|| KmipError::missing(what))?;
                // A DER ECDSA-Sig-Value is verified as the core's r || s (a stream cannot
                // try both forms: the final call ends the operation).
                if let (Kind::Verify, Some(uid)) = (st.kind, &st.uid) {
                    if let Some(raw) = super::crypto::core_signature(&ctx.load(uid)?, &sig) {
                        sig = raw;
                    }
                }
                let mut v = validity(hsm.verify_final(s, &sig))?;
                if let (ValidityIndicator::INVALID, Some(a)) = (v, st.alt) {
                    v = validity(hsm.verify_final(a, &sig))?;
                }
                items.push(Ttlv::enumeration(Tag::VALIDITY_INDICATOR, v.0));
            }
        }
        Kind::Hash => {
            if !input.is_empty() {
                hsm.digest_update(s, input)?;
            }
            if last {
                items.push(Ttlv::bytes(Tag::DATA, data(hsm.digest_final(s, Out::Cap(64))?)));
            }
        }
    }
    Ok(items)
}
