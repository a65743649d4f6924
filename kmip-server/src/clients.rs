//! Which token a verified client uses: `[[kmip.clients]]` rules and `kmip.default_token`.
//!
//! Order: a rule naming the certificate's whole subject, then a rule naming its common name,
//! then the default token. A verified client that none of these gives a token is refused.

use crate::tls::canonical_subject;
use softhsm::config::{Config, KmipClientRule};

/// The client → token rules, subjects already in canonical form.
#[derive(Debug, Clone, Default)]
pub struct ClientMap {
    by_subject: Vec<(String, String)>,
    by_common_name: Vec<(String, String)>,
    default_token: Option<String>,
}

impl ClientMap {
    /// Builds the map; a subject that is not an RFC 4514 name is an error.
    pub fn new(rules: &[KmipClientRule], default_token: Option<&str>) -> Result<ClientMap, String> {
        let mut m = ClientMap {
            default_token: default_token.map(str::to_string),
            ..ClientMap::default()
        };
        for r in rules {
            match (&r.subject, &r.common_name) {
                (Some(s), _) => {
                    let canon = canonical_subject(s)
                        .map_err(|e| format!("kmip.clients: subject {s:?} of token {:?}: {e}", r.token))?;
                    m.by_subject.push((canon, r.token.clone()));
                }
                (None, Some(cn)) => m.by_common_name.push((cn.clone(), r.token.clone())),
                (None, None) => {
                    return Err(format!(
                        "kmip.clients: the rule for token {:?} names no subject or common_name",
                        r.token
                    ))
                }
            }
        }
        Ok(m)
    }

    /// The map a configuration describes.
    pub fn from_config(config: &Config) -> Result<ClientMap, String> {
        ClientMap::new(&config.kmip.clients, config.kmip_default_token())
    }

    /// Every verified client uses `token`.
    pub fn everyone(token: &str) -> ClientMap {
        ClientMap {
            default_token: Some(token.to_string()),
            ..ClientMap::default()
        }
    }

    /// The token of a client with this subject (as [`crate::tls::certificate_identity`] gives it)
    /// and common name.
    pub fn token_for(&self, subject: &str, common_name: Option<&str>) -> Option<&str> {
        if let Some((_, t)) = self.by_subject.iter().find(|(s, _)| s == subject) {
            return Some(t);
        }
        if let Some(cn) = common_name {
            if let Some((_, t)) = self.by_common_name.iter().find(|(c, _)| c == cn) {
                return Some(t);
            }
        }
        self.default_token.as_deref()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rule(subject: Option<&str>, cn: Option<&str>, token: &str) -> KmipClientRule {
        KmipClientRule {
            subject: subject.map(str::to_string),
            common_name: cn.map(str::to_string),
            token: token.into(),
        }
    }

    #[test]
    fn subject_then_common_name_then_default() {
        let m = ClientMap::new(
            &[
                rule(Some("cn=db1, o=Example"), None, "db"),
                rule(None, Some("db1"), "by-cn"),
                rule(None, Some("backup"), "backups"),
            ],
            Some("apps"),
        )
        .unwrap();
        assert_eq!(m.token_for("CN=db1,O=Example", Some("db1")), Some("db"));
        assert_eq!(m.token_for("CN=db1,O=Other", Some("db1")), Some("by-cn"));
        assert_eq!(m.token_for("CN=backup", Some("backup")), Some("backups"));
        assert_eq!(m.token_for("CN=x", Some("x")), Some("apps"));
        let strict = ClientMap::new(&[rule(None, Some("only"), "t")], None).unwrap();
        assert_eq!(strict.token_for("CN=x", Some("x")), None);
        assert_eq!(strict.token_for("CN=x", None), None);
    }

    #[test]
    fn bad_subjects_are_refused() {
        assert!(ClientMap::new(&[rule(Some("no equals sign"), None, "t")], None).is_err());
        assert!(ClientMap::new(&[rule(None, None, "t")], None).is_err());
    }
}
