//! The KMIP tag table: every tag of KMIP 1.0–1.4 (1.4 §9.1.3.1), 2.0 and 2.1 (2.1 §9.1.3.1),
//! plus the few KMIP 3.0 draft tags the OASIS 3.0 test vectors use (marked provisional: 3.0 is
//! a Committee Specification Draft and its numbers may still move).
//!
//! One row per tag, `CONST = number, "XmlName";`, generates both the `Tag::CONST` constants and
//! the lookup table, so name → number and number → name cannot disagree. The XML name is the
//! element name of the KMIP XML encoding (KMIP Profiles, "XML Encoding"): the spec's name with
//! spaces removed and `.`/`#` written `_` (`X.509 Certificate Identifier` →
//! `X_509CertificateIdentifier`); the constant is that name in SCREAMING_SNAKE_CASE.
//! Tags KMIP 2.0 marks "(Reserved)" keep their 1.x names so 1.x messages still read.

use std::collections::HashMap;
use std::sync::OnceLock;

use super::Tag;

macro_rules! tag_table {
    ($($konst:ident = $num:literal, $xml:literal;)*) => {
        impl Tag {
            $(
                #[doc = concat!("`", $xml, "`")]
                pub const $konst: Tag = Tag($num);
            )*
        }

        /// `(number, XML name)` for every known tag, sorted by number (a test checks it).
        pub(crate) const TAG_TABLE: &[(u32, &str)] = &[$(($num, $xml)),*];
    };
}

tag_table! {
    ACTIVATION_DATE = 0x420001, "ActivationDate";
    APPLICATION_DATA = 0x420002, "ApplicationData";
    APPLICATION_NAMESPACE = 0x420003, "ApplicationNamespace";
    APPLICATION_SPECIFIC_INFORMATION = 0x420004, "ApplicationSpecificInformation";
    ARCHIVE_DATE = 0x420005, "ArchiveDate";
    ASYNCHRONOUS_CORRELATION_VALUE = 0x420006, "AsynchronousCorrelationValue";
    ASYNCHRONOUS_INDICATOR = 0x420007, "AsynchronousIndicator";
    ATTRIBUTE = 0x420008, "Attribute";
    ATTRIBUTE_INDEX = 0x420009, "AttributeIndex";
    ATTRIBUTE_NAME = 0x42000A, "AttributeName";
    ATTRIBUTE_VALUE = 0x42000B, "AttributeValue";
    AUTHENTICATION = 0x42000C, "Authentication";
    BATCH_COUNT = 0x42000D, "BatchCount";
    BATCH_ERROR_CONTINUATION_OPTION = 0x42000E, "BatchErrorContinuationOption";
    BATCH_ITEM = 0x42000F, "BatchItem";
    BATCH_ORDER_OPTION = 0x420010, "BatchOrderOption";
    BLOCK_CIPHER_MODE = 0x420011, "BlockCipherMode";
    CANCELLATION_RESULT = 0x420012, "CancellationResult";
    CERTIFICATE = 0x420013, "Certificate";
    CERTIFICATE_IDENTIFIER = 0x420014, "CertificateIdentifier";
    CERTIFICATE_ISSUER = 0x420015, "CertificateIssuer";
    CERTIFICATE_ISSUER_ALTERNATIVE_NAME = 0x420016, "CertificateIssuerAlternativeName";
    CERTIFICATE_ISSUER_DISTINGUISHED_NAME = 0x420017, "CertificateIssuerDistinguishedName";
    CERTIFICATE_REQUEST = 0x420018, "CertificateRequest";
    CERTIFICATE_REQUEST_TYPE = 0x420019, "CertificateRequestType";
    CERTIFICATE_SUBJECT = 0x42001A, "CertificateSubject";
    CERTIFICATE_SUBJECT_ALTERNATIVE_NAME = 0x42001B, "CertificateSubjectAlternativeName";
    CERTIFICATE_SUBJECT_DISTINGUISHED_NAME = 0x42001C, "CertificateSubjectDistinguishedName";
    CERTIFICATE_TYPE = 0x42001D, "CertificateType";
    CERTIFICATE_VALUE = 0x42001E, "CertificateValue";
    COMMON_TEMPLATE_ATTRIBUTE = 0x42001F, "CommonTemplateAttribute";
    COMPROMISE_DATE = 0x420020, "CompromiseDate";
    COMPROMISE_OCCURRENCE_DATE = 0x420021, "CompromiseOccurrenceDate";
    CONTACT_INFORMATION = 0x420022, "ContactInformation";
    CREDENTIAL = 0x420023, "Credential";
    CREDENTIAL_TYPE = 0x420024, "CredentialType";
    CREDENTIAL_VALUE = 0x420025, "CredentialValue";
    CRITICALITY_INDICATOR = 0x420026, "CriticalityIndicator";
    CRT_COEFFICIENT = 0x420027, "CRTCoefficient";
    CRYPTOGRAPHIC_ALGORITHM = 0x420028, "CryptographicAlgorithm";
    CRYPTOGRAPHIC_DOMAIN_PARAMETERS = 0x420029, "CryptographicDomainParameters";
    CRYPTOGRAPHIC_LENGTH = 0x42002A, "CryptographicLength";
    CRYPTOGRAPHIC_PARAMETERS = 0x42002B, "CryptographicParameters";
    CRYPTOGRAPHIC_USAGE_MASK = 0x42002C, "CryptographicUsageMask";
    CUSTOM_ATTRIBUTE = 0x42002D, "CustomAttribute";
    D = 0x42002E, "D";
    DEACTIVATION_DATE = 0x42002F, "DeactivationDate";
    DERIVATION_DATA = 0x420030, "DerivationData";
    DERIVATION_METHOD = 0x420031, "DerivationMethod";
    DERIVATION_PARAMETERS = 0x420032, "DerivationParameters";
    DESTROY_DATE = 0x420033, "DestroyDate";
    DIGEST = 0x420034, "Digest";
    DIGEST_VALUE = 0x420035, "DigestValue";
    ENCRYPTION_KEY_INFORMATION = 0x420036, "EncryptionKeyInformation";
    G = 0x420037, "G";
    HASHING_ALGORITHM = 0x420038, "HashingAlgorithm";
    INITIAL_DATE = 0x420039, "InitialDate";
    INITIALIZATION_VECTOR = 0x42003A, "InitializationVector";
    ISSUER = 0x42003B, "Issuer";
    ITERATION_COUNT = 0x42003C, "IterationCount";
    IV_COUNTER_NONCE = 0x42003D, "IVCounterNonce";
    J = 0x42003E, "J";
    KEY = 0x42003F, "Key";
    KEY_BLOCK = 0x420040, "KeyBlock";
    KEY_COMPRESSION_TYPE = 0x420041, "KeyCompressionType";
    KEY_FORMAT_TYPE = 0x420042, "KeyFormatType";
    KEY_MATERIAL = 0x420043, "KeyMaterial";
    KEY_PART_IDENTIFIER = 0x420044, "KeyPartIdentifier";
    KEY_VALUE = 0x420045, "KeyValue";
    KEY_WRAPPING_DATA = 0x420046, "KeyWrappingData";
    KEY_WRAPPING_SPECIFICATION = 0x420047, "KeyWrappingSpecification";
    LAST_CHANGE_DATE = 0x420048, "LastChangeDate";
    LEASE_TIME = 0x420049, "LeaseTime";
    LINK = 0x42004A, "Link";
    LINK_TYPE = 0x42004B, "LinkType";
    LINKED_OBJECT_IDENTIFIER = 0x42004C, "LinkedObjectIdentifier";
    MAC_SIGNATURE = 0x42004D, "MACSignature";
    MAC_SIGNATURE_KEY_INFORMATION = 0x42004E, "MACSignatureKeyInformation";
    MAXIMUM_ITEMS = 0x42004F, "MaximumItems";
    MAXIMUM_RESPONSE_SIZE = 0x420050, "MaximumResponseSize";
    MESSAGE_EXTENSION = 0x420051, "MessageExtension";
    MODULUS = 0x420052, "Modulus";
    NAME = 0x420053, "Name";
    NAME_TYPE = 0x420054, "NameType";
    NAME_VALUE = 0x420055, "NameValue";
    OBJECT_GROUP = 0x420056, "ObjectGroup";
    OBJECT_TYPE = 0x420057, "ObjectType";
    OFFSET = 0x420058, "Offset";
    OPAQUE_DATA_TYPE = 0x420059, "OpaqueDataType";
    OPAQUE_DATA_VALUE = 0x42005A, "OpaqueDataValue";
    OPAQUE_OBJECT = 0x42005B, "OpaqueObject";
    OPERATION = 0x42005C, "Operation";
    OPERATION_POLICY_NAME = 0x42005D, "OperationPolicyName";
    P = 0x42005E, "P";
    PADDING_METHOD = 0x42005F, "PaddingMethod";
    PRIME_EXPONENT_P = 0x420060, "PrimeExponentP";
    PRIME_EXPONENT_Q = 0x420061, "PrimeExponentQ";
    PRIME_FIELD_SIZE = 0x420062, "PrimeFieldSize";
    PRIVATE_EXPONENT = 0x420063, "PrivateExponent";
    PRIVATE_KEY = 0x420064, "PrivateKey";
    PRIVATE_KEY_TEMPLATE_ATTRIBUTE = 0x420065, "PrivateKeyTemplateAttribute";
    PRIVATE_KEY_UNIQUE_IDENTIFIER = 0x420066, "PrivateKeyUniqueIdentifier";
    PROCESS_START_DATE = 0x420067, "ProcessStartDate";
    PROTECT_STOP_DATE = 0x420068, "ProtectStopDate";
    PROTOCOL_VERSION = 0x420069, "ProtocolVersion";
    PROTOCOL_VERSION_MAJOR = 0x42006A, "ProtocolVersionMajor";
    PROTOCOL_VERSION_MINOR = 0x42006B, "ProtocolVersionMinor";
    PUBLIC_EXPONENT = 0x42006C, "PublicExponent";
    PUBLIC_KEY = 0x42006D, "PublicKey";
    PUBLIC_KEY_TEMPLATE_ATTRIBUTE = 0x42006E, "PublicKeyTemplateAttribute";
    PUBLIC_KEY_UNIQUE_IDENTIFIER = 0x42006F, "PublicKeyUniqueIdentifier";
    PUT_FUNCTION = 0x420070, "PutFunction";
    Q = 0x420071, "Q";
    Q_STRING = 0x420072, "QString";
    QLENGTH = 0x420073, "Qlength";
    QUERY_FUNCTION = 0x420074, "QueryFunction";
    RECOMMENDED_CURVE = 0x420075, "RecommendedCurve";
    REPLACED_UNIQUE_IDENTIFIER = 0x420076, "ReplacedUniqueIdentifier";
    REQUEST_HEADER = 0x420077, "RequestHeader";
    REQUEST_MESSAGE = 0x420078, "RequestMessage";
    REQUEST_PAYLOAD = 0x420079, "RequestPayload";
    RESPONSE_HEADER = 0x42007A, "ResponseHeader";
    RESPONSE_MESSAGE = 0x42007B, "ResponseMessage";
    RESPONSE_PAYLOAD = 0x42007C, "ResponsePayload";
    RESULT_MESSAGE = 0x42007D, "ResultMessage";
    RESULT_REASON = 0x42007E, "ResultReason";
    RESULT_STATUS = 0x42007F, "ResultStatus";
    REVOCATION_MESSAGE = 0x420080, "RevocationMessage";
    REVOCATION_REASON = 0x420081, "RevocationReason";
    REVOCATION_REASON_CODE = 0x420082, "RevocationReasonCode";
    KEY_ROLE_TYPE = 0x420083, "KeyRoleType";
    SALT = 0x420084, "Salt";
    SECRET_DATA = 0x420085, "SecretData";
    SECRET_DATA_TYPE = 0x420086, "SecretDataType";
    SERIAL_NUMBER = 0x420087, "SerialNumber";
    SERVER_INFORMATION = 0x420088, "ServerInformation";
    SPLIT_KEY = 0x420089, "SplitKey";
    SPLIT_KEY_METHOD = 0x42008A, "SplitKeyMethod";
    SPLIT_KEY_PARTS = 0x42008B, "SplitKeyParts";
    SPLIT_KEY_THRESHOLD = 0x42008C, "SplitKeyThreshold";
    STATE = 0x42008D, "State";
    STORAGE_STATUS_MASK = 0x42008E, "StorageStatusMask";
    SYMMETRIC_KEY = 0x42008F, "SymmetricKey";
    TEMPLATE = 0x420090, "Template";
    TEMPLATE_ATTRIBUTE = 0x420091, "TemplateAttribute";
    TIME_STAMP = 0x420092, "TimeStamp";
    UNIQUE_BATCH_ITEM_ID = 0x420093, "UniqueBatchItemID";
    UNIQUE_IDENTIFIER = 0x420094, "UniqueIdentifier";
    USAGE_LIMITS = 0x420095, "UsageLimits";
    USAGE_LIMITS_COUNT = 0x420096, "UsageLimitsCount";
    USAGE_LIMITS_TOTAL = 0x420097, "UsageLimitsTotal";
    USAGE_LIMITS_UNIT = 0x420098, "UsageLimitsUnit";
    USERNAME = 0x420099, "Username";
    VALIDITY_DATE = 0x42009A, "ValidityDate";
    VALIDITY_INDICATOR = 0x42009B, "ValidityIndicator";
    VENDOR_EXTENSION = 0x42009C, "VendorExtension";
    VENDOR_IDENTIFICATION = 0x42009D, "VendorIdentification";
    WRAPPING_METHOD = 0x42009E, "WrappingMethod";
    X = 0x42009F, "X";
    Y = 0x4200A0, "Y";
    PASSWORD = 0x4200A1, "Password";
    DEVICE_IDENTIFIER = 0x4200A2, "DeviceIdentifier";
    ENCODING_OPTION = 0x4200A3, "EncodingOption";
    EXTENSION_INFORMATION = 0x4200A4, "ExtensionInformation";
    EXTENSION_NAME = 0x4200A5, "ExtensionName";
    EXTENSION_TAG = 0x4200A6, "ExtensionTag";
    EXTENSION_TYPE = 0x4200A7, "ExtensionType";
    FRESH = 0x4200A8, "Fresh";
    MACHINE_IDENTIFIER = 0x4200A9, "MachineIdentifier";
    MEDIA_IDENTIFIER = 0x4200AA, "MediaIdentifier";
    NETWORK_IDENTIFIER = 0x4200AB, "NetworkIdentifier";
    OBJECT_GROUP_MEMBER = 0x4200AC, "ObjectGroupMember";
    CERTIFICATE_LENGTH = 0x4200AD, "CertificateLength";
    DIGITAL_SIGNATURE_ALGORITHM = 0x4200AE, "DigitalSignatureAlgorithm";
    CERTIFICATE_SERIAL_NUMBER = 0x4200AF, "CertificateSerialNumber";
    DEVICE_SERIAL_NUMBER = 0x4200B0, "DeviceSerialNumber";
    ISSUER_ALTERNATIVE_NAME = 0x4200B1, "IssuerAlternativeName";
    ISSUER_DISTINGUISHED_NAME = 0x4200B2, "IssuerDistinguishedName";
    SUBJECT_ALTERNATIVE_NAME = 0x4200B3, "SubjectAlternativeName";
    SUBJECT_DISTINGUISHED_NAME = 0x4200B4, "SubjectDistinguishedName";
    X_509_CERTIFICATE_IDENTIFIER = 0x4200B5, "X_509CertificateIdentifier";
    X_509_CERTIFICATE_ISSUER = 0x4200B6, "X_509CertificateIssuer";
    X_509_CERTIFICATE_SUBJECT = 0x4200B7, "X_509CertificateSubject";
    KEY_VALUE_LOCATION = 0x4200B8, "KeyValueLocation";
    KEY_VALUE_LOCATION_VALUE = 0x4200B9, "KeyValueLocationValue";
    KEY_VALUE_LOCATION_TYPE = 0x4200BA, "KeyValueLocationType";
    KEY_VALUE_PRESENT = 0x4200BB, "KeyValuePresent";
    ORIGINAL_CREATION_DATE = 0x4200BC, "OriginalCreationDate";
    PGP_KEY = 0x4200BD, "PGPKey";
    PGP_KEY_VERSION = 0x4200BE, "PGPKeyVersion";
    ALTERNATIVE_NAME = 0x4200BF, "AlternativeName";
    ALTERNATIVE_NAME_VALUE = 0x4200C0, "AlternativeNameValue";
    ALTERNATIVE_NAME_TYPE = 0x4200C1, "AlternativeNameType";
    DATA = 0x4200C2, "Data";
    SIGNATURE_DATA = 0x4200C3, "SignatureData";
    DATA_LENGTH = 0x4200C4, "DataLength";
    RANDOM_IV = 0x4200C5, "RandomIV";
    MAC_DATA = 0x4200C6, "MACData";
    ATTESTATION_TYPE = 0x4200C7, "AttestationType";
    NONCE = 0x4200C8, "Nonce";
    NONCE_ID = 0x4200C9, "NonceID";
    NONCE_VALUE = 0x4200CA, "NonceValue";
    ATTESTATION_MEASUREMENT = 0x4200CB, "AttestationMeasurement";
    ATTESTATION_ASSERTION = 0x4200CC, "AttestationAssertion";
    IV_LENGTH = 0x4200CD, "IVLength";
    TAG_LENGTH = 0x4200CE, "TagLength";
    FIXED_FIELD_LENGTH = 0x4200CF, "FixedFieldLength";
    COUNTER_LENGTH = 0x4200D0, "CounterLength";
    INITIAL_COUNTER_VALUE = 0x4200D1, "InitialCounterValue";
    INVOCATION_FIELD_LENGTH = 0x4200D2, "InvocationFieldLength";
    ATTESTATION_CAPABLE_INDICATOR = 0x4200D3, "AttestationCapableIndicator";
    OFFSET_ITEMS = 0x4200D4, "OffsetItems";
    LOCATED_ITEMS = 0x4200D5, "LocatedItems";
    CORRELATION_VALUE = 0x4200D6, "CorrelationValue";
    INIT_INDICATOR = 0x4200D7, "InitIndicator";
    FINAL_INDICATOR = 0x4200D8, "FinalIndicator";
    RNG_PARAMETERS = 0x4200D9, "RNGParameters";
    RNG_ALGORITHM = 0x4200DA, "RNGAlgorithm";
    DRBG_ALGORITHM = 0x4200DB, "DRBGAlgorithm";
    FIPS186_VARIATION = 0x4200DC, "FIPS186Variation";
    PREDICTION_RESISTANCE = 0x4200DD, "PredictionResistance";
    RANDOM_NUMBER_GENERATOR = 0x4200DE, "RandomNumberGenerator";
    VALIDATION_INFORMATION = 0x4200DF, "ValidationInformation";
    VALIDATION_AUTHORITY_TYPE = 0x4200E0, "ValidationAuthorityType";
    VALIDATION_AUTHORITY_COUNTRY = 0x4200E1, "ValidationAuthorityCountry";
    VALIDATION_AUTHORITY_URI = 0x4200E2, "ValidationAuthorityURI";
    VALIDATION_VERSION_MAJOR = 0x4200E3, "ValidationVersionMajor";
    VALIDATION_VERSION_MINOR = 0x4200E4, "ValidationVersionMinor";
    VALIDATION_TYPE = 0x4200E5, "ValidationType";
    VALIDATION_LEVEL = 0x4200E6, "ValidationLevel";
    VALIDATION_CERTIFICATE_IDENTIFIER = 0x4200E7, "ValidationCertificateIdentifier";
    VALIDATION_CERTIFICATE_URI = 0x4200E8, "ValidationCertificateURI";
    VALIDATION_VENDOR_URI = 0x4200E9, "ValidationVendorURI";
    VALIDATION_PROFILE = 0x4200EA, "ValidationProfile";
    PROFILE_INFORMATION = 0x4200EB, "ProfileInformation";
    PROFILE_NAME = 0x4200EC, "ProfileName";
    SERVER_URI = 0x4200ED, "ServerURI";
    SERVER_PORT = 0x4200EE, "ServerPort";
    STREAMING_CAPABILITY = 0x4200EF, "StreamingCapability";
    ASYNCHRONOUS_CAPABILITY = 0x4200F0, "AsynchronousCapability";
    ATTESTATION_CAPABILITY = 0x4200F1, "AttestationCapability";
    UNWRAP_MODE = 0x4200F2, "UnwrapMode";
    DESTROY_ACTION = 0x4200F3, "DestroyAction";
    SHREDDING_ALGORITHM = 0x4200F4, "ShreddingAlgorithm";
    RNG_MODE = 0x4200F5, "RNGMode";
    CLIENT_REGISTRATION_METHOD = 0x4200F6, "ClientRegistrationMethod";
    CAPABILITY_INFORMATION = 0x4200F7, "CapabilityInformation";
    KEY_WRAP_TYPE = 0x4200F8, "KeyWrapType";
    BATCH_UNDO_CAPABILITY = 0x4200F9, "BatchUndoCapability";
    BATCH_CONTINUE_CAPABILITY = 0x4200FA, "BatchContinueCapability";
    PKCS_12_FRIENDLY_NAME = 0x4200FB, "PKCS_12FriendlyName";
    DESCRIPTION = 0x4200FC, "Description";
    COMMENT = 0x4200FD, "Comment";
    AUTHENTICATED_ENCRYPTION_ADDITIONAL_DATA = 0x4200FE, "AuthenticatedEncryptionAdditionalData";
    AUTHENTICATED_ENCRYPTION_TAG = 0x4200FF, "AuthenticatedEncryptionTag";
    SALT_LENGTH = 0x420100, "SaltLength";
    MASK_GENERATOR = 0x420101, "MaskGenerator";
    MASK_GENERATOR_HASHING_ALGORITHM = 0x420102, "MaskGeneratorHashingAlgorithm";
    P_SOURCE = 0x420103, "PSource";
    TRAILER_FIELD = 0x420104, "TrailerField";
    CLIENT_CORRELATION_VALUE = 0x420105, "ClientCorrelationValue";
    SERVER_CORRELATION_VALUE = 0x420106, "ServerCorrelationValue";
    DIGESTED_DATA = 0x420107, "DigestedData";
    CERTIFICATE_SUBJECT_CN = 0x420108, "CertificateSubjectCN";
    CERTIFICATE_SUBJECT_O = 0x420109, "CertificateSubjectO";
    CERTIFICATE_SUBJECT_OU = 0x42010A, "CertificateSubjectOU";
    CERTIFICATE_SUBJECT_EMAIL = 0x42010B, "CertificateSubjectEmail";
    CERTIFICATE_SUBJECT_C = 0x42010C, "CertificateSubjectC";
    CERTIFICATE_SUBJECT_ST = 0x42010D, "CertificateSubjectST";
    CERTIFICATE_SUBJECT_L = 0x42010E, "CertificateSubjectL";
    CERTIFICATE_SUBJECT_UID = 0x42010F, "CertificateSubjectUID";
    CERTIFICATE_SUBJECT_SERIAL_NUMBER = 0x420110, "CertificateSubjectSerialNumber";
    CERTIFICATE_SUBJECT_TITLE = 0x420111, "CertificateSubjectTitle";
    CERTIFICATE_SUBJECT_DC = 0x420112, "CertificateSubjectDC";
    CERTIFICATE_SUBJECT_DN_QUALIFIER = 0x420113, "CertificateSubjectDNQualifier";
    CERTIFICATE_ISSUER_CN = 0x420114, "CertificateIssuerCN";
    CERTIFICATE_ISSUER_O = 0x420115, "CertificateIssuerO";
    CERTIFICATE_ISSUER_OU = 0x420116, "CertificateIssuerOU";
    CERTIFICATE_ISSUER_EMAIL = 0x420117, "CertificateIssuerEmail";
    CERTIFICATE_ISSUER_C = 0x420118, "CertificateIssuerC";
    CERTIFICATE_ISSUER_ST = 0x420119, "CertificateIssuerST";
    CERTIFICATE_ISSUER_L = 0x42011A, "CertificateIssuerL";
    CERTIFICATE_ISSUER_UID = 0x42011B, "CertificateIssuerUID";
    CERTIFICATE_ISSUER_SERIAL_NUMBER = 0x42011C, "CertificateIssuerSerialNumber";
    CERTIFICATE_ISSUER_TITLE = 0x42011D, "CertificateIssuerTitle";
    CERTIFICATE_ISSUER_DC = 0x42011E, "CertificateIssuerDC";
    CERTIFICATE_ISSUER_DN_QUALIFIER = 0x42011F, "CertificateIssuerDNQualifier";
    SENSITIVE = 0x420120, "Sensitive";
    ALWAYS_SENSITIVE = 0x420121, "AlwaysSensitive";
    EXTRACTABLE = 0x420122, "Extractable";
    NEVER_EXTRACTABLE = 0x420123, "NeverExtractable";
    REPLACE_EXISTING = 0x420124, "ReplaceExisting";
    ATTRIBUTES = 0x420125, "Attributes";
    COMMON_ATTRIBUTES = 0x420126, "CommonAttributes";
    PRIVATE_KEY_ATTRIBUTES = 0x420127, "PrivateKeyAttributes";
    PUBLIC_KEY_ATTRIBUTES = 0x420128, "PublicKeyAttributes";
    EXTENSION_ENUMERATION = 0x420129, "ExtensionEnumeration";
    EXTENSION_ATTRIBUTE = 0x42012A, "ExtensionAttribute";
    EXTENSION_PARENT_STRUCTURE_TAG = 0x42012B, "ExtensionParentStructureTag";
    EXTENSION_DESCRIPTION = 0x42012C, "ExtensionDescription";
    SERVER_NAME = 0x42012D, "ServerName";
    SERVER_SERIAL_NUMBER = 0x42012E, "ServerSerialNumber";
    SERVER_VERSION = 0x42012F, "ServerVersion";
    SERVER_LOAD = 0x420130, "ServerLoad";
    PRODUCT_NAME = 0x420131, "ProductName";
    BUILD_LEVEL = 0x420132, "BuildLevel";
    BUILD_DATE = 0x420133, "BuildDate";
    CLUSTER_INFO = 0x420134, "ClusterInfo";
    ALTERNATE_FAILOVER_ENDPOINTS = 0x420135, "AlternateFailoverEndpoints";
    SHORT_UNIQUE_IDENTIFIER = 0x420136, "ShortUniqueIdentifier";
    TAG = 0x420138, "Tag";
    CERTIFICATE_REQUEST_UNIQUE_IDENTIFIER = 0x420139, "CertificateRequestUniqueIdentifier";
    NIST_KEY_TYPE = 0x42013A, "NISTKeyType";
    ATTRIBUTE_REFERENCE = 0x42013B, "AttributeReference";
    CURRENT_ATTRIBUTE = 0x42013C, "CurrentAttribute";
    NEW_ATTRIBUTE = 0x42013D, "NewAttribute";
    CERTIFICATE_REQUEST_VALUE = 0x420140, "CertificateRequestValue";
    LOG_MESSAGE = 0x420141, "LogMessage";
    PROFILE_VERSION = 0x420142, "ProfileVersion";
    PROFILE_VERSION_MAJOR = 0x420143, "ProfileVersionMajor";
    PROFILE_VERSION_MINOR = 0x420144, "ProfileVersionMinor";
    PROTECTION_LEVEL = 0x420145, "ProtectionLevel";
    PROTECTION_PERIOD = 0x420146, "ProtectionPeriod";
    QUANTUM_SAFE = 0x420147, "QuantumSafe";
    QUANTUM_SAFE_CAPABILITY = 0x420148, "QuantumSafeCapability";
    TICKET = 0x420149, "Ticket";
    TICKET_TYPE = 0x42014A, "TicketType";
    TICKET_VALUE = 0x42014B, "TicketValue";
    REQUEST_COUNT = 0x42014C, "RequestCount";
    RIGHTS = 0x42014D, "Rights";
    OBJECTS = 0x42014E, "Objects";
    OPERATIONS = 0x42014F, "Operations";
    RIGHT = 0x420150, "Right";
    ENDPOINT_ROLE = 0x420151, "EndpointRole";
    DEFAULTS_INFORMATION = 0x420152, "DefaultsInformation";
    OBJECT_DEFAULTS = 0x420153, "ObjectDefaults";
    EPHEMERAL = 0x420154, "Ephemeral";
    SERVER_HASHED_PASSWORD = 0x420155, "ServerHashedPassword";
    ONE_TIME_PASSWORD = 0x420156, "OneTimePassword";
    HASHED_PASSWORD = 0x420157, "HashedPassword";
    ADJUSTMENT_TYPE = 0x420158, "AdjustmentType";
    PKCS_11_INTERFACE = 0x420159, "PKCS_11Interface";
    PKCS_11_FUNCTION = 0x42015A, "PKCS_11Function";
    PKCS_11_INPUT_PARAMETERS = 0x42015B, "PKCS_11InputParameters";
    PKCS_11_OUTPUT_PARAMETERS = 0x42015C, "PKCS_11OutputParameters";
    PKCS_11_RETURN_CODE = 0x42015D, "PKCS_11ReturnCode";
    PROTECTION_STORAGE_MASK = 0x42015E, "ProtectionStorageMask";
    PROTECTION_STORAGE_MASKS = 0x42015F, "ProtectionStorageMasks";
    INTEROP_FUNCTION = 0x420160, "InteropFunction";
    INTEROP_IDENTIFIER = 0x420161, "InteropIdentifier";
    ADJUSTMENT_VALUE = 0x420162, "AdjustmentValue";
    COMMON_PROTECTION_STORAGE_MASKS = 0x420163, "CommonProtectionStorageMasks";
    PRIVATE_PROTECTION_STORAGE_MASKS = 0x420164, "PrivateProtectionStorageMasks";
    PUBLIC_PROTECTION_STORAGE_MASKS = 0x420165, "PublicProtectionStorageMasks";
    OBJECT_GROUPS = 0x420166, "ObjectGroups";  // KMIP 2.1
    OBJECT_TYPES = 0x420167, "ObjectTypes";  // KMIP 2.1
    CONSTRAINTS = 0x420168, "Constraints";  // KMIP 2.1
    CONSTRAINT = 0x420169, "Constraint";  // KMIP 2.1
    ROTATE_INTERVAL = 0x42016A, "RotateInterval";  // KMIP 2.1
    ROTATE_AUTOMATIC = 0x42016B, "RotateAutomatic";  // KMIP 2.1
    ROTATE_OFFSET = 0x42016C, "RotateOffset";  // KMIP 2.1
    ROTATE_DATE = 0x42016D, "RotateDate";  // KMIP 2.1
    ROTATE_GENERATION = 0x42016E, "RotateGeneration";  // KMIP 2.1
    ROTATE_NAME = 0x42016F, "RotateName";  // KMIP 2.1
    ROTATE_NAME_VALUE = 0x420170, "RotateNameValue";  // KMIP 2.1
    ROTATE_NAME_TYPE = 0x420171, "RotateNameType";  // KMIP 2.1
    ROTATE_LATEST = 0x420172, "RotateLatest";  // KMIP 2.1
    ASYNCHRONOUS_REQUEST = 0x420173, "AsynchronousRequest";  // KMIP 2.1
    SUBMISSION_DATE = 0x420174, "SubmissionDate";  // KMIP 2.1
    PROCESSING_STAGE = 0x420175, "ProcessingStage";  // KMIP 2.1
    ASYNCHRONOUS_CORRELATION_VALUES = 0x420176, "AsynchronousCorrelationValues";  // KMIP 2.1
    CERTIFICATE_LINK = 0x420190, "CertificateLink";  // KMIP 3.0 (draft, provisional)
    CHILD_LINK = 0x420191, "ChildLink";  // KMIP 3.0 (draft, provisional)
    DERIVATION_OBJECT_LINK = 0x420192, "DerivationObjectLink";  // KMIP 3.0 (draft, provisional)
    DERIVED_OBJECT_LINK = 0x420193, "DerivedObjectLink";  // KMIP 3.0 (draft, provisional)
    NEXT_LINK = 0x420194, "NextLink";  // KMIP 3.0 (draft, provisional)
    PARENT_LINK = 0x420195, "ParentLink";  // KMIP 3.0 (draft, provisional)
    PKCS_12_CERTIFICATE_LINK = 0x420196, "PKCS_12CertificateLink";  // KMIP 3.0 (draft, provisional)
    PKCS_12_PASSWORD_LINK = 0x420197, "PKCS_12PasswordLink";  // KMIP 3.0 (draft, provisional)
    PREVIOUS_LINK = 0x420198, "PreviousLink";  // KMIP 3.0 (draft, provisional)
    PRIVATE_KEY_LINK = 0x420199, "PrivateKeyLink";  // KMIP 3.0 (draft, provisional)
    PUBLIC_KEY_LINK = 0x42019A, "PublicKeyLink";  // KMIP 3.0 (draft, provisional)
    REPLACED_OBJECT_LINK = 0x42019B, "ReplacedObjectLink";  // KMIP 3.0 (draft, provisional)
    REPLACEMENT_OBJECT_LINK = 0x42019C, "ReplacementObjectLink";  // KMIP 3.0 (draft, provisional)
    WRAPPING_KEY_LINK = 0x42019D, "WrappingKeyLink";  // KMIP 3.0 (draft, provisional)
    OBJECT_CLASS = 0x42019E, "ObjectClass";  // KMIP 3.0 (draft, provisional)
    OBJECT_CLASS_MASK = 0x42019F, "ObjectClassMask";  // KMIP 3.0 (draft, provisional)
    CREDENTIAL_LINK = 0x4201A0, "CredentialLink";  // KMIP 3.0 (draft, provisional)
    PASSWORD_CREDENTIAL = 0x4201A1, "PasswordCredential";  // KMIP 3.0 (draft, provisional)
    PASSWORD_SALT = 0x4201A2, "PasswordSalt";  // KMIP 3.0 (draft, provisional)
    PASSWORD_SALT_ALGORITHM = 0x4201A3, "PasswordSaltAlgorithm";  // KMIP 3.0 (draft, provisional)
    SALTED_PASSWORD = 0x4201A4, "SaltedPassword";  // KMIP 3.0 (draft, provisional)
    PASSWORD_LINK = 0x4201A5, "PasswordLink";  // KMIP 3.0 (draft, provisional)
    DEVICE_CREDENTIAL = 0x4201A6, "DeviceCredential";  // KMIP 3.0 (draft, provisional)
    OTP_CREDENTIAL = 0x4201A7, "OTPCredential";  // KMIP 3.0 (draft, provisional)
    HASHED_PASSWORD_CREDENTIAL = 0x4201AF, "HashedPasswordCredential";  // KMIP 3.0 (draft, provisional)
    GROUP_LINK = 0x4201B3, "GroupLink";  // KMIP 3.0 (draft, provisional)
}

/// The XML element name of a known tag (`UniqueIdentifier`), `None` for an unknown one.
pub fn tag_name(tag: Tag) -> Option<&'static str> {
    TAG_TABLE
        .binary_search_by_key(&tag.0, |&(n, _)| n)
        .ok()
        .map(|i| TAG_TABLE[i].1)
}

/// The tag whose XML element name is `name` (exact, case-sensitive).
pub fn tag_by_name(name: &str) -> Option<Tag> {
    static BY_NAME: OnceLock<HashMap<&'static str, u32>> = OnceLock::new();
    BY_NAME
        .get_or_init(|| TAG_TABLE.iter().map(|&(n, s)| (s, n)).collect())
        .get(name)
        .map(|&n| Tag(n))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn table_is_sorted_by_number_without_duplicates() {
        for w in TAG_TABLE.windows(2) {
            assert!(w[0].0 < w[1].0, "0x{:06X} then 0x{:06X}", w[0].0, w[1].0);
        }
        let mut names: Vec<&str> = TAG_TABLE.iter().map(|&(_, s)| s).collect();
        names.sort_unstable();
        for w in names.windows(2) {
            assert_ne!(w[0], w[1], "duplicate tag name");
        }
    }

    #[test]
    fn lookups_agree_both_ways() {
        for &(n, s) in TAG_TABLE {
            assert_eq!(tag_name(Tag(n)), Some(s));
            assert_eq!(tag_by_name(s), Some(Tag(n)));
        }
        assert_eq!(Tag::UNIQUE_IDENTIFIER, Tag(0x420094));
        assert_eq!(tag_by_name("RequestMessage"), Some(Tag::REQUEST_MESSAGE));
        assert_eq!(tag_name(Tag(0x420000)), None);
        assert_eq!(tag_name(Tag(0x540001)), None);
        assert_eq!(tag_by_name("requestmessage"), None);
    }

    #[test]
    fn spot_values_from_the_spec() {
        assert_eq!(Tag::ACTIVATION_DATE.0, 0x420001);
        assert_eq!(Tag::REQUEST_MESSAGE.0, 0x420078);
        assert_eq!(Tag::RESPONSE_MESSAGE.0, 0x42007B);
        assert_eq!(Tag::BATCH_ITEM.0, 0x42000F);
        assert_eq!(Tag::OPERATION.0, 0x42005C);
        assert_eq!(Tag::CRYPTOGRAPHIC_ALGORITHM.0, 0x420028);
        assert_eq!(Tag::X_509_CERTIFICATE_IDENTIFIER.0, 0x4200B5);
        assert_eq!(Tag::PKCS_12_FRIENDLY_NAME.0, 0x4200FB);
        assert_eq!(Tag::ATTRIBUTES.0, 0x420125);
        assert_eq!(Tag::PUBLIC_PROTECTION_STORAGE_MASKS.0, 0x420165);
        assert_eq!(Tag::ASYNCHRONOUS_CORRELATION_VALUES.0, 0x420176);
    }
}
