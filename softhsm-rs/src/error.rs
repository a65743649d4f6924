//! The core's one error type.
//!
//! Variants are named after the PKCS#11 conditions they report. [`Error::ck_rv`] maps each one to
//! its `CK_RV` with an exhaustive match (no `_` arm), and a table test pins every mapping. The KMIP
//! face will map the same enum to Result Reasons the same way.
//!
//! Architecture invariant: no variant carries secret data (PINs, key bytes, plaintext). Where a
//! reason is useful to an operator it is logged at the place the error is raised, not stored here.

use cryptoki_sys as ck;

/// Result alias used throughout the core.
pub type Result<T> = std::result::Result<T, Error>;

/// Every failure the core reports. See the module docs for the mapping rule.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Error {
    ActionProhibited,
    ArgumentsBad,
    AttributeReadOnly,
    AttributeSensitive,
    AttributeTypeInvalid,
    AttributeValueInvalid,
    /// The caller's buffer is too small; `needed` bytes are required.
    BufferTooSmall {
        needed: usize,
    },
    CantLock,
    CryptokiAlreadyInitialized,
    CryptokiNotInitialized,
    CurveNotSupported,
    DataInvalid,
    DataLenRange,
    /// The store or the crypto engine failed; the reason has been logged.
    DeviceError,
    DeviceMemory,
    DomainParamsInvalid,
    /// Decryption failed. Deliberately carries no detail (padding oracles).
    EncryptedDataInvalid,
    EncryptedDataLenRange,
    FunctionFailed,
    FunctionNotParallel,
    FunctionNotSupported,
    GeneralError,
    KeyFunctionNotPermitted,
    KeyHandleInvalid,
    KeyIndigestible,
    KeyNotWrappable,
    KeySizeRange,
    KeyTypeInconsistent,
    KeyUnextractable,
    MechanismInvalid,
    MechanismParamInvalid,
    ObjectHandleInvalid,
    OperationActive,
    OperationNotInitialized,
    PinIncorrect,
    PinInvalid,
    PinLenRange,
    PinLocked,
    RandomSeedNotSupported,
    SessionClosed,
    SessionCount,
    SessionExists,
    SessionHandleInvalid,
    SessionParallelNotSupported,
    SessionReadOnly,
    SessionReadOnlyExists,
    SessionReadWriteSoExists,
    SignatureInvalid,
    SignatureLenRange,
    SlotIdInvalid,
    TemplateIncomplete,
    TemplateInconsistent,
    TokenNotPresent,
    TokenNotRecognized,
    TokenWriteProtected,
    UnwrappingKeyHandleInvalid,
    UnwrappingKeySizeRange,
    UnwrappingKeyTypeInconsistent,
    UserAlreadyLoggedIn,
    UserAnotherAlreadyLoggedIn,
    UserNotLoggedIn,
    UserPinNotInitialized,
    UserTooManyTypes,
    UserTypeInvalid,
    WrappedKeyInvalid,
    WrappedKeyLenRange,
    WrappingKeyHandleInvalid,
    WrappingKeySizeRange,
    WrappingKeyTypeInconsistent,
}

impl Error {
    /// The PKCS#11 return value for this error.
    pub fn ck_rv(self) -> ck::CK_RV {
        use Error::*;
        match self {
            ActionProhibited => ck::CKR_ACTION_PROHIBITED,
            ArgumentsBad => ck::CKR_ARGUMENTS_BAD,
            AttributeReadOnly => ck::CKR_ATTRIBUTE_READ_ONLY,
            AttributeSensitive => ck::CKR_ATTRIBUTE_SENSITIVE,
            AttributeTypeInvalid => ck::CKR_ATTRIBUTE_TYPE_INVALID,
            AttributeValueInvalid => ck::CKR_ATTRIBUTE_VALUE_INVALID,
            BufferTooSmall { .. } => ck::CKR_BUFFER_TOO_SMALL,
            CantLock => ck::CKR_CANT_LOCK,
            CryptokiAlreadyInitialized => ck::CKR_CRYPTOKI_ALREADY_INITIALIZED,
            CryptokiNotInitialized => ck::CKR_CRYPTOKI_NOT_INITIALIZED,
            CurveNotSupported => ck::CKR_CURVE_NOT_SUPPORTED,
            DataInvalid => ck::CKR_DATA_INVALID,
            DataLenRange => ck::CKR_DATA_LEN_RANGE,
            DeviceError => ck::CKR_DEVICE_ERROR,
            DeviceMemory => ck::CKR_DEVICE_MEMORY,
            DomainParamsInvalid => ck::CKR_DOMAIN_PARAMS_INVALID,
            EncryptedDataInvalid => ck::CKR_ENCRYPTED_DATA_INVALID,
            EncryptedDataLenRange => ck::CKR_ENCRYPTED_DATA_LEN_RANGE,
            FunctionFailed => ck::CKR_FUNCTION_FAILED,
            FunctionNotParallel => ck::CKR_FUNCTION_NOT_PARALLEL,
            FunctionNotSupported => ck::CKR_FUNCTION_NOT_SUPPORTED,
            GeneralError => ck::CKR_GENERAL_ERROR,
            KeyFunctionNotPermitted => ck::CKR_KEY_FUNCTION_NOT_PERMITTED,
            KeyHandleInvalid => ck::CKR_KEY_HANDLE_INVALID,
            KeyIndigestible => ck::CKR_KEY_INDIGESTIBLE,
            KeyNotWrappable => ck::CKR_KEY_NOT_WRAPPABLE,
            KeySizeRange => ck::CKR_KEY_SIZE_RANGE,
            KeyTypeInconsistent => ck::CKR_KEY_TYPE_INCONSISTENT,
            KeyUnextractable => ck::CKR_KEY_UNEXTRACTABLE,
            MechanismInvalid => ck::CKR_MECHANISM_INVALID,
            MechanismParamInvalid => ck::CKR_MECHANISM_PARAM_INVALID,
            ObjectHandleInvalid => ck::CKR_OBJECT_HANDLE_INVALID,
            OperationActive => ck::CKR_OPERATION_ACTIVE,
            OperationNotInitialized => ck::CKR_OPERATION_NOT_INITIALIZED,
            PinIncorrect => ck::CKR_PIN_INCORRECT,
            PinInvalid => ck::CKR_PIN_INVALID,
            PinLenRange => ck::CKR_PIN_LEN_RANGE,
            PinLocked => ck::CKR_PIN_LOCKED,
            RandomSeedNotSupported => ck::CKR_RANDOM_SEED_NOT_SUPPORTED,
            SessionClosed => ck::CKR_SESSION_CLOSED,
            SessionCount => ck::CKR_SESSION_COUNT,
            SessionExists => ck::CKR_SESSION_EXISTS,
            SessionHandleInvalid => ck::CKR_SESSION_HANDLE_INVALID,
            SessionParallelNotSupported => ck::CKR_SESSION_PARALLEL_NOT_SUPPORTED,
            SessionReadOnly => ck::CKR_SESSION_READ_ONLY,
            SessionReadOnlyExists => ck::CKR_SESSION_READ_ONLY_EXISTS,
            SessionReadWriteSoExists => ck::CKR_SESSION_READ_WRITE_SO_EXISTS,
            SignatureInvalid => ck::CKR_SIGNATURE_INVALID,
            SignatureLenRange => ck::CKR_SIGNATURE_LEN_RANGE,
            SlotIdInvalid => ck::CKR_SLOT_ID_INVALID,
            TemplateIncomplete => ck::CKR_TEMPLATE_INCOMPLETE,
            TemplateInconsistent => ck::CKR_TEMPLATE_INCONSISTENT,
            TokenNotPresent => ck::CKR_TOKEN_NOT_PRESENT,
            TokenNotRecognized => ck::CKR_TOKEN_NOT_RECOGNIZED,
            TokenWriteProtected => ck::CKR_TOKEN_WRITE_PROTECTED,
            UnwrappingKeyHandleInvalid => ck::CKR_UNWRAPPING_KEY_HANDLE_INVALID,
            UnwrappingKeySizeRange => ck::CKR_UNWRAPPING_KEY_SIZE_RANGE,
            UnwrappingKeyTypeInconsistent => ck::CKR_UNWRAPPING_KEY_TYPE_INCONSISTENT,
            UserAlreadyLoggedIn => ck::CKR_USER_ALREADY_LOGGED_IN,
            UserAnotherAlreadyLoggedIn => ck::CKR_USER_ANOTHER_ALREADY_LOGGED_IN,
            UserNotLoggedIn => ck::CKR_USER_NOT_LOGGED_IN,
            UserPinNotInitialized => ck::CKR_USER_PIN_NOT_INITIALIZED,
            UserTooManyTypes => ck::CKR_USER_TOO_MANY_TYPES,
            UserTypeInvalid => ck::CKR_USER_TYPE_INVALID,
            WrappedKeyInvalid => ck::CKR_WRAPPED_KEY_INVALID,
            WrappedKeyLenRange => ck::CKR_WRAPPED_KEY_LEN_RANGE,
            WrappingKeyHandleInvalid => ck::CKR_WRAPPING_KEY_HANDLE_INVALID,
            WrappingKeySizeRange => ck::CKR_WRAPPING_KEY_SIZE_RANGE,
            WrappingKeyTypeInconsistent => ck::CKR_WRAPPING_KEY_TYPE_INCONSISTENT,
        }
    }
}

impl std::fmt::Display for Error {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{self:?} (CK_RV 0x{:08X})", self.ck_rv())
    }
}

impl std::error::Error for Error {}

impl From<rusqlite::Error> for Error {
    fn from(e: rusqlite::Error) -> Self {
        log::error!("keystore error: {e}");
        Error::DeviceError
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Pins a sample of the mapping to the numeric values of the PKCS#11 3.0 header, so a
    /// renamed constant or a swapped arm is caught.
    #[test]
    fn ck_rv_mapping_is_pinned() {
        let table: &[(Error, u64)] = &[
            (Error::ArgumentsBad, 0x07),
            (Error::AttributeReadOnly, 0x10),
            (Error::AttributeSensitive, 0x11),
            (Error::AttributeTypeInvalid, 0x12),
            (Error::AttributeValueInvalid, 0x13),
            (Error::ActionProhibited, 0x1B),
            (Error::DataInvalid, 0x20),
            (Error::DataLenRange, 0x21),
            (Error::DeviceError, 0x30),
            (Error::EncryptedDataInvalid, 0x40),
            (Error::EncryptedDataLenRange, 0x41),
            (Error::FunctionNotSupported, 0x54),
            (Error::KeyHandleInvalid, 0x60),
            (Error::KeySizeRange, 0x62),
            (Error::KeyTypeInconsistent, 0x63),
            (Error::KeyFunctionNotPermitted, 0x68),
            (Error::KeyUnextractable, 0x6A),
            (Error::MechanismInvalid, 0x70),
            (Error::MechanismParamInvalid, 0x71),
            (Error::ObjectHandleInvalid, 0x82),
            (Error::OperationActive, 0x90),
            (Error::OperationNotInitialized, 0x91),
            (Error::PinIncorrect, 0xA0),
            (Error::PinLenRange, 0xA2),
            (Error::PinLocked, 0xA4),
            (Error::SessionHandleInvalid, 0xB3),
            (Error::SessionReadOnly, 0xB5),
            (Error::SessionReadOnlyExists, 0xB7),
            (Error::SignatureInvalid, 0xC0),
            (Error::SignatureLenRange, 0xC1),
            (Error::TemplateIncomplete, 0xD0),
            (Error::TemplateInconsistent, 0xD1),
            (Error::UserAlreadyLoggedIn, 0x100),
            (Error::UserNotLoggedIn, 0x101),
            (Error::UserPinNotInitialized, 0x102),
            (Error::UserTypeInvalid, 0x103),
            (Error::UserAnotherAlreadyLoggedIn, 0x104),
            (Error::WrappedKeyInvalid, 0x110),
            (Error::BufferTooSmall { needed: 1 }, 0x150),
            (Error::CryptokiNotInitialized, 0x190),
            (Error::CryptokiAlreadyInitialized, 0x191),
        ];
        for (e, rv) in table {
            assert_eq!(e.ck_rv(), *rv, "{e:?}");
        }
    }
}
