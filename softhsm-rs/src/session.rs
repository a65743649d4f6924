//! Sessions and their active operations: one slot per operation category (encrypt, decrypt,
//! digest, sign, verify, find), each holding its operation and, when the caller's buffer was too
//! small, the finished output waiting for a larger buffer.

use crate::error::{Error, Result};
use crate::mechanism::ops::{CipherOp, DigestOp, SignOp, VerifyOp};
use std::collections::VecDeque;
use zeroize::Zeroizing;

/// Room the caller offers for an output.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Out {
    /// Length query (a NULL output pointer).
    Query,
    /// A buffer of this many bytes.
    Cap(usize),
}

/// What a call with an output produced.
#[derive(Debug, PartialEq, Eq)]
pub enum Output {
    /// The answer to a length query (may exceed the exact length, never falls short).
    Len(usize),
    Data(Vec<u8>),
}

/// An operation in progress.
pub struct Active<T> {
    pub op: T,
    /// Output computed for a buffer that was too small, returned by the next call.
    pub pending: Option<Zeroizing<Vec<u8>>>,
    /// The key needs a `CKU_CONTEXT_SPECIFIC` login before it is used.
    pub needs_auth: bool,
}

impl<T> Active<T> {
    pub fn new(op: T, needs_auth: bool) -> Self {
        Active {
            op,
            pending: None,
            needs_auth,
        }
    }
}

/// An open session.
pub struct Session {
    pub handle: u64,
    pub slot: u64,
    pub rw: bool,
    pub find: Option<VecDeque<u64>>,
    pub encrypt: Option<Active<Box<dyn CipherOp>>>,
    pub decrypt: Option<Active<Box<dyn CipherOp>>>,
    pub digest: Option<Active<DigestOp>>,
    pub sign: Option<Active<Box<dyn SignOp>>>,
    pub verify: Option<Active<Box<dyn VerifyOp>>>,
    /// A `CKU_CONTEXT_SPECIFIC` login was given for the active operation.
    pub context_auth: bool,
}

impl Session {
    pub fn new(handle: u64, slot: u64, rw: bool) -> Self {
        Session {
            handle,
            slot,
            rw,
            find: None,
            encrypt: None,
            decrypt: None,
            digest: None,
            sign: None,
            verify: None,
            context_auth: false,
        }
    }

    /// Ends every active operation (`C_SessionCancel`, logout).
    pub fn cancel_all(&mut self) {
        self.find = None;
        self.encrypt = None;
        self.decrypt = None;
        self.digest = None;
        self.sign = None;
        self.verify = None;
        self.context_auth = false;
    }
}

/// Runs one step of an operation with an output, applying the PKCS#11 rules (§5.2): a length
/// query or a too-small buffer leaves the operation as it was (the computed output is kept for
/// the retry); any other error ends it; success ends it when `last` is set.
pub fn step<T>(
    slot: &mut Option<Active<T>>,
    out: Out,
    last: bool,
    context_auth: &mut bool,
    bound: impl FnOnce(&T) -> usize,
    compute: impl FnOnce(&mut T) -> Result<Vec<u8>>,
) -> Result<Output> {
    let Some(a) = slot.as_mut() else {
        return Err(Error::OperationNotInitialized);
    };
    if a.needs_auth && !*context_auth {
        *slot = None;
        log::info!("key needs a context-specific login before each use");
        return Err(Error::UserNotLoggedIn);
    }
    if let Some(p) = a.pending.take() {
        let n = p.len();
        match out {
            Out::Query => {
                a.pending = Some(p);
                return Ok(Output::Len(n));
            }
            Out::Cap(c) if c < n => {
                a.pending = Some(p);
                return Err(Error::BufferTooSmall { needed: n });
            }
            Out::Cap(_) => {
                if last {
                    *slot = None;
                    *context_auth = false;
                }
                return Ok(Output::Data(p.to_vec()));
            }
        }
    }
    match out {
        Out::Query => Ok(Output::Len(bound(&a.op))),
        Out::Cap(c) => match compute(&mut a.op) {
            Err(e) => {
                *slot = None;
                *context_auth = false;
                Err(e)
            }
            Ok(v) if v.len() > c => {
                let n = v.len();
                a.pending = Some(Zeroizing::new(v));
                Err(Error::BufferTooSmall { needed: n })
            }
            Ok(v) => {
                if last {
                    *slot = None;
                    *context_auth = false;
                }
                Ok(Output::Data(v))
            }
        },
    }
}

/// Runs a step without output (update of sign/verify/digest, verify final): any error ends the
/// operation.
pub fn step_no_output<T>(
    slot: &mut Option<Active<T>>,
    last: bool,
    context_auth: &mut bool,
    f: impl FnOnce(&mut T) -> Result<()>,
) -> Result<()> {
    let Some(a) = slot.as_mut() else {
        return Err(Error::OperationNotInitialized);
    };
    if a.needs_auth && !*context_auth {
        *slot = None;
        return Err(Error::UserNotLoggedIn);
    }
    let r = f(&mut a.op);
    if r.is_err() || last {
        *slot = None;
        *context_auth = false;
    }
    r
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn two_call_protocol_keeps_the_operation() {
        let mut slot = Some(Active::new(0u32, false));
        let mut auth = false;
        let mut runs = 0;
        assert_eq!(
            step(&mut slot, Out::Query, true, &mut auth, |_| 10, |_| Ok(vec![1; 5])).unwrap(),
            Output::Len(10)
        );
        assert!(slot.is_some());
        assert_eq!(
            step(
                &mut slot,
                Out::Cap(2),
                true,
                &mut auth,
                |_| 10,
                |_| {
                    runs += 1;
                    Ok(vec![1; 5])
                }
            )
            .unwrap_err(),
            Error::BufferTooSmall { needed: 5 }
        );
        assert!(slot.is_some());
        // The retry returns the kept output without computing again.
        let r = step(
            &mut slot,
            Out::Cap(5),
            true,
            &mut auth,
            |_| 10,
            |_| {
                runs += 1;
                Ok(vec![2; 5])
            },
        )
        .unwrap();
        assert_eq!(r, Output::Data(vec![1; 5]));
        assert_eq!(runs, 1);
        assert!(slot.is_none());
    }

    #[test]
    fn errors_end_the_operation() {
        let mut slot = Some(Active::new(0u32, false));
        let mut auth = false;
        assert_eq!(
            step(
                &mut slot,
                Out::Cap(9),
                false,
                &mut auth,
                |_| 1,
                |_| Err(Error::DataLenRange)
            )
            .unwrap_err(),
            Error::DataLenRange
        );
        assert!(slot.is_none());
        assert_eq!(
            step(&mut slot, Out::Cap(9), false, &mut auth, |_| 1, |_| Ok(vec![])).unwrap_err(),
            Error::OperationNotInitialized
        );
    }

    #[test]
    fn context_specific_keys_need_a_login() {
        let mut slot = Some(Active::new(0u32, true));
        let mut auth = false;
        assert_eq!(
            step_no_output(&mut slot, false, &mut auth, |_| Ok(())).unwrap_err(),
            Error::UserNotLoggedIn
        );
        let mut slot = Some(Active::new(0u32, true));
        auth = true;
        assert!(step(&mut slot, Out::Cap(1), true, &mut auth, |_| 1, |_| Ok(vec![1])).is_ok());
        assert!(!auth, "a context login covers one operation");
    }
}
