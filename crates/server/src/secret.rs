//! Tokens: how they are made, stored and compared. A token is 128 random bits written as 32
//! lowercase hex characters (the shape of a Yunhu bot token). Only its SHA-256 is stored.

use sha2::{Digest, Sha256};
use subtle::ConstantTimeEq;

/// The SHA-256 of a token: what the database keeps instead of the token.
///
/// A plain hash (no salt, no slow KDF) is enough because tokens are 128 random bits: there is
/// nothing to guess, and a fast hash keeps the per-request lookup cheap.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct TokenHash(pub [u8; 32]);

impl TokenHash {
    /// Hashes a presented token.
    pub fn of(token: &str) -> Self {
        TokenHash(Sha256::digest(token.as_bytes()).into())
    }

    /// Compares in constant time, so the comparison leaks nothing about the stored hash.
    pub fn matches(&self, other: &TokenHash) -> bool {
        self.0.ct_eq(&other.0).into()
    }
}

/// A new random token.
pub fn new_token() -> String {
    uuid::Uuid::new_v4().simple().to_string()
}

/// A password's argon2id hash as a PHC string (`$argon2id$v=19$…`), salted at random.
/// Slow on purpose (tens of milliseconds): run it off the async threads.
pub fn hash_password(password: &str) -> Result<String, argon2::password_hash::Error> {
    use argon2::PasswordHasher;
    Ok(argon2::Argon2::default()
        .hash_password(password.as_bytes())?
        .to_string())
}

/// Whether `password` matches a PHC string made by [`hash_password`]. The parameters come
/// from the string, so hashes made with other settings keep working. A malformed hash never
/// matches.
pub fn verify_password(password: &str, phc: &str) -> bool {
    use argon2::PasswordVerifier;
    argon2::PasswordHash::new(phc).is_ok_and(|hash| {
        argon2::Argon2::default()
            .verify_password(password.as_bytes(), &hash)
            .is_ok()
    })
}

#[cfg(test)]
mod password_tests {
    use super::*;

    #[test]
    fn a_password_verifies_against_its_own_hash_only() {
        let phc = hash_password("correct horse").unwrap();
        assert!(phc.starts_with("$argon2id$"));
        assert!(verify_password("correct horse", &phc));
        assert!(!verify_password("correct horsE", &phc));
        assert!(!verify_password("correct horse", "not a hash"));
        // Salted: the same password hashes differently each time.
        assert_ne!(phc, hash_password("correct horse").unwrap());
    }
}
