//! The server's error: a KMIP Result Reason and a message for the client.
//!
//! Core errors map to Result Reasons by one exhaustive match ([`from_core`], no `_` arm) that a
//! table test pins. A reason a client's protocol version does not define is answered with the
//! nearest one that version has ([`KmipError::reason_for`]).
//!
//! Architecture invariant: messages name the failed condition and the attribute or field, never
//! a value the client sent (values may be key material).

use crate::ttlv::enums::ResultReason as R;
use crate::version::Version;
use softhsm::error::Error as Core;

/// A failed batch item.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KmipError {
    pub reason: R,
    pub message: String,
}

pub type Result<T> = std::result::Result<T, KmipError>;

impl KmipError {
    pub fn new(reason: R, message: impl Into<String>) -> KmipError {
        KmipError {
            reason,
            message: message.into(),
        }
    }

    pub fn not_found(what: &str) -> KmipError {
        KmipError::new(R::ITEM_NOT_FOUND, format!("{what} not found"))
    }

    pub fn missing(field: &str) -> KmipError {
        KmipError::new(R::MISSING_DATA, format!("{field} is required"))
    }

    pub fn invalid(field: &str) -> KmipError {
        KmipError::new(R::INVALID_FIELD, format!("{field} is invalid"))
    }

    pub fn unsupported(what: &str) -> KmipError {
        KmipError::new(R::FEATURE_NOT_SUPPORTED, format!("{what} is not supported"))
    }

    pub fn illegal(what: &str) -> KmipError {
        KmipError::new(R::ILLEGAL_OPERATION, what.to_string())
    }

    pub fn permission(what: &str) -> KmipError {
        KmipError::new(R::PERMISSION_DENIED, what.to_string())
    }

    /// The reason as a client of `v` understands it: KMIP 2.0 added reasons 0x19..; a 1.x
    /// client gets the 1.x reason that covers the same condition.
    pub fn reason_for(&self, v: Version) -> R {
        if v.major >= 2 || self.reason.0 <= R::OBJECT_ALREADY_EXISTS.0 || self.reason == R::GENERAL_FAILURE {
            return self.reason;
        }
        match self.reason {
            R::OBJECT_NOT_FOUND | R::ATTRIBUTE_NOT_FOUND | R::ATTRIBUTE_INSTANCE_NOT_FOUND => {
                R::ITEM_NOT_FOUND
            }
            R::WRONG_KEY_LIFECYCLE_STATE => R::PERMISSION_DENIED,
            R::OBJECT_DESTROYED => R::ITEM_NOT_FOUND,
            R::READ_ONLY_ATTRIBUTE | R::ATTRIBUTE_READ_ONLY => R::PERMISSION_DENIED,
            R::BAD_CRYPTOGRAPHIC_PARAMETERS | R::UNSUPPORTED_CRYPTOGRAPHIC_PARAMETERS => R::INVALID_FIELD,
            R::INVALID_ATTRIBUTE_VALUE | R::INVALID_ATTRIBUTE | R::INVALID_DATA_TYPE | R::NUMERIC_RANGE => {
                R::INVALID_FIELD
            }
            R::UNSUPPORTED_ATTRIBUTE | R::MULTI_VALUED_ATTRIBUTE | R::ATTRIBUTE_SINGLE_VALUED => {
                R::INVALID_FIELD
            }
            R::INVALID_OBJECT_TYPE | R::ILLEGAL_OBJECT_TYPE => R::INVALID_FIELD,
            R::INVALID_CORRELATION_VALUE => R::INVALID_FIELD,
            R::INCOMPATIBLE_CRYPTOGRAPHIC_USAGE_MASK => R::PERMISSION_DENIED,
            R::MISSING_INITIALIZATION_VECTOR => R::MISSING_DATA,
            R::NON_UNIQUE_NAME_ATTRIBUTE => R::OBJECT_ALREADY_EXISTS,
            R::UNSUPPORTED_PROTOCOL_VERSION | R::CODEC_ERROR | R::UNKNOWN_TAG | R::UNKNOWN_ENUMERATION => {
                R::INVALID_MESSAGE
            }
            R::NOT_AUTHORIZED | R::BAD_PASSWORD => R::PERMISSION_DENIED,
            R::SERVER_LIMIT_EXCEEDED | R::INTERNAL_SERVER_ERROR => R::GENERAL_FAILURE,
            _ => R::GENERAL_FAILURE,
        }
    }
}

impl std::fmt::Display for KmipError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{} (reason 0x{:X})", self.message, self.reason.0)
    }
}

impl From<Core> for KmipError {
    fn from(e: Core) -> KmipError {
        KmipError::new(from_core(e), core_message(e))
    }
}

/// The Result Reason for a core error: one exhaustive match.
pub fn from_core(e: Core) -> R {
    match e {
        Core::ObjectHandleInvalid | Core::KeyHandleInvalid => R::ITEM_NOT_FOUND,
        Core::WrappingKeyHandleInvalid | Core::UnwrappingKeyHandleInvalid => R::ITEM_NOT_FOUND,
        Core::AttributeSensitive => R::SENSITIVE,
        Core::KeyUnextractable | Core::KeyNotWrappable => R::NOT_EXTRACTABLE,
        Core::KeyFunctionNotPermitted | Core::ActionProhibited => R::PERMISSION_DENIED,
        Core::AttributeReadOnly => R::PERMISSION_DENIED,
        Core::PinIncorrect | Core::PinLocked | Core::PinInvalid | Core::PinLenRange => {
            R::AUTHENTICATION_NOT_SUCCESSFUL
        }
        Core::UserNotLoggedIn | Core::UserPinNotInitialized | Core::UserTypeInvalid => R::PERMISSION_DENIED,
        Core::UserAlreadyLoggedIn | Core::UserAnotherAlreadyLoggedIn | Core::UserTooManyTypes => {
            R::GENERAL_FAILURE
        }
        Core::SignatureInvalid | Core::SignatureLenRange => R::CRYPTOGRAPHIC_FAILURE,
        Core::EncryptedDataInvalid | Core::EncryptedDataLenRange => R::CRYPTOGRAPHIC_FAILURE,
        Core::DataInvalid | Core::DataLenRange => R::INVALID_FIELD,
        Core::WrappedKeyInvalid | Core::WrappedKeyLenRange => R::CRYPTOGRAPHIC_FAILURE,
        Core::MechanismInvalid | Core::MechanismParamInvalid => R::INVALID_FIELD,
        Core::CurveNotSupported | Core::DomainParamsInvalid => R::INVALID_FIELD,
        Core::KeySizeRange | Core::KeyTypeInconsistent | Core::KeyIndigestible => R::INVALID_FIELD,
        Core::WrappingKeySizeRange | Core::WrappingKeyTypeInconsistent => R::INVALID_FIELD,
        Core::UnwrappingKeySizeRange | Core::UnwrappingKeyTypeInconsistent => R::INVALID_FIELD,
        Core::AttributeTypeInvalid | Core::AttributeValueInvalid => R::INVALID_FIELD,
        Core::TemplateIncomplete => R::MISSING_DATA,
        Core::TemplateInconsistent => R::INVALID_FIELD,
        Core::ArgumentsBad => R::INVALID_FIELD,
        Core::BufferTooSmall { .. } => R::GENERAL_FAILURE,
        Core::RandomSeedNotSupported => R::OPERATION_NOT_SUPPORTED,
        Core::FunctionNotSupported => R::OPERATION_NOT_SUPPORTED,
        Core::DeviceMemory => R::GENERAL_FAILURE,
        Core::DeviceError
        | Core::FunctionFailed
        | Core::GeneralError
        | Core::CantLock
        | Core::CryptokiAlreadyInitialized
        | Core::CryptokiNotInitialized
        | Core::FunctionNotParallel
        | Core::OperationActive
        | Core::OperationNotInitialized
        | Core::SessionClosed
        | Core::SessionCount
        | Core::SessionExists
        | Core::SessionHandleInvalid
        | Core::SessionParallelNotSupported
        | Core::SessionReadOnly
        | Core::SessionReadOnlyExists
        | Core::SessionReadWriteSoExists
        | Core::SlotIdInvalid
        | Core::TokenNotPresent
        | Core::TokenNotRecognized
        | Core::TokenWriteProtected => R::GENERAL_FAILURE,
    }
}

/// A client-facing message for a core error (the detail is in the server log).
fn core_message(e: Core) -> String {
    match e {
        Core::EncryptedDataInvalid | Core::EncryptedDataLenRange => "decryption failed".to_string(),
        Core::SignatureInvalid => "signature is invalid".to_string(),
        Core::KeyFunctionNotPermitted => {
            "the object's state or usage does not permit this operation".to_string()
        }
        other => format!("{other:?}"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn core_errors_map_to_the_reasons_clients_expect() {
        let table = [
            (Core::ObjectHandleInvalid, R::ITEM_NOT_FOUND),
            (Core::AttributeSensitive, R::SENSITIVE),
            (Core::KeyUnextractable, R::NOT_EXTRACTABLE),
            (Core::KeyFunctionNotPermitted, R::PERMISSION_DENIED),
            (Core::EncryptedDataInvalid, R::CRYPTOGRAPHIC_FAILURE),
            (Core::SignatureInvalid, R::CRYPTOGRAPHIC_FAILURE),
            (Core::TemplateIncomplete, R::MISSING_DATA),
            (Core::MechanismInvalid, R::INVALID_FIELD),
            (Core::DeviceError, R::GENERAL_FAILURE),
            (Core::PinLocked, R::AUTHENTICATION_NOT_SUCCESSFUL),
        ];
        for (e, r) in table {
            assert_eq!(from_core(e), r, "{e:?}");
        }
        // Decrypt failures stay opaque.
        assert_eq!(
            KmipError::from(Core::EncryptedDataInvalid).message,
            "decryption failed"
        );
    }

    #[test]
    fn two_point_oh_reasons_fall_back_for_one_point_x_clients() {
        let e = KmipError::new(R::WRONG_KEY_LIFECYCLE_STATE, "x");
        assert_eq!(e.reason_for(Version::new(1, 4)), R::PERMISSION_DENIED);
        assert_eq!(e.reason_for(Version::new(2, 0)), R::WRONG_KEY_LIFECYCLE_STATE);
        let e = KmipError::new(R::ITEM_NOT_FOUND, "x");
        assert_eq!(e.reason_for(Version::new(1, 0)), R::ITEM_NOT_FOUND);
    }
}
