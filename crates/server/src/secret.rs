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
