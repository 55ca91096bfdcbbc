//! Identifiers: message IDs, random numeric IDs in Yunhu's style, and what an ID may contain.

/// A new message ID: 32 lowercase hex characters, a UUID without dashes (wire §6.1).
///
/// Version 7 (time-ordered, 74 random bits) rather than 4: new IDs land at the right edge of
/// the `msg_id` index instead of on a random page, so a commit dirties a few index pages
/// instead of one per message. With random IDs the writer spent most of its time copying
/// index pages into the WAL (see BENCHMARKS.md).
pub fn new_msg_id() -> String {
    uuid::Uuid::now_v7().simple().to_string()
}

/// A tip's message ID: a UUID *with* dashes, as Yunhu's tips have (the mirror's tip sample,
/// wire §7.3), where other messages have 32 hex. Time-ordered for the same reason as
/// [`new_msg_id`].
pub fn new_tip_msg_id() -> String {
    uuid::Uuid::now_v7().hyphenated().to_string()
}

/// A random numeric ID of `digits` digits without a leading zero, like Yunhu's
/// (users 7 digits, bots 8, groups 9). The caller retries on the rare collision.
pub fn random_numeric_id(digits: u32) -> String {
    let low = 10u128.pow(digits - 1);
    let span = 9 * low;
    (low + uuid::Uuid::new_v4().as_u128() % span).to_string()
}

/// The longest ID accepted.
pub const MAX_ID_LEN: usize = 64;

/// Checks an ID chosen by an operator (`--id`): 1 to 64 of `A-Z a-z 0-9 _ -`. Keeping IDs this
/// plain keeps chat keys unambiguous and IDs safe in URLs and logs.
pub fn check_id(id: &str) -> Result<(), String> {
    if id.is_empty() || id.len() > MAX_ID_LEN {
        return Err(format!("an ID must be 1 to {MAX_ID_LEN} characters long"));
    }
    if !id
        .bytes()
        .all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-')
    {
        return Err("an ID may contain only letters, digits, '_' and '-'".to_owned());
    }
    Ok(())
}

/// Checks a bot ID chosen by an operator: digits only, as every Yunhu bot ID is. Clients
/// depend on it: Koishi's adapter finds its bot ID in Yunhu's texts with `\d+`.
pub fn check_bot_id(id: &str) -> Result<(), String> {
    check_id(id)?;
    if !id.bytes().all(|b| b.is_ascii_digit()) {
        return Err(format!(
            "a bot ID must be digits only, as Yunhu's are (e.g. 86297657), not {id:?}"
        ));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numeric_ids_have_the_asked_number_of_digits() {
        for digits in [7, 8, 9] {
            for _ in 0..200 {
                let id = random_numeric_id(digits);
                assert_eq!(id.len(), digits as usize, "{id}");
                assert!(!id.starts_with('0'));
            }
        }
    }

    #[test]
    fn bot_ids_are_digits() {
        assert_eq!(check_bot_id("86297657"), Ok(()));
        for bad in ["bot1", "", "8629 7657", "８６"] {
            assert!(check_bot_id(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn msg_ids_are_32_lowercase_hex() {
        let id = new_msg_id();
        assert_eq!(id.len(), 32);
        assert!(
            id.bytes()
                .all(|b| b.is_ascii_hexdigit() && !b.is_ascii_uppercase())
        );
    }

    #[test]
    fn ids_are_checked() {
        assert!(check_id("307149245").is_ok());
        assert!(check_id("bot_a-1").is_ok());
        for bad in ["", "a:b", "a b", "群", &"x".repeat(65)] {
            assert!(check_id(bad).is_err(), "{bad}");
        }
    }
}
