//! KMIP protocol versions (KMIP 1.4 §6.1, KMIP 2.1 §8.1).

/// A protocol version. Ordered by (major, minor).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Version {
    pub major: i32,
    pub minor: i32,
}

impl Version {
    pub const fn new(major: i32, minor: i32) -> Version {
        Version { major, minor }
    }

    /// Whether this server speaks `self`.
    pub fn is_supported(self) -> bool {
        SUPPORTED.contains(&self)
    }

    /// Whether this is a KMIP 2.x message shape (`Attributes`, no Template-Attribute).
    pub fn is_2x(self) -> bool {
        self.major >= 2
    }
}

impl std::fmt::Display for Version {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}.{}", self.major, self.minor)
    }
}

pub const V1_0: Version = Version::new(1, 0);
pub const V1_1: Version = Version::new(1, 1);
pub const V1_2: Version = Version::new(1, 2);
pub const V1_3: Version = Version::new(1, 3);
pub const V1_4: Version = Version::new(1, 4);
pub const V2_0: Version = Version::new(2, 0);
pub const V2_1: Version = Version::new(2, 1);

/// Every version this server speaks, newest first (the order Discover Versions answers in).
pub const SUPPORTED: &[Version] = &[V2_1, V2_0, V1_4, V1_3, V1_2, V1_1, V1_0];
