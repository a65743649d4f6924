//! The enumerations of KMIP 1.4 §9.1.3.2 and 2.1 §11 (the long lists are in `long_lists.rs`).

kmip_enums! {
    /// Enumeration AdjustmentType: KMIP 2.1 §11.
    /// Used by: `AdjustmentType`.
    AdjustmentType {
        INCREMENT = 0x00000001, "Increment";
        DECREMENT = 0x00000002, "Decrement";
        NEGATE = 0x00000003, "Negate";
    }
    /// Enumeration AlternativeNameType: KMIP 1.4 §9.1.3.2.34, 2.1 §11.
    /// Used by: `AlternativeNameType`.
    AlternativeNameType {
        UNINTERPRETED_TEXT_STRING = 0x00000001, "UninterpretedTextString";
        URI = 0x00000002, "URI";
        OBJECT_SERIAL_NUMBER = 0x00000003, "ObjectSerialNumber";
        EMAIL_ADDRESS = 0x00000004, "EmailAddress";
        DNS_NAME = 0x00000005, "DNSName";
        X_500_DISTINGUISHED_NAME = 0x00000006, "X_500DistinguishedName";
        IP_ADDRESS = 0x00000007, "IPAddress";
    }
    /// Enumeration AsynchronousIndicator: KMIP 2.1 §11.
    /// Used by: `AsynchronousIndicator`.
    AsynchronousIndicator {
        MANDATORY = 0x00000001, "Mandatory";
        OPTIONAL = 0x00000002, "Optional";
        PROHIBITED = 0x00000003, "Prohibited";
    }
    /// Enumeration AttestationType: KMIP 1.4 §9.1.3.2.36, 2.1 §11.
    /// Used by: `AttestationType`.
    AttestationType {
        TPM_QUOTE = 0x00000001, "TPMQuote";
        TCG_INTEGRITY_REPORT = 0x00000002, "TCGIntegrityReport";
        SAML_ASSERTION = 0x00000003, "SAMLAssertion";
    }
    /// Enumeration BatchErrorContinuationOption: KMIP 1.4 §9.1.3.2.30, 2.1 §11.
    /// Used by: `BatchErrorContinuationOption`.
    BatchErrorContinuationOption {
        CONTINUE = 0x00000001, "Continue";
        STOP = 0x00000002, "Stop";
        UNDO = 0x00000003, "Undo";
    }
    /// Enumeration BlockCipherMode: KMIP 1.4 §9.1.3.2.14, 2.1 §11.
    /// Used by: `BlockCipherMode`.
    BlockCipherMode {
        CBC = 0x00000001, "CBC";
        ECB = 0x00000002, "ECB";
        PCBC = 0x00000003, "PCBC";
        CFB = 0x00000004, "CFB";
        OFB = 0x00000005, "OFB";
        CTR = 0x00000006, "CTR";
        CMAC = 0x00000007, "CMAC";
        CCM = 0x00000008, "CCM";
        GCM = 0x00000009, "GCM";
        CBC_MAC = 0x0000000A, "CBC_MAC";
        XTS = 0x0000000B, "XTS";
        AES_KEY_WRAP_PADDING = 0x0000000C, "AESKeyWrapPadding";
        NIST_KEY_WRAP = 0x0000000D, "NISTKeyWrap";
        X9_102_AESKW = 0x0000000E, "X9_102_AESKW";
        X9_102_TDKW = 0x0000000F, "X9_102_TDKW";
        X9_102_AKW1 = 0x00000010, "X9_102_AKW1";
        X9_102_AKW2 = 0x00000011, "X9_102_AKW2";
        AEAD = 0x00000012, "AEAD";
    }
    /// Enumeration CancellationResult: KMIP 1.4 §9.1.3.2.25, 2.1 §11.
    /// Used by: `CancellationResult`.
    CancellationResult {
        CANCELED = 0x00000001, "Canceled";
        UNABLE_TO_CANCEL = 0x00000002, "UnableToCancel";
        COMPLETED = 0x00000003, "Completed";
        FAILED = 0x00000004, "Failed";
        UNAVAILABLE = 0x00000005, "Unavailable";
    }
    /// Enumeration CertificateRequestType: KMIP 1.4 §9.1.3.2.22, 2.1 §11.
    /// Used by: `CertificateRequestType`.
    CertificateRequestType {
        CRMF = 0x00000001, "CRMF";
        PKCS10 = 0x00000002, "PKCS10";
        PEM = 0x00000003, "PEM";
        PGP = 0x00000004, "PGP";
    }
    /// Enumeration CertificateType: KMIP 1.4 §9.1.3.2.6, 2.1 §11.
    /// Used by: `CertificateType`.
    CertificateType {
        X_509 = 0x00000001, "X_509";
        PGP = 0x00000002, "PGP";
    }
    /// Enumeration ClientRegistrationMethod: KMIP 1.4 §9.1.3.2.47, 2.1 §11.
    /// Used by: `ClientRegistrationMethod`.
    ClientRegistrationMethod {
        UNSPECIFIED = 0x00000001, "Unspecified";
        SERVER_PRE_GENERATED = 0x00000002, "ServerPreGenerated";
        SERVER_ON_DEMAND = 0x00000003, "ServerOnDemand";
        CLIENT_GENERATED = 0x00000004, "ClientGenerated";
        CLIENT_REGISTERED = 0x00000005, "ClientRegistered";
    }
    /// Enumeration CredentialType: KMIP 1.4 §9.1.3.2.1, 2.1 §11.
    /// Used by: `CredentialType`.
    CredentialType {
        USERNAME_AND_PASSWORD = 0x00000001, "UsernameAndPassword";
        DEVICE = 0x00000002, "Device";
        ATTESTATION = 0x00000003, "Attestation";
        ONE_TIME_PASSWORD = 0x00000004, "OneTimePassword";
        HASHED_PASSWORD = 0x00000005, "HashedPassword";
        TICKET = 0x00000006, "Ticket";
    }
    /// Enumeration Data: KMIP 2.1 §11.
    Data {
        DECRYPT = 0x00000001, "Decrypt";
        ENCRYPT = 0x00000002, "Encrypt";
        HASH = 0x00000003, "HASH";
        MAC_MAC_DATA = 0x00000004, "MAC_MACData";
        RNG_RETRIEVE = 0x00000005, "RNGRetrieve";
        SIGN_SIGNATURE_DATA = 0x00000006, "SignSignatureData";
        SIGNATURE_VERIFY = 0x00000007, "SignatureVerify";
    }
    /// Enumeration DerivationMethod: KMIP 1.4 §9.1.3.2.21, 2.1 §11.
    /// Used by: `DerivationMethod`.
    DerivationMethod {
        PBKDF2 = 0x00000001, "PBKDF2";
        HASH = 0x00000002, "HASH";
        HMAC = 0x00000003, "HMAC";
        ENCRYPT = 0x00000004, "ENCRYPT";
        NIST800_108_C = 0x00000005, "NIST800_108_C";
        NIST800_108_F = 0x00000006, "NIST800_108_F";
        NIST800_108_DPI = 0x00000007, "NIST800_108_DPI";
        ASYMMETRIC_KEY = 0x00000008, "AsymmetricKey";
        AWS_SIGNATURE_VERSION4 = 0x00000009, "AWSSignatureVersion4";
        HKDF = 0x0000000A, "HKDF";
    }
    /// Enumeration DestroyAction: KMIP 1.4 §9.1.3.2.44, 2.1 §11.
    /// Used by: `DestroyAction`.
    DestroyAction {
        UNSPECIFIED = 0x00000001, "Unspecified";
        KEY_MATERIAL_DELETED = 0x00000002, "KeyMaterialDeleted";
        KEY_MATERIAL_SHREDDED = 0x00000003, "KeyMaterialShredded";
        METADATA_DELETED = 0x00000004, "MetadataDeleted";
        METADATA_SHREDDED = 0x00000005, "MetadataShredded";
        DELETED = 0x00000006, "Deleted";
        SHREDDED = 0x00000007, "Shredded";
    }
    /// Enumeration DigitalSignatureAlgorithm: KMIP 1.4 §9.1.3.2.7, 2.1 §11.
    /// Used by: `DigitalSignatureAlgorithm`.
    DigitalSignatureAlgorithm {
        MD2_WITH_RSA_ENCRYPTION = 0x00000001, "MD2WithRSAEncryption";
        MD5_WITH_RSA_ENCRYPTION = 0x00000002, "MD5WithRSAEncryption";
        SHA_1_WITH_RSA_ENCRYPTION = 0x00000003, "SHA_1WithRSAEncryption";
        SHA_224_WITH_RSA_ENCRYPTION = 0x00000004, "SHA_224WithRSAEncryption";
        SHA_256_WITH_RSA_ENCRYPTION = 0x00000005, "SHA_256WithRSAEncryption";
        SHA_384_WITH_RSA_ENCRYPTION = 0x00000006, "SHA_384WithRSAEncryption";
        SHA_512_WITH_RSA_ENCRYPTION = 0x00000007, "SHA_512WithRSAEncryption";
        RSASSA_PSS = 0x00000008, "RSASSA_PSS";
        DSA_WITH_SHA_1 = 0x00000009, "DSAWithSHA_1";
        DSA_WITH_SHA224 = 0x0000000A, "DSAWithSHA224";
        DSA_WITH_SHA256 = 0x0000000B, "DSAWithSHA256";
        ECDSA_WITH_SHA_1 = 0x0000000C, "ECDSAWithSHA_1";
        ECDSA_WITH_SHA224 = 0x0000000D, "ECDSAWithSHA224";
        ECDSA_WITH_SHA256 = 0x0000000E, "ECDSAWithSHA256";
        ECDSA_WITH_SHA384 = 0x0000000F, "ECDSAWithSHA384";
        ECDSA_WITH_SHA512 = 0x00000010, "ECDSAWithSHA512";
        SHA3_256_WITH_RSA_ENCRYPTION = 0x00000011, "SHA3_256WithRSAEncryption";
        SHA3_384_WITH_RSA_ENCRYPTION = 0x00000012, "SHA3_384WithRSAEncryption";
        SHA3_512_WITH_RSA_ENCRYPTION = 0x00000013, "SHA3_512WithRSAEncryption";
    }
    /// Enumeration DRBGAlgorithm: KMIP 1.4 §9.1.3.2.38, 2.1 §11.
    /// Used by: `DRBGAlgorithm`.
    DRBGAlgorithm {
        UNSPECIFIED = 0x00000001, "Unspecified";
        DUAL_EC = 0x00000002, "Dual_EC";
        HASH = 0x00000003, "Hash";
        HMAC = 0x00000004, "HMAC";
        CTR = 0x00000005, "CTR";
    }
    /// Enumeration EncodingOption: KMIP 1.4 §9.1.3.2.32, 2.1 §11.
    /// Used by: `EncodingOption`.
    EncodingOption {
        NO_ENCODING = 0x00000001, "NoEncoding";
        TTLV_ENCODING = 0x00000002, "TTLVEncoding";
    }
    /// Enumeration EndpointRole: KMIP 2.1 §11.
    /// Used by: `EndpointRole`.
    EndpointRole {
        CLIENT = 0x00000001, "Client";
        SERVER = 0x00000002, "Server";
    }
    /// Enumeration FIPS186Variation: KMIP 1.4 §9.1.3.2.39, 2.1 §11.
    /// Used by: `FIPS186Variation`.
    FIPS186Variation {
        UNSPECIFIED = 0x00000001, "Unspecified";
        GP_X_ORIGINAL = 0x00000002, "GP_XOriginal";
        GP_X_CHANGE_NOTICE = 0x00000003, "GP_XChangeNotice";
        X_ORIGINAL = 0x00000004, "XOriginal";
        X_CHANGE_NOTICE = 0x00000005, "XChangeNotice";
        K_ORIGINAL = 0x00000006, "KOriginal";
        K_CHANGE_NOTICE = 0x00000007, "KChangeNotice";
    }
    /// Enumeration HashingAlgorithm: KMIP 1.4 §9.1.3.2.16, 2.1 §11.
    /// Used by: `HashingAlgorithm`, `MaskGeneratorHashingAlgorithm`.
    HashingAlgorithm {
        MD2 = 0x00000001, "MD2";
        MD4 = 0x00000002, "MD4";
        MD5 = 0x00000003, "MD5";
        SHA_1 = 0x00000004, "SHA_1";
        SHA_224 = 0x00000005, "SHA_224";
        SHA_256 = 0x00000006, "SHA_256";
        SHA_384 = 0x00000007, "SHA_384";
        SHA_512 = 0x00000008, "SHA_512";
        RIPEMD_160 = 0x00000009, "RIPEMD_160";
        TIGER = 0x0000000A, "Tiger";
        WHIRLPOOL = 0x0000000B, "Whirlpool";
        SHA_512_224 = 0x0000000C, "SHA_512_224";
        SHA_512_256 = 0x0000000D, "SHA_512_256";
        SHA3_224 = 0x0000000E, "SHA3_224";
        SHA3_256 = 0x0000000F, "SHA3_256";
        SHA3_384 = 0x00000010, "SHA3_384";
        SHA3_512 = 0x00000011, "SHA3_512";
    }
    /// Enumeration InteropFunction: KMIP 2.1 §11.
    /// Used by: `InteropFunction`.
    InteropFunction {
        BEGIN = 0x00000001, "Begin";
        END = 0x00000002, "End";
        RESET = 0x00000003, "Reset";
    }
    /// Enumeration ItemType: KMIP 2.1 §11.
    /// Used by: `ExtensionType`.
    ItemType {
        STRUCTURE = 0x00000001, "Structure";
        INTEGER = 0x00000002, "Integer";
        LONG_INTEGER = 0x00000003, "LongInteger";
        BIG_INTEGER = 0x00000004, "BigInteger";
        ENUMERATION = 0x00000005, "Enumeration";
        BOOLEAN = 0x00000006, "Boolean";
        TEXT_STRING = 0x00000007, "TextString";
        BYTE_STRING = 0x00000008, "ByteString";
        DATE_TIME = 0x00000009, "DateTime";
        INTERVAL = 0x0000000A, "Interval";
        DATE_TIME_EXTENDED = 0x0000000B, "DateTimeExtended";
    }
    /// Enumeration KeyCompressionType: KMIP 1.4 §9.1.3.2.2, 2.1 §11.
    /// Used by: `KeyCompressionType`.
    KeyCompressionType {
        EC_PUBLIC_KEY_TYPE_UNCOMPRESSED = 0x00000001, "ECPublicKeyTypeUncompressed";
        EC_PUBLIC_KEY_TYPE_X9_62_COMPRESSED_PRIME = 0x00000002, "ECPublicKeyTypeX9_62CompressedPrime";
        EC_PUBLIC_KEY_TYPE_X9_62_COMPRESSED_CHAR2 = 0x00000003, "ECPublicKeyTypeX9_62CompressedCHAR2";
        EC_PUBLIC_KEY_TYPE_X9_62_HYBRID = 0x00000004, "ECPublicKeyTypeX9_62Hybrid";
    }
    /// Enumeration KeyFormatType: KMIP 1.4 §9.1.3.2.3, 2.1 §11.
    /// Used by: `KeyFormatType`.
    KeyFormatType {
        RAW = 0x00000001, "Raw";
        OPAQUE = 0x00000002, "Opaque";
        PKCS_1 = 0x00000003, "PKCS_1";
        PKCS_8 = 0x00000004, "PKCS_8";
        X_509 = 0x00000005, "X_509";
        EC_PRIVATE_KEY = 0x00000006, "ECPrivateKey";
        TRANSPARENT_SYMMETRIC_KEY = 0x00000007, "TransparentSymmetricKey";
        TRANSPARENT_DSA_PRIVATE_KEY = 0x00000008, "TransparentDSAPrivateKey";
        TRANSPARENT_DSA_PUBLIC_KEY = 0x00000009, "TransparentDSAPublicKey";
        TRANSPARENT_RSA_PRIVATE_KEY = 0x0000000A, "TransparentRSAPrivateKey";
        TRANSPARENT_RSA_PUBLIC_KEY = 0x0000000B, "TransparentRSAPublicKey";
        TRANSPARENT_DH_PRIVATE_KEY = 0x0000000C, "TransparentDHPrivateKey";
        TRANSPARENT_DH_PUBLIC_KEY = 0x0000000D, "TransparentDHPublicKey";
        TRANSPARENT_ECDSA_PRIVATE_KEY = 0x0000000E, "TransparentECDSAPrivateKey";
        TRANSPARENT_ECDSA_PUBLIC_KEY = 0x0000000F, "TransparentECDSAPublicKey";
        TRANSPARENT_ECDH_PRIVATE_KEY = 0x00000010, "TransparentECDHPrivateKey";
        TRANSPARENT_ECDH_PUBLIC_KEY = 0x00000011, "TransparentECDHPublicKey";
        TRANSPARENT_ECMQV_PRIVATE_KEY = 0x00000012, "TransparentECMQVPrivateKey";
        TRANSPARENT_ECMQV_PUBLIC_KEY = 0x00000013, "TransparentECMQVPublicKey";
        TRANSPARENT_EC_PRIVATE_KEY = 0x00000014, "TransparentECPrivateKey";
        TRANSPARENT_EC_PUBLIC_KEY = 0x00000015, "TransparentECPublicKey";
        PKCS_12 = 0x00000016, "PKCS_12";
    }
    /// Enumeration KeyRoleType: KMIP 1.4 §9.1.3.2.17, 2.1 §11.
    /// Used by: `KeyRoleType`.
    KeyRoleType {
        BDK = 0x00000001, "BDK";
        CVK = 0x00000002, "CVK";
        DEK = 0x00000003, "DEK";
        MKAC = 0x00000004, "MKAC";
        MKSMC = 0x00000005, "MKSMC";
        MKSMI = 0x00000006, "MKSMI";
        MKDAC = 0x00000007, "MKDAC";
        MKDN = 0x00000008, "MKDN";
        MKCP = 0x00000009, "MKCP";
        MKOTH = 0x0000000A, "MKOTH";
        KEK = 0x0000000B, "KEK";
        MAC16609 = 0x0000000C, "MAC16609";
        MAC97971 = 0x0000000D, "MAC97971";
        MAC97972 = 0x0000000E, "MAC97972";
        MAC97973 = 0x0000000F, "MAC97973";
        MAC97974 = 0x00000010, "MAC97974";
        MAC97975 = 0x00000011, "MAC97975";
        ZPK = 0x00000012, "ZPK";
        PVKIBM = 0x00000013, "PVKIBM";
        PVKPVV = 0x00000014, "PVKPVV";
        PVKOTH = 0x00000015, "PVKOTH";
        DUKPT = 0x00000016, "DUKPT";
        IV = 0x00000017, "IV";
        TRKBK = 0x00000018, "TRKBK";
    }
    /// Enumeration KeyValueLocationType: KMIP 1.4 §9.1.3.2.35, 2.1 §11.
    /// Used by: `KeyValueLocationType`.
    KeyValueLocationType {
        UNINTERPRETED_TEXT_STRING = 0x00000001, "UninterpretedTextString";
        URI = 0x00000002, "URI";
    }
    /// Enumeration KeyWrapType: KMIP 1.4 §9.1.3.2.48, 2.1 §11.
    /// Used by: `KeyWrapType`.
    KeyWrapType {
        NOT_WRAPPED = 0x00000001, "NotWrapped";
        AS_REGISTERED = 0x00000002, "AsRegistered";
    }
    /// Enumeration LinkType: KMIP 1.4 §9.1.3.2.20, 2.1 §11.
    /// Used by: `LinkType`.
    LinkType {
        CERTIFICATE_LINK = 0x00000101, "CertificateLink";
        PUBLIC_KEY_LINK = 0x00000102, "PublicKeyLink";
        PRIVATE_KEY_LINK = 0x00000103, "PrivateKeyLink";
        DERIVATION_BASE_OBJECT_LINK = 0x00000104, "DerivationBaseObjectLink";
        DERIVED_KEY_LINK = 0x00000105, "DerivedKeyLink";
        REPLACEMENT_OBJECT_LINK = 0x00000106, "ReplacementObjectLink";
        REPLACED_OBJECT_LINK = 0x00000107, "ReplacedObjectLink";
        PARENT_LINK = 0x00000108, "ParentLink";
        CHILD_LINK = 0x00000109, "ChildLink";
        PREVIOUS_LINK = 0x0000010A, "PreviousLink";
        NEXT_LINK = 0x0000010B, "NextLink";
        PKCS_12_CERTIFICATE_LINK = 0x0000010C, "PKCS_12CertificateLink";
        PKCS_12_PASSWORD_LINK = 0x0000010D, "PKCS_12PasswordLink";
        WRAPPING_KEY_LINK = 0x0000010E, "WrappingKeyLink";
    }
    /// Enumeration MaskGenerator: KMIP 1.4 §9.1.3.2.49, 2.1 §11.
    /// Used by: `MaskGenerator`.
    MaskGenerator {
        MGF1 = 0x00000001, "MGF1";
    }
    /// Enumeration NameType: KMIP 1.4 §9.1.3.2.11, 2.1 §11.
    /// Used by: `NameType`.
    NameType {
        UNINTERPRETED_TEXT_STRING = 0x00000001, "UninterpretedTextString";
        URI = 0x00000002, "URI";
    }
    /// Enumeration NISTKeyType: KMIP 2.1 §11.
    /// Used by: `NISTKeyType`.
    NISTKeyType {
        PRIVATE_SIGNATURE_KEY = 0x00000001, "PrivateSignatureKey";
        PUBLIC_SIGNATURE_VERIFICATION_KEY = 0x00000002, "PublicSignatureVerificationKey";
        SYMMETRIC_AUTHENTICATION_KEY = 0x00000003, "SymmetricAuthenticationKey";
        PRIVATE_AUTHENTICATION_KEY = 0x00000004, "PrivateAuthenticationKey";
        PUBLIC_AUTHENTICATION_KEY = 0x00000005, "PublicAuthenticationKey";
        SYMMETRIC_DATA_ENCRYPTION_KEY = 0x00000006, "SymmetricDataEncryptionKey";
        SYMMETRIC_KEY_WRAPPING_KEY = 0x00000007, "SymmetricKeyWrappingKey";
        SYMMETRIC_RANDOM_NUMBER_GENERATION_KEY = 0x00000008, "SymmetricRandomNumberGenerationKey";
        SYMMETRIC_MASTER_KEY = 0x00000009, "SymmetricMasterKey";
        PRIVATE_KEY_TRANSPORT_KEY = 0x0000000A, "PrivateKeyTransportKey";
        PUBLIC_KEY_TRANSPORT_KEY = 0x0000000B, "PublicKeyTransportKey";
        SYMMETRIC_KEY_AGREEMENT_KEY = 0x0000000C, "SymmetricKeyAgreementKey";
        PRIVATE_STATIC_KEY_AGREEMENT_KEY = 0x0000000D, "PrivateStaticKeyAgreementKey";
        PUBLIC_STATIC_KEY_AGREEMENT_KEY = 0x0000000E, "PublicStaticKeyAgreementKey";
        PRIVATE_EPHEMERAL_KEY_AGREEMENT_KEY = 0x0000000F, "PrivateEphemeralKeyAgreementKey";
        PUBLIC_EPHEMERAL_KEY_AGREEMENT_KEY = 0x00000010, "PublicEphemeralKeyAgreementKey";
        SYMMETRIC_AUTHORIZATION_KEY = 0x00000011, "SymmetricAuthorizationKey";
        PRIVATE_AUTHORIZATION_KEY = 0x00000012, "PrivateAuthorizationKey";
        PUBLIC_AUTHORIZATION_KEY = 0x00000013, "PublicAuthorizationKey";
    }
    /// Enumeration ObjectGroupMember: KMIP 1.4 §9.1.3.2.33, 2.1 §11.
    /// Used by: `ObjectGroupMember`.
    ObjectGroupMember {
        GROUP_MEMBER_FRESH = 0x00000001, "GroupMemberFresh";
        GROUP_MEMBER_DEFAULT = 0x00000002, "GroupMemberDefault";
    }
    /// Enumeration ObjectType: KMIP 1.4 §9.1.3.2.12, 2.1 §11.
    /// Used by: `ObjectType`.
    ObjectType {
        CERTIFICATE = 0x00000001, "Certificate";
        SYMMETRIC_KEY = 0x00000002, "SymmetricKey";
        PUBLIC_KEY = 0x00000003, "PublicKey";
        PRIVATE_KEY = 0x00000004, "PrivateKey";
        SPLIT_KEY = 0x00000005, "SplitKey";
        TEMPLATE = 0x00000006, "Template";
        SECRET_DATA = 0x00000007, "SecretData";
        OPAQUE_OBJECT = 0x00000008, "OpaqueObject";
        PGP_KEY = 0x00000009, "PGPKey";
        CERTIFICATE_REQUEST = 0x0000000A, "CertificateRequest";
    }
    /// Enumeration OpaqueDataType: KMIP 1.4 §9.1.3.2.10, 2.1 §11.
    /// Used by: `OpaqueDataType`.
    OpaqueDataType {
        NONE = 0x80000000, "None";
    }
    /// Enumeration Operation: KMIP 1.4 §9.1.3.2.27, 2.1 §11.
    /// Used by: `Operation`.
    Operation {
        CREATE = 0x00000001, "Create";
        CREATE_KEY_PAIR = 0x00000002, "CreateKeyPair";
        REGISTER = 0x00000003, "Register";
        RE_KEY = 0x00000004, "ReKey";
        DERIVE_KEY = 0x00000005, "DeriveKey";
        CERTIFY = 0x00000006, "Certify";
        RE_CERTIFY = 0x00000007, "ReCertify";
        LOCATE = 0x00000008, "Locate";
        CHECK = 0x00000009, "Check";
        GET = 0x0000000A, "Get";
        GET_ATTRIBUTES = 0x0000000B, "GetAttributes";
        GET_ATTRIBUTE_LIST = 0x0000000C, "GetAttributeList";
        ADD_ATTRIBUTE = 0x0000000D, "AddAttribute";
        MODIFY_ATTRIBUTE = 0x0000000E, "ModifyAttribute";
        DELETE_ATTRIBUTE = 0x0000000F, "DeleteAttribute";
        OBTAIN_LEASE = 0x00000010, "ObtainLease";
        GET_USAGE_ALLOCATION = 0x00000011, "GetUsageAllocation";
        ACTIVATE = 0x00000012, "Activate";
        REVOKE = 0x00000013, "Revoke";
        DESTROY = 0x00000014, "Destroy";
        ARCHIVE = 0x00000015, "Archive";
        RECOVER = 0x00000016, "Recover";
        VALIDATE = 0x00000017, "Validate";
        QUERY = 0x00000018, "Query";
        CANCEL = 0x00000019, "Cancel";
        POLL = 0x0000001A, "Poll";
        NOTIFY = 0x0000001B, "Notify";
        PUT = 0x0000001C, "Put";
        RE_KEY_KEY_PAIR = 0x0000001D, "ReKeyKeyPair";
        DISCOVER_VERSIONS = 0x0000001E, "DiscoverVersions";
        ENCRYPT = 0x0000001F, "Encrypt";
        DECRYPT = 0x00000020, "Decrypt";
        SIGN = 0x00000021, "Sign";
        SIGNATURE_VERIFY = 0x00000022, "SignatureVerify";
        MAC = 0x00000023, "MAC";
        MAC_VERIFY = 0x00000024, "MACVerify";
        RNG_RETRIEVE = 0x00000025, "RNGRetrieve";
        RNG_SEED = 0x00000026, "RNGSeed";
        HASH = 0x00000027, "Hash";
        CREATE_SPLIT_KEY = 0x00000028, "CreateSplitKey";
        JOIN_SPLIT_KEY = 0x00000029, "JoinSplitKey";
        IMPORT = 0x0000002A, "Import";
        EXPORT = 0x0000002B, "Export";
        LOG = 0x0000002C, "Log";
        LOGIN = 0x0000002D, "Login";
        LOGOUT = 0x0000002E, "Logout";
        DELEGATED_LOGIN = 0x0000002F, "DelegatedLogin";
        ADJUST_ATTRIBUTE = 0x00000030, "AdjustAttribute";
        SET_ATTRIBUTE = 0x00000031, "SetAttribute";
        SET_ENDPOINT_ROLE = 0x00000032, "SetEndpointRole";
        PKCS_11 = 0x00000033, "PKCS_11";
        INTEROP = 0x00000034, "Interop";
        RE_PROVISION = 0x00000035, "ReProvision";
        SET_DEFAULTS = 0x00000036, "SetDefaults";
        SET_CONSTRAINTS = 0x00000037, "SetConstraints";
        GET_CONSTRAINTS = 0x00000038, "GetConstraints";
        QUERY_ASYNCHRONOUS_REQUESTS = 0x00000039, "QueryAsynchronousRequests";
        PROCESS = 0x0000003A, "Process";
        PING = 0x0000003B, "Ping";
    }
    /// Enumeration PaddingMethod: KMIP 1.4 §9.1.3.2.15, 2.1 §11.
    /// Used by: `PaddingMethod`.
    PaddingMethod {
        NONE = 0x00000001, "None";
        OAEP = 0x00000002, "OAEP";
        PKCS5 = 0x00000003, "PKCS5";
        SSL3 = 0x00000004, "SSL3";
        ZEROS = 0x00000005, "Zeros";
        ANSIX9_23 = 0x00000006, "ANSIX9_23";
        ISO10126 = 0x00000007, "ISO10126";
        PKCS1_V1_5 = 0x00000008, "PKCS1V1_5";
        X9_31 = 0x00000009, "X9_31";
        PSS = 0x0000000A, "PSS";
    }
    /// Enumeration PKCS11ReturnCode: KMIP 2.1 §11.
    /// Used by: `PKCS_11ReturnCode`.
    PKCS11ReturnCode {
        OK = 0x00000000, "OK";
    }
    /// Enumeration ProcessingStage: KMIP 2.1 §11.
    /// Used by: `ProcessingStage`.
    ProcessingStage {
        SUBMITTED = 0x00000001, "Submitted";
        IN_PROCESS = 0x00000002, "InProcess";
        COMPLETED = 0x00000003, "Completed";
    }
    /// Enumeration ProtectionLevel: KMIP 2.1 §11.
    /// Used by: `ProtectionLevel`.
    ProtectionLevel {
        HIGH = 0x00000001, "High";
        LOW = 0x00000002, "Low";
    }
    /// Enumeration PutFunction: KMIP 1.4 §9.1.3.2.26, 2.1 §11.
    /// Used by: `PutFunction`.
    PutFunction {
        NEW = 0x00000001, "New";
        REPLACE = 0x00000002, "Replace";
    }
    /// Enumeration QueryFunction: KMIP 1.4 §9.1.3.2.24, 2.1 §11.
    /// Used by: `QueryFunction`.
    QueryFunction {
        QUERY_OPERATIONS = 0x00000001, "QueryOperations";
        QUERY_OBJECTS = 0x00000002, "QueryObjects";
        QUERY_SERVER_INFORMATION = 0x00000003, "QueryServerInformation";
        QUERY_APPLICATION_NAMESPACES = 0x00000004, "QueryApplicationNamespaces";
        QUERY_EXTENSION_LIST = 0x00000005, "QueryExtensionList";
        QUERY_EXTENSION_MAP = 0x00000006, "QueryExtensionMap";
        QUERY_ATTESTATION_TYPES = 0x00000007, "QueryAttestationTypes";
        QUERY_RN_GS = 0x00000008, "QueryRNGs";
        QUERY_VALIDATIONS = 0x00000009, "QueryValidations";
        QUERY_PROFILES = 0x0000000A, "QueryProfiles";
        QUERY_CAPABILITIES = 0x0000000B, "QueryCapabilities";
        QUERY_CLIENT_REGISTRATION_METHODS = 0x0000000C, "QueryClientRegistrationMethods";
        QUERY_DEFAULTS_INFORMATION = 0x0000000D, "QueryDefaultsInformation";
        QUERY_STORAGE_PROTECTION_MASKS = 0x0000000E, "QueryStorageProtectionMasks";
    }
    /// Enumeration ResultStatus: KMIP 1.4 §9.1.3.2.28, 2.1 §11.
    /// Used by: `ResultStatus`.
    ResultStatus {
        SUCCESS = 0x00000000, "Success";
        OPERATION_FAILED = 0x00000001, "OperationFailed";
        OPERATION_PENDING = 0x00000002, "OperationPending";
        OPERATION_UNDONE = 0x00000003, "OperationUndone";
    }
    /// Enumeration RevocationReasonCode: KMIP 1.4 §9.1.3.2.19, 2.1 §11.
    /// Used by: `RevocationReasonCode`.
    RevocationReasonCode {
        UNSPECIFIED = 0x00000001, "Unspecified";
        KEY_COMPROMISE = 0x00000002, "KeyCompromise";
        CA_COMPROMISE = 0x00000003, "CACompromise";
        AFFILIATION_CHANGED = 0x00000004, "AffiliationChanged";
        SUPERSEDED = 0x00000005, "Superseded";
        CESSATION_OF_OPERATION = 0x00000006, "CessationOfOperation";
        PRIVILEGE_WITHDRAWN = 0x00000007, "PrivilegeWithdrawn";
    }
    /// Enumeration RNGAlgorithm: KMIP 1.4 §9.1.3.2.37, 2.1 §11.
    /// Used by: `RNGAlgorithm`.
    RNGAlgorithm {
        UNSPECIFIED = 0x00000001, "Unspecified";
        FIPS186_2 = 0x00000002, "FIPS186_2";
        DRBG = 0x00000003, "DRBG";
        NRBG = 0x00000004, "NRBG";
        ANSIX9_31 = 0x00000005, "ANSIX9_31";
        ANSIX9_62 = 0x00000006, "ANSIX9_62";
    }
    /// Enumeration RNGMode: KMIP 1.4 §9.1.3.2.46, 2.1 §11.
    /// Used by: `RNGMode`.
    RNGMode {
        UNSPECIFIED = 0x00000001, "Unspecified";
        SHARED_INSTANTIATION = 0x00000002, "SharedInstantiation";
        NON_SHARED_INSTANTIATION = 0x00000003, "NonSharedInstantiation";
    }
    /// Enumeration SecretDataType: KMIP 1.4 §9.1.3.2.9, 2.1 §11.
    /// Used by: `SecretDataType`.
    SecretDataType {
        PASSWORD = 0x00000001, "Password";
        SEED = 0x00000002, "Seed";
    }
    /// Enumeration ShreddingAlgorithm: KMIP 1.4 §9.1.3.2.45, 2.1 §11.
    /// Used by: `ShreddingAlgorithm`.
    ShreddingAlgorithm {
        UNSPECIFIED = 0x00000001, "Unspecified";
        CRYPTOGRAPHIC = 0x00000002, "Cryptographic";
        UNSUPPORTED = 0x00000003, "Unsupported";
    }
    /// Enumeration SplitKeyMethod: KMIP 1.4 §9.1.3.2.8, 2.1 §11.
    /// Used by: `SplitKeyMethod`.
    SplitKeyMethod {
        XOR = 0x00000001, "XOR";
        POLYNOMIAL_SHARING_GF2_16 = 0x00000002, "PolynomialSharingGF2_16";
        POLYNOMIAL_SHARING_PRIME_FIELD = 0x00000003, "PolynomialSharingPrimeField";
        POLYNOMIAL_SHARING_GF2_8 = 0x00000004, "PolynomialSharingGF2_8";
    }
    /// Enumeration State: KMIP 1.4 §9.1.3.2.18, 2.1 §11.
    /// Used by: `State`.
    State {
        PRE_ACTIVE = 0x00000001, "PreActive";
        ACTIVE = 0x00000002, "Active";
        DEACTIVATED = 0x00000003, "Deactivated";
        COMPROMISED = 0x00000004, "Compromised";
        DESTROYED = 0x00000005, "Destroyed";
        DESTROYED_COMPROMISED = 0x00000006, "DestroyedCompromised";
    }
    /// Enumeration TicketType: KMIP 2.1 §11.
    /// Used by: `TicketType`.
    TicketType {
        LOGIN = 0x00000001, "Login";
    }
    /// Enumeration UniqueIdentifier: KMIP 2.1 §11.
    /// Used by: `UniqueIdentifier`, `PrivateKeyUniqueIdentifier`, `PublicKeyUniqueIdentifier`.
    UniqueIdentifier {
        ID_PLACEHOLDER = 0x00000001, "IDPlaceholder";
        CERTIFY = 0x00000002, "Certify";
        CREATE = 0x00000003, "Create";
        CREATE_KEY_PAIR = 0x00000004, "CreateKeyPair";
        CREATE_KEY_PAIR_PRIVATE_KEY = 0x00000005, "CreateKeyPairPrivateKey";
        CREATE_KEY_PAIR_PUBLIC_KEY = 0x00000006, "CreateKeyPairPublicKey";
        CREATE_SPLIT_KEY = 0x00000007, "CreateSplitKey";
        DERIVE_KEY = 0x00000008, "DeriveKey";
        IMPORT = 0x00000009, "Import";
        JOIN_SPLIT_KEY = 0x0000000A, "JoinSplitKey";
        LOCATE = 0x0000000B, "Locate";
        REGISTER = 0x0000000C, "Register";
        RE_KEY = 0x0000000D, "ReKey";
        RE_CERTIFY = 0x0000000E, "ReCertify";
        RE_KEY_KEY_PAIR = 0x0000000F, "ReKeyKeyPair";
        RE_KEY_KEY_PAIR_PRIVATE_KEY = 0x00000010, "ReKeyKeyPairPrivateKey";
        RE_KEY_KEY_PAIR_PUBLIC_KEY = 0x00000011, "ReKeyKeyPairPublicKey";
    }
    /// Enumeration UnwrapMode: KMIP 1.4 §9.1.3.2.43, 2.1 §11.
    /// Used by: `UnwrapMode`.
    UnwrapMode {
        UNSPECIFIED = 0x00000001, "Unspecified";
        PROCESSED = 0x00000002, "Processed";
        NOT_PROCESSED = 0x00000003, "NotProcessed";
    }
    /// Enumeration UsageLimitsUnit: KMIP 1.4 §9.1.3.2.31, 2.1 §11.
    /// Used by: `UsageLimitsUnit`.
    UsageLimitsUnit {
        BYTE = 0x00000001, "Byte";
        OBJECT = 0x00000002, "Object";
    }
    /// Enumeration ValidationAuthorityType: KMIP 1.4 §9.1.3.2.40, 2.1 §11.
    /// Used by: `ValidationAuthorityType`.
    ValidationAuthorityType {
        UNSPECIFIED = 0x00000001, "Unspecified";
        NISTCMVP = 0x00000002, "NISTCMVP";
        COMMON_CRITERIA = 0x00000003, "CommonCriteria";
    }
    /// Enumeration ValidationType: KMIP 1.4 §9.1.3.2.41, 2.1 §11.
    /// Used by: `ValidationType`.
    ValidationType {
        UNSPECIFIED = 0x00000001, "Unspecified";
        HARDWARE = 0x00000002, "Hardware";
        SOFTWARE = 0x00000003, "Software";
        FIRMWARE = 0x00000004, "Firmware";
        HYBRID = 0x00000005, "Hybrid";
    }
    /// Enumeration ValidityIndicator: KMIP 1.4 §9.1.3.2.23, 2.1 §11.
    /// Used by: `ValidityIndicator`.
    ValidityIndicator {
        VALID = 0x00000001, "Valid";
        INVALID = 0x00000002, "Invalid";
        UNKNOWN = 0x00000003, "Unknown";
    }
    /// Enumeration WrappingMethod: KMIP 1.4 §9.1.3.2.4, 2.1 §11.
    /// Used by: `WrappingMethod`.
    WrappingMethod {
        ENCRYPT = 0x00000001, "Encrypt";
        MAC_SIGN = 0x00000002, "MACSign";
        ENCRYPT_THEN_MAC_SIGN = 0x00000003, "EncryptThenMACSign";
        MAC_SIGN_THEN_ENCRYPT = 0x00000004, "MACSignThenEncrypt";
        TR_31 = 0x00000005, "TR_31";
    }
}
