//! Request and response messages (KMIP 1.4 §6–§7, KMIP 2.1 §8–§9): the header, the batch, and
//! the response built in the protocol version of the request.

use crate::error::{KmipError, Result};
use crate::ttlv::enums::{BatchErrorContinuationOption, Operation, ResultReason, ResultStatus};
use crate::ttlv::{Tag, Ttlv};
use crate::version::{Version, V1_0};

/// What the request header says.
#[derive(Clone)]
pub struct Header {
    pub version: Version,
    pub max_response_size: Option<usize>,
    pub continuation: BatchErrorContinuationOption,
    /// Username and password from an `Authentication` credential, when one was sent (the
    /// password wiped when dropped, never printed).
    pub credentials: Option<(String, zeroize::Zeroizing<String>)>,
    pub client_correlation: Option<String>,
}

impl std::fmt::Debug for Header {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Header")
            .field("version", &self.version)
            .field("max_response_size", &self.max_response_size)
            .field("continuation", &self.continuation)
            .field("username", &self.credentials.as_ref().map(|(u, _)| u))
            .field("client_correlation", &self.client_correlation)
            .finish()
    }
}

/// One batch item of a request.
#[derive(Debug, Clone)]
pub struct RequestItem {
    pub operation: Operation,
    pub unique_id: Option<Vec<u8>>,
    pub payload: Ttlv,
}

/// A decoded request.
#[derive(Debug, Clone)]
pub struct Request {
    pub header: Header,
    pub items: Vec<RequestItem>,
}

/// The outcome of one batch item.
#[derive(Debug, Clone)]
pub struct ResponseItem {
    pub operation: Option<Operation>,
    pub unique_id: Option<Vec<u8>>,
    pub result: std::result::Result<Vec<Ttlv>, KmipError>,
    /// The item succeeded and was then undone (Batch Error Continuation Option Undo).
    pub undone: bool,
}

/// The version a Protocol Version structure names.
pub fn version_of(pv: &Ttlv) -> Option<Version> {
    Some(Version::new(
        pv.find(Tag::PROTOCOL_VERSION_MAJOR)?.as_int()?,
        pv.find(Tag::PROTOCOL_VERSION_MINOR)?.as_int()?,
    ))
}

/// The protocol version a message claims, if it is readable at all (used to answer even a
/// request that fails to parse in the client's own version).
pub fn claimed_version(msg: &Ttlv) -> Option<Version> {
    let header = msg.find(Tag::REQUEST_HEADER)?;
    version_of(header.find(Tag::PROTOCOL_VERSION)?)
}

/// Parses a Request Message. Errors are Invalid Message with the reason in the text.
pub fn parse_request(msg: &Ttlv) -> Result<Request> {
    let bad = |what: &str| KmipError::new(ResultReason::INVALID_MESSAGE, what.to_string());
    if msg.tag != Tag::REQUEST_MESSAGE || !matches!(msg.value, crate::ttlv::Value::Structure(_)) {
        return Err(bad("the message is not a Request Message structure"));
    }
    let h = msg
        .find(Tag::REQUEST_HEADER)
        .ok_or_else(|| bad("the request has no Request Header"))?;
    let version = h
        .find(Tag::PROTOCOL_VERSION)
        .and_then(version_of)
        .ok_or_else(|| bad("the header has no Protocol Version"))?;
    let max_response_size = match h.find(Tag::MAXIMUM_RESPONSE_SIZE) {
        Some(t) => Some(
            t.as_int()
                .filter(|v| *v > 0)
                .ok_or_else(|| bad("Maximum Response Size is not a positive Integer"))? as usize,
        ),
        None => None,
    };
    let continuation = match h.find(Tag::BATCH_ERROR_CONTINUATION_OPTION) {
        Some(t) => BatchErrorContinuationOption(
            t.as_enum()
                .ok_or_else(|| bad("Batch Error Continuation Option is not an Enumeration"))?,
        ),
        None => BatchErrorContinuationOption::STOP,
    };
    let credentials = h.find(Tag::AUTHENTICATION).and_then(|a| {
        let cv = a.find(Tag::CREDENTIAL)?.find(Tag::CREDENTIAL_VALUE)?;
        Some((
            cv.find(Tag::USERNAME)?.as_text()?.to_string(),
            zeroize::Zeroizing::new(
                cv.find(Tag::PASSWORD)
                    .and_then(Ttlv::as_text)
                    .unwrap_or("")
                    .to_string(),
            ),
        ))
    });
    let client_correlation = h
        .find(Tag::CLIENT_CORRELATION_VALUE)
        .and_then(Ttlv::as_text)
        .map(str::to_string);
    let count = h
        .find(Tag::BATCH_COUNT)
        .and_then(Ttlv::as_int)
        .ok_or_else(|| bad("the header has no Batch Count"))?;
    let mut items = Vec::new();
    for bi in msg.find_all(Tag::BATCH_ITEM) {
        let operation = bi
            .find(Tag::OPERATION)
            .and_then(Ttlv::as_enum)
            .ok_or_else(|| bad("a batch item has no Operation"))?;
        let unique_id = bi
            .find(Tag::UNIQUE_BATCH_ITEM_ID)
            .and_then(Ttlv::as_bytes)
            .map(<[u8]>::to_vec);
        let payload = bi
            .find(Tag::REQUEST_PAYLOAD)
            .cloned()
            .unwrap_or_else(|| Ttlv::structure(Tag::REQUEST_PAYLOAD, Vec::new()));
        items.push(RequestItem {
            operation: Operation(operation),
            unique_id,
            payload,
        });
    }
    if items.is_empty() || usize::try_from(count).ok() != Some(items.len()) {
        return Err(bad("Batch Count does not match the batch items"));
    }
    Ok(Request {
        header: Header {
            version,
            max_response_size,
            continuation,
            credentials,
            client_correlation,
        },
        items,
    })
}

fn now() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_secs() as i64)
}

/// The Protocol Version structure of `v`.
pub fn protocol_version(v: Version) -> Ttlv {
    Ttlv::structure(
        Tag::PROTOCOL_VERSION,
        vec![
            Ttlv::int(Tag::PROTOCOL_VERSION_MAJOR, v.major),
            Ttlv::int(Tag::PROTOCOL_VERSION_MINOR, v.minor),
        ],
    )
}

/// A Request Message in version `v` with one batch item per (operation, payload): what clients
/// (the tests, the benchmark) send.
pub fn request(v: Version, items: Vec<(Operation, Vec<Ttlv>)>) -> Ttlv {
    let header = Ttlv::structure(
        Tag::REQUEST_HEADER,
        vec![
            protocol_version(v),
            Ttlv::int(Tag::BATCH_COUNT, items.len() as i32),
        ],
    );
    let mut all = vec![header];
    all.extend(items.into_iter().map(|(op, payload)| {
        Ttlv::structure(
            Tag::BATCH_ITEM,
            vec![
                Ttlv::enumeration(Tag::OPERATION, op.0),
                Ttlv::structure(Tag::REQUEST_PAYLOAD, payload),
            ],
        )
    }));
    Ttlv::structure(Tag::REQUEST_MESSAGE, all)
}

/// One batch item of a response.
pub fn response_item(item: &ResponseItem, v: Version) -> Ttlv {
    let mut out = Vec::new();
    if let Some(op) = item.operation {
        out.push(Ttlv::enumeration(Tag::OPERATION, op.0));
    }
    if let Some(id) = &item.unique_id {
        out.push(Ttlv::bytes(Tag::UNIQUE_BATCH_ITEM_ID, id.clone()));
    }
    match &item.result {
        Ok(payload) => {
            let status = if item.undone {
                ResultStatus::OPERATION_UNDONE
            } else {
                ResultStatus::SUCCESS
            };
            out.push(Ttlv::enumeration(Tag::RESULT_STATUS, status.0));
            out.push(Ttlv::structure(Tag::RESPONSE_PAYLOAD, payload.clone()));
        }
        Err(e) => {
            out.push(Ttlv::enumeration(
                Tag::RESULT_STATUS,
                ResultStatus::OPERATION_FAILED.0,
            ));
            out.push(Ttlv::enumeration(Tag::RESULT_REASON, e.reason_for(v).0));
            out.push(Ttlv::text(Tag::RESULT_MESSAGE, e.message.clone()));
        }
    }
    Ttlv::structure(Tag::BATCH_ITEM, out)
}

/// A whole Response Message in version `v`.
pub fn response(v: Version, items: &[ResponseItem]) -> Ttlv {
    response_from_items(v, items.iter().map(|i| response_item(i, v)).collect())
}

/// A Response Message around already-built batch items.
pub fn response_from_items(v: Version, items: Vec<Ttlv>) -> Ttlv {
    let header = Ttlv::structure(
        Tag::RESPONSE_HEADER,
        vec![
            protocol_version(v),
            Ttlv::date(Tag::TIME_STAMP, now()),
            Ttlv::int(Tag::BATCH_COUNT, items.len() as i32),
        ],
    );
    let mut all = vec![header];
    all.extend(items);
    Ttlv::structure(Tag::RESPONSE_MESSAGE, all)
}

/// The answer to a message that could not be used at all: one failed item, no operation.
pub fn error_response(v: Option<Version>, e: KmipError) -> Ttlv {
    let v = v.filter(|v| v.is_supported()).unwrap_or(V1_0);
    response(
        v,
        &[ResponseItem {
            operation: None,
            unique_id: None,
            result: Err(e),
            undone: false,
        }],
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_header_password_is_not_printed() {
        let msg = request(crate::version::V1_4, vec![(Operation::QUERY, vec![])]);
        let mut req = parse_request(&msg).unwrap();
        req.header.credentials = Some(("alice".into(), zeroize::Zeroizing::new("hunter2-secret".into())));
        let shown = format!("{:?}", req.header);
        assert!(shown.contains("alice") && !shown.contains("hunter2"), "{shown}");
    }
}
