//! Log (KMIP 2.0 §6.1.30, 2.1 §6.1.31): the client's Log Message goes to the server's log at
//! info level.
//!
//! The text is the client's, not ours: it is cut to [`MAX_LOG_MESSAGE`] characters and its
//! control characters are replaced, so a client can neither flood the log nor forge lines in
//! it. Nothing of the server's (keys, PINs, the request) is written with it.

use super::Ctx;
use crate::error::{KmipError, Result};
use crate::ttlv::{Tag, Ttlv};

/// The most characters of one Log Message written to the log.
pub const MAX_LOG_MESSAGE: usize = 1024;

/// The client text as it may appear in a log line: control characters (new lines included)
/// become U+FFFD, and it is cut to [`MAX_LOG_MESSAGE`] characters.
pub fn clean(text: &str) -> String {
    let mut out: String = text
        .chars()
        .take(MAX_LOG_MESSAGE)
        .map(|c| if c.is_control() { '\u{FFFD}' } else { c })
        .collect();
    if text.chars().nth(MAX_LOG_MESSAGE).is_some() {
        out.push_str(" [cut]");
    }
    out
}

pub fn log(ctx: &mut Ctx<'_>, payload: &Ttlv) -> Result<Vec<Ttlv>> {
    let text = payload
        .find(Tag::LOG_MESSAGE)
        .and_then(Ttlv::as_text)
        .ok_or_else(|| KmipError::missing("Log Message"))?;
    log::info!(
        "client log message (token {:?}): {}",
        clean(ctx.token),
        clean(text)
    );
    Ok(Vec::new())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn control_characters_are_replaced_and_length_is_bounded() {
        assert_eq!(clean("a\nb\x1b[31m"), "a\u{FFFD}b\u{FFFD}[31m");
        let long = "x".repeat(MAX_LOG_MESSAGE + 10);
        let c = clean(&long);
        assert!(c.ends_with(" [cut]"));
        assert_eq!(c.chars().filter(|ch| *ch == 'x').count(), MAX_LOG_MESSAGE);
        assert_eq!(clean("plain text"), "plain text");
    }
}
