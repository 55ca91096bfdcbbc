//! The ways content names an upload: its key, the key with an extension (Yunhu's
//! `imageName`, from which nonebot derives the `imageKey` it echoes), its path here
//! (`/media/{key}`, also absolute and signed as bots get it), or a Yunhu CDN URL built from
//! the key, as nonebot and Koishi write them into markdown and html
//! (`https://chat-img.jwznb.com/{key}.png`).

use super::is_media_key;

/// Yunhu's media hosts (wire §1), and the image host nonebot uses for stickers.
pub const YUNHU_CDN_HOSTS: &[&str] = &[
    "chat-img.jwznb.com",
    "chat-image1.jwznb.com",
    "chat-file.jwznb.com",
    "chat-video1.jwznb.com",
    "chat-audio1.jwznb.com",
    "chat-storage1.jwznb.com",
];

/// The media key a content reference names, if it names one of this server's uploads by its
/// key (64 lowercase hex characters): `KEY`, `KEY.EXT`, `/media/KEY`, `http(s)://HOST/media/KEY`
/// (with any query) or `https://YUNHU_CDN_HOST/KEY[.EXT]`. Other URLs name no upload here.
pub fn media_key_of(reference: &str) -> Option<&str> {
    let reference = reference.trim();
    if let Some(key) = bare_key(reference) {
        return Some(key);
    }
    if let Some(path) = reference.strip_prefix("/media/") {
        return bare_key(without_query(path));
    }
    let rest = reference
        .strip_prefix("https://")
        .or_else(|| reference.strip_prefix("http://"))?;
    let (host, path) = rest.split_once('/')?;
    let path = without_query(path);
    if let Some(key) = path.strip_prefix("media/") {
        return bare_key(key);
    }
    if YUNHU_CDN_HOSTS.contains(&host.to_ascii_lowercase().as_str()) {
        return bare_key(path);
    }
    None
}

/// `KEY` or `KEY.EXT` (a short alphanumeric extension) → `KEY`.
fn bare_key(name: &str) -> Option<&str> {
    let key = match name.split_once('.') {
        Some((key, ext))
            if !ext.is_empty()
                && ext.len() <= 5
                && ext.bytes().all(|b| b.is_ascii_alphanumeric()) =>
        {
            key
        }
        Some(_) => return None,
        None => name,
    };
    is_media_key(key).then_some(key)
}

/// The Yunhu CDN URLs naming an upload by key in a markdown or html text, where they start
/// and end, with the key: `https://chat-img.jwznb.com/KEY.png` as nonebot and Koishi write an
/// image beside text. (Hosts as written, lower case: what the clients build.)
pub fn cdn_urls_in(text: &str) -> Vec<(std::ops::Range<usize>, &str)> {
    let mut found = Vec::new();
    for host in YUNHU_CDN_HOSTS {
        for scheme in ["https://", "http://"] {
            let prefix = format!("{scheme}{host}/");
            let mut from = 0;
            while let Some(at) = text[from..].find(&prefix) {
                let start = from + at;
                let name_start = start + prefix.len();
                // The key and an optional `.ext`: hex, a dot, alphanumerics.
                let name_len = text[name_start..]
                    .find(|c: char| !(c.is_ascii_alphanumeric() || c == '.'))
                    .unwrap_or(text.len() - name_start);
                let end = name_start + name_len;
                if let Some(key) = bare_key(&text[name_start..end]) {
                    found.push((start..end, key));
                }
                from = end.max(start + 1);
            }
        }
    }
    found.sort_by_key(|(range, _)| range.start);
    found
}

fn without_query(path: &str) -> &str {
    path.split(['?', '#']).next().unwrap_or(path)
}

#[cfg(test)]
mod tests {
    use super::*;

    const KEY: &str = "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08";

    #[test]
    fn keys_paths_signed_urls_and_yunhu_cdn_urls_name_the_upload() {
        for reference in [
            KEY.to_owned(),
            format!("{KEY}.png"),
            format!(" /media/{KEY} "),
            format!("http://127.0.0.1:8080/media/{KEY}?sig=00ff"),
            format!("https://chat.example.com/media/{KEY}"),
            format!("https://chat-img.jwznb.com/{KEY}.png"),
            format!("https://CHAT-VIDEO1.jwznb.com/{KEY}.mp4"),
            format!("https://chat-file.jwznb.com/{KEY}"),
        ] {
            assert_eq!(media_key_of(&reference), Some(KEY), "{reference}");
        }
    }

    #[test]
    fn cdn_urls_are_found_in_markdown_and_html() {
        let text = format!(
            "看图 ![](https://chat-img.jwznb.com/{KEY}.png) and <img src=\"http://chat-file.jwznb.com/{KEY}\"> \
             but not https://chat-img.jwznb.com/{short}.png nor https://evil.example/{KEY}.png",
            short = &KEY[..10]
        );
        let found = cdn_urls_in(&text);
        let urls: Vec<_> = found.iter().map(|(r, k)| (&text[r.clone()], *k)).collect();
        assert_eq!(
            urls,
            [
                (
                    format!("https://chat-img.jwznb.com/{KEY}.png").as_str(),
                    KEY
                ),
                (format!("http://chat-file.jwznb.com/{KEY}").as_str(), KEY),
            ]
        );
        assert!(cdn_urls_in("https://chat-img.jwznb.com/").is_empty());
    }

    #[test]
    fn anything_else_names_no_upload() {
        for reference in [
            String::new(),
            "FkaP4yunD3qbwZG2YEQQtwWog7ai".to_owned(),
            format!("{}.png", &KEY[..63]),
            KEY.to_uppercase(),
            format!("{KEY}.tar.gz"),
            format!("/media/../{KEY}"),
            format!("https://evil.example/{KEY}.png"),
            format!("https://chat-img.jwznb.com/x/{KEY}.png"),
            format!("javascript:{KEY}"),
        ] {
            assert_eq!(media_key_of(&reference), None, "{reference}");
        }
    }
}
