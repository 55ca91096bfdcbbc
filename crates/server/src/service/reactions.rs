//! What a reaction may be: one emoji. The web client offers a small palette
//! ([`REACTION_PALETTE`]); any other single emoji is accepted too, and nothing else (text,
//! two emojis, an emoji with text around it), so that what shows under a message is always
//! one small picture.

/// The emojis the web client offers first (any single emoji is accepted).
pub const REACTION_PALETTE: &[&str] = &["👍", "❤️", "😂", "😮", "😢", "🎉", "🙏", "👀"];

/// The longest reaction accepted, in bytes. The longest standard emoji sequences (a family
/// with skin tones, a subdivision flag) are under 40 bytes.
const MAX_EMOJI_BYTES: usize = 64;

/// Zero width joiner: joins emojis into one (👩‍💻).
const ZWJ: char = '\u{200D}';

/// Whether `text` is exactly one emoji: one pictograph, or one pair of regional indicators (a
/// flag), or a keycap (`1️⃣`), each optionally with variation selectors, skin tones or tag
/// characters after it; or several of these joined by zero width joiners into one.
pub fn is_single_emoji(text: &str) -> bool {
    if text.is_empty() || text.len() > MAX_EMOJI_BYTES {
        return false;
    }
    text.split(ZWJ).all(is_one_element)
}

/// One element of a (possibly joined) emoji sequence.
fn is_one_element(part: &str) -> bool {
    let mut chars = part.chars().peekable();
    let Some(first) = chars.next() else {
        return false;
    };
    if is_regional_indicator(first) {
        // A flag is exactly two regional indicators.
        if !chars.next().is_some_and(is_regional_indicator) {
            return false;
        }
    } else if matches!(first, '0'..='9' | '#' | '*') {
        // A keycap: the character, an optional VS16, then the combining keycap.
        if chars.peek() == Some(&'\u{FE0F}') {
            chars.next();
        }
        if chars.next() != Some('\u{20E3}') {
            return false;
        }
    } else if !is_pictograph(first) {
        return false;
    }
    chars.all(is_modifier)
}

fn is_regional_indicator(c: char) -> bool {
    ('\u{1F1E6}'..='\u{1F1FF}').contains(&c)
}

/// What may follow an emoji's base: variation selectors, skin tones, tag characters (the
/// subdivision flags), and the keycap mark.
fn is_modifier(c: char) -> bool {
    matches!(c, '\u{FE0E}' | '\u{FE0F}' | '\u{20E3}')
        || ('\u{1F3FB}'..='\u{1F3FF}').contains(&c)
        || ('\u{E0020}'..='\u{E007F}').contains(&c)
}

/// The blocks Unicode's emojis are drawn from (a superset of `Extended_Pictographic`'s
/// ranges, without the skin tones and regional indicators handled above).
fn is_pictograph(c: char) -> bool {
    let u = c as u32;
    matches!(
        u,
        0x00A9 | 0x00AE | 0x203C | 0x2049 | 0x2122 | 0x2139 | 0x3030 | 0x303D | 0x3297 | 0x3299
    ) || (0x2194..=0x21FF).contains(&u)
        || (0x2300..=0x23FF).contains(&u)
        || (0x24C2..=0x24C2).contains(&u)
        || (0x25A0..=0x27BF).contains(&u)
        || (0x2900..=0x297F).contains(&u)
        || (0x2B00..=0x2BFF).contains(&u)
        || ((0x1F000..=0x1FAFF).contains(&u)
            && !is_regional_indicator(c)
            && !(0x1F3FB..=0x1F3FF).contains(&u))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn single_emojis_are_accepted() {
        for e in REACTION_PALETTE {
            assert!(is_single_emoji(e), "{e}");
        }
        for e in [
            "🦀",
            "👍🏽",
            "👩‍💻",
            "👨‍👩‍👧‍👦",
            "🇨🇳",
            "1️⃣",
            "#⃣",
            "🏴󠁧󠁢󠁳󠁣󠁴󠁿",
            "☕",
            "✅",
            "⭐",
            "❤",
        ] {
            assert!(is_single_emoji(e), "{e}");
        }
    }

    #[test]
    fn anything_else_is_refused() {
        for e in [
            "",
            "a",
            "ok",
            "1",
            "👍👍",
            "👍 ",
            " 👍",
            "👍a",
            "🇨",
            "🇨🇳🇨",
            "\u{200D}",
            "👍\u{200D}",
            "\u{FE0F}",
            "🏽",
            "<b>",
            "中",
            "👍\n",
        ] {
            assert!(!is_single_emoji(e), "{e:?}");
        }
        assert!(!is_single_emoji(&"👍\u{FE0F}".repeat(20)));
    }
}
