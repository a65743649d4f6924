//! From request bytes to response bytes: decode, check the header, run each batch item
//! against the client's token, and encode the answer in the request's protocol version.

use crate::error::{KmipError, Result};
use crate::message::{self, Request, RequestItem, ResponseItem};
use crate::ops::{self, Ctx};
use crate::ttlv::binary::{self, DecodeError, Limits};
use crate::ttlv::enums::{BatchErrorContinuationOption, Operation, ResultReason};
use crate::ttlv::{Tag, Ttlv};
use softhsm::hsm::Hsm;
use std::collections::HashMap;
use std::sync::Arc;

/// The server's view of the keystore: one `Hsm` (the key manager) and the tokens it is logged
/// in to.
pub struct Kmip {
    pub hsm: Arc<Hsm>,
    /// Token label → slot, for the tokens the server logged in to.
    tokens: HashMap<String, u64>,
    /// Username → (password, token it is limited to) accepted in request headers; empty means
    /// none required.
    credentials: crate::login::Credentials,
    pub limits: Limits,
    /// Most Batch Items in one request (`kmip.max_batch_items`).
    pub max_batch_items: usize,
    /// Most Unique Identifiers one Locate returns (`kmip.max_locate_items`).
    pub max_locate_items: usize,
    /// Live streaming (multi-part) operations, by Correlation Value.
    pub streams: crate::ops::stream::Streams,
}

impl std::fmt::Debug for Kmip {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Kmip")
            .field("tokens", &self.tokens.keys())
            .finish()
    }
}

/// The answer to a batch refused as a whole: every item fails with `e`.
fn every_item_failed(items: &[RequestItem], e: &KmipError) -> Vec<ResponseItem> {
    items
        .iter()
        .map(|i| ResponseItem {
            operation: Some(i.operation),
            unique_id: i.unique_id.clone(),
            result: Err(e.clone()),
            undone: false,
        })
        .collect()
}

impl Kmip {
    /// A server over `hsm`, which must have been made key manager.
    pub fn new(hsm: Arc<Hsm>) -> Kmip {
        let defaults = softhsm::config::KmipConfig::default();
        Kmip {
            hsm,
            tokens: HashMap::new(),
            credentials: HashMap::new(),
            limits: Limits::default(),
            max_batch_items: defaults.max_batch_items,
            max_locate_items: defaults.max_locate_items,
            streams: crate::ops::stream::Streams::default(),
        }
    }

    /// Logs in to the token labelled `label` as its user (see
    /// [`crate::login::log_in_with_pin`]) and serves it. The PIN is not kept.
    pub fn login(&mut self, label: &str, pin: &[u8]) -> std::result::Result<(), crate::login::LoginError> {
        let t = crate::login::log_in_with_pin(&self.hsm, label, pin)?;
        self.add_token(&t.label, t.slot);
        Ok(())
    }

    /// Requires one of these username/password credentials in every request header.
    pub fn require_credentials(
        &mut self,
        creds: HashMap<String, (zeroize::Zeroizing<String>, Option<String>)>,
    ) {
        self.credentials = creds;
    }

    /// Serves the token labelled `label` in `slot`, which [`crate::login::log_in`] has
    /// logged in to.
    pub fn add_token(&mut self, label: &str, slot: u64) {
        self.tokens.insert(label.to_string(), slot);
    }

    /// Takes the request limits of `[kmip]`: message size, items, nesting depth, Batch Items
    /// and Locate results.
    pub fn apply_limits(&mut self, k: &softhsm::config::KmipConfig) {
        self.limits.max_message = k.max_message_size as usize;
        self.limits.max_items = k.max_message_items;
        self.limits.max_depth = k.max_nesting_depth;
        self.max_batch_items = k.max_batch_items;
        self.max_locate_items = k.max_locate_items;
    }

    /// Sets the bounds on streaming operations (before the server starts serving).
    pub fn set_stream_limits(&mut self, limits: crate::ops::stream::StreamLimits) {
        self.streams = crate::ops::stream::Streams::new(limits);
    }

    /// Answers one request message from a client mapped to token `token` (no certificate
    /// subject: streams are bound to the token alone).
    pub fn handle_bytes(&self, token: &str, request: &[u8]) -> Vec<u8> {
        self.handle_bytes_from(token, "", request)
    }

    /// Answers one request message from the client with certificate subject `subject`, mapped
    /// to token `token`.
    pub fn handle_bytes_from(&self, token: &str, subject: &str, request: &[u8]) -> Vec<u8> {
        // Batch Items are counted from their headers, before any tree is built.
        let batch = binary::children(request)
            .filter(|(tag, _)| *tag == Tag::BATCH_ITEM)
            .count();
        if let Err(e) = self.check_batch_count(batch) {
            log::warn!("request refused: {}", e.message);
            return binary::encode(&message::error_response(self.peek_version(request), e));
        }
        let msg = match binary::decode(request, &self.limits) {
            Ok(m) => m,
            Err(e) => {
                log::info!("undecodable request: {e}");
                let over = match e {
                    DecodeError::TooDeep { .. } => Some("kmip.max_nesting_depth"),
                    DecodeError::TooManyItems { .. } => Some("kmip.max_message_items"),
                    DecodeError::TooLarge { .. } => Some("kmip.max_message_size"),
                    _ => None,
                };
                let e = match over {
                    Some(key) => KmipError::new(
                        ResultReason::SERVER_LIMIT_EXCEEDED,
                        format!("the message exceeds a server limit: {e} ({key})"),
                    ),
                    None => KmipError::new(
                        ResultReason::INVALID_MESSAGE,
                        format!("the message does not decode: {e}"),
                    ),
                };
                return binary::encode(&message::error_response(self.peek_version(request), e));
            }
        };
        binary::encode(&self.handle_message_from(token, subject, &msg))
    }

    /// Answers one decoded request message.
    pub fn handle_message(&self, token: &str, msg: &Ttlv) -> Ttlv {
        self.handle_message_from(token, "", msg)
    }

    /// Answers one decoded request message from the client with certificate subject `subject`.
    pub fn handle_message_from(&self, token: &str, subject: &str, msg: &Ttlv) -> Ttlv {
        let req = match message::parse_request(msg) {
            Ok(r) => r,
            Err(e) => {
                log::info!("invalid request: {}", e.message);
                return message::error_response(message::claimed_version(msg), e);
            }
        };
        let v = req.header.version;
        if !v.is_supported() {
            log::info!("request in unsupported protocol version {v}");
            let e = KmipError::new(
                ResultReason::UNSUPPORTED_PROTOCOL_VERSION,
                format!("protocol version {v} is not supported"),
            );
            return message::error_response(None, e);
        }
        if let Err(e) = self.check_batch_count(req.items.len()) {
            log::warn!("request refused: {}", e.message);
            return message::error_response(Some(v), e);
        }
        if let Err(e) = self.authenticate(token, &req) {
            log::warn!("request refused: {}", e.message);
            return message::response(v, &every_item_failed(&req.items, &e));
        }
        // The owner of the streams this request starts: token and certificate subject.
        let owner = format!("{token}\u{0}{subject}");
        let items = self.run_batch(token, &owner, &req);
        let out = message::response(v, &items);
        match req.header.max_response_size {
            Some(max) if binary::encoded_len(&out) > max => {
                log::info!("response exceeds the client's Maximum Response Size of {max} bytes");
                let e = KmipError::new(
                    ResultReason::RESPONSE_TOO_LARGE,
                    format!("the response exceeds Maximum Response Size ({max} bytes)"),
                );
                let items: Vec<ResponseItem> = items
                    .into_iter()
                    .map(|i| ResponseItem {
                        result: Err(e.clone()),
                        ..i
                    })
                    .collect();
                message::response(v, &items)
            }
            _ => out,
        }
    }

    /// Server Limit Exceeded when a request has more than `max_batch_items` Batch Items.
    fn check_batch_count(&self, n: usize) -> Result<()> {
        if n <= self.max_batch_items {
            return Ok(());
        }
        Err(KmipError::new(
            ResultReason::SERVER_LIMIT_EXCEEDED,
            format!(
                "the request has {n} Batch Items, above the limit of {} (kmip.max_batch_items)",
                self.max_batch_items
            ),
        ))
    }

    /// The protocol version a request's header claims, read from the header alone (for
    /// answering a request refused before it is decoded).
    fn peek_version(&self, request: &[u8]) -> Option<crate::version::Version> {
        let (_, header) = binary::children(request).find(|(tag, _)| *tag == Tag::REQUEST_HEADER)?;
        let header = binary::decode(header, &self.limits).ok()?;
        message::claimed_version(&Ttlv::structure(Tag::REQUEST_MESSAGE, vec![header]))
    }

    fn authenticate(&self, token: &str, req: &Request) -> Result<()> {
        if self.credentials.is_empty() {
            return Ok(());
        }
        let ok = req.header.credentials.as_ref().is_some_and(|(u, p)| {
            self.credentials.get(u).is_some_and(|(want, only)| {
                constant_time_eq(want.as_bytes(), p.as_bytes())
                    && only.as_deref().map_or(true, |t| t == token)
            })
        });
        if ok {
            Ok(())
        } else {
            Err(KmipError::new(
                ResultReason::AUTHENTICATION_NOT_SUCCESSFUL,
                "the request's credentials are missing or wrong",
            ))
        }
    }

    fn run_batch(&self, token: &str, owner: &str, req: &Request) -> Vec<ResponseItem> {
        let v = req.header.version;
        let session = match self.open(token) {
            Ok(s) => Some(s),
            Err(e) => {
                log::error!("no session on token {token:?}: {e}");
                None
            }
        };
        let mut ctx = Ctx::new(self, token, owner, session.unwrap_or(0), v);
        let undo = req.header.continuation == BatchErrorContinuationOption::UNDO;
        if undo {
            if let Err(e) = ops::undo::check_batch(&req.items) {
                log::info!("batch refused: {}", e.message);
                if let Some(s) = session {
                    let _ = self.hsm.close_session(s);
                }
                return every_item_failed(&req.items, &e);
            }
        }
        if undo {
            ctx.deferred_destroys = Some(Vec::new());
        }
        let mut out = Vec::with_capacity(req.items.len());
        // Per item that ran, what it takes to undo it (Undo batches only).
        let mut compensations = Vec::new();
        let mut failed = false;
        for item in &req.items {
            if failed && req.header.continuation != BatchErrorContinuationOption::CONTINUE {
                break;
            }
            let result = if session.is_none() {
                Err(KmipError::new(
                    ResultReason::GENERAL_FAILURE,
                    "the server cannot open this client's token",
                ))
            } else if undo {
                let taken = ops::undo::before(&ctx, item.operation, &item.payload);
                let r = ops::run(&mut ctx, item.operation, &item.payload);
                if let Ok(items) = &r {
                    compensations.push(ops::undo::after(item.operation, taken, items));
                }
                r
            } else {
                ops::run(&mut ctx, item.operation, &item.payload)
            };
            if let Err(e) = &result {
                log::info!("{:?} failed: {}", item.operation, e);
                failed = true;
            }
            out.push(ResponseItem {
                operation: Some(item.operation),
                unique_id: item.unique_id.clone(),
                result,
                undone: false,
            });
        }
        if let (false, Some(d)) = (failed, ctx.deferred_destroys.take()) {
            if let Err(e) = ops::undo::finish_deferred(&ctx, d) {
                log::error!("a Destroy deferred to the end of its batch failed: {e}");
            }
        }
        if undo && failed {
            // Latest first, so each compensation meets the state its item left.
            let ran = compensations.len();
            for (i, c) in compensations.iter().enumerate().rev() {
                match ops::undo::undo(&ctx, c) {
                    Ok(()) => out[i].undone = true,
                    Err(e) => log::error!("undo of batch item {} of {ran} failed: {e}", i + 1),
                }
            }
        }
        if let Some(s) = session {
            let _ = self.hsm.close_session(s);
        }
        out
    }

    /// A fresh session on the client's token (the login of [`Kmip::login`] covers it).
    pub(crate) fn open(&self, token: &str) -> Result<u64> {
        use cryptoki_sys as ck;
        let slot = self
            .tokens
            .get(token)
            .ok_or_else(|| KmipError::permission("this client is mapped to no token"))?;
        Ok(self
            .hsm
            .open_session(*slot, ck::CKF_SERIAL_SESSION | ck::CKF_RW_SESSION)?)
    }
}

impl crate::server::Handler for Kmip {
    fn handle(&self, client: &crate::server::ClientId, request: &[u8]) -> Vec<u8> {
        self.handle_bytes_from(&client.token, &client.subject, request)
    }

    /// A message whose first item is not a Request Message: answered Invalid Message.
    fn reject(&self, _client: &crate::server::ClientId, why: &str) -> Option<Vec<u8>> {
        Some(binary::encode(&message::error_response(
            None,
            KmipError::new(
                ResultReason::INVALID_MESSAGE,
                format!("not a KMIP request: {why}"),
            ),
        )))
    }
}

impl Drop for Kmip {
    /// Streams still open hold core sessions: close them.
    fn drop(&mut self) {
        self.streams.close_all(&self.hsm);
    }
}

fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    if a.len() != b.len() {
        return false;
    }
    a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

/// Operations the server answers, for Query and for Operation Not Supported.
pub fn supported_operations() -> Vec<Operation> {
    ops::OPERATIONS.iter().map(|(op, _)| *op).collect()
}
