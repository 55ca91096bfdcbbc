//! The sanitizing policy (`render.rs`) against a published XSS vector list
//! (`fixtures/xss-vectors.txt`, from the OWASP XSS Filter Evasion Cheat Sheet): whatever a
//! message's text is — html, markdown or plain text — the HTML the web client inserts has no
//! active element, no event handler or style attribute, and no URL but http, https or mailto.
//!
//! The output is checked by reading it as HTML: the sanitizer re-serializes everything, so a
//! `<` in it always opens a tag (text has `&lt;`), and attribute values are double-quoted.

#![allow(clippy::unwrap_used)]

use cloudlake_protocol::Content;
use cloudlake_server::render;

const VECTORS: &str = include_str!("../fixtures/xss-vectors.txt");

/// Elements that must never come out: they run script, load active content, submit, or
/// restyle the page.
const ACTIVE: &[&str] = &[
    "script", "style", "iframe", "frame", "frameset", "object", "embed", "applet", "form", "input",
    "button", "textarea", "select", "link", "meta", "base", "svg", "math", "body", "head", "html",
    "bgsound", "noscript", "template", "video", "audio", "source", "xss", "title", "xmp", "layer",
    "ilayer",
];
/// Attributes that hold URLs.
const URL_ATTRIBUTES: &[&str] = &[
    "href",
    "src",
    "action",
    "formaction",
    "background",
    "lowsrc",
    "dynsrc",
    "poster",
    "cite",
    "data",
    "longdesc",
    "srcset",
    "xlink:href",
    "ping",
];

fn vectors() -> Vec<String> {
    VECTORS
        .lines()
        .filter(|l| !l.trim().is_empty() && !l.starts_with("# "))
        .map(|l| {
            l.replace("\\n", "\n")
                .replace("\\t", "\t")
                .replace("\\r", "\r")
                .replace("\\0", "\0")
        })
        .collect()
}

/// Decodes the character references a serializer may leave in an attribute value.
fn decode(value: &str) -> String {
    let mut out = String::new();
    let mut rest = value;
    while let Some(i) = rest.find('&') {
        out.push_str(&rest[..i]);
        rest = &rest[i..];
        let Some(end) = rest.find(';').filter(|&e| e < 12) else {
            out.push('&');
            rest = &rest[1..];
            continue;
        };
        let entity = &rest[1..end];
        let decoded = match entity {
            "amp" => Some('&'),
            "quot" => Some('"'),
            "lt" => Some('<'),
            "gt" => Some('>'),
            "nbsp" => Some('\u{a0}'),
            "colon" => Some(':'),
            "Tab" => Some('\t'),
            "NewLine" => Some('\n'),
            e if e.starts_with("#x") || e.starts_with("#X") => u32::from_str_radix(&e[2..], 16)
                .ok()
                .and_then(char::from_u32),
            e if e.starts_with('#') => e[1..].parse().ok().and_then(char::from_u32),
            _ => None,
        };
        match decoded {
            Some(c) => {
                out.push(c);
                rest = &rest[end + 1..];
            }
            None => {
                out.push('&');
                rest = &rest[1..];
            }
        }
    }
    out.push_str(rest);
    out
}

/// A URL a browser would treat as safe: http, https or mailto, read the way a browser reads
/// it (control characters and whitespace ignored, any case).
fn safe_url(value: &str) -> bool {
    let url: String = decode(value)
        .chars()
        .filter(|c| !c.is_whitespace() && !c.is_control())
        .collect::<String>()
        .to_ascii_lowercase();
    ["http:", "https:", "mailto:"]
        .iter()
        .any(|s| url.starts_with(s))
}

/// Every tag in `html`: name and attributes.
fn tags(html: &str) -> Vec<(String, Vec<(String, String)>)> {
    let mut found = Vec::new();
    let bytes = html.as_bytes();
    let mut i = 0;
    while let Some(start) = html[i..].find('<').map(|s| s + i) {
        let mut j = start + 1;
        if bytes.get(j) == Some(&b'/') {
            j += 1;
        }
        let name_end = html[j..]
            .find(|c: char| c.is_whitespace() || c == '>' || c == '/')
            .map_or(html.len(), |e| e + j);
        let name = html[j..name_end].to_ascii_lowercase();
        // Attributes: name="value" pairs up to the closing '>'.
        let mut attributes = Vec::new();
        let mut k = name_end;
        loop {
            while k < html.len() && (bytes[k].is_ascii_whitespace() || bytes[k] == b'/') {
                k += 1;
            }
            if k >= html.len() || bytes[k] == b'>' {
                break;
            }
            let attr_end = html[k..]
                .find(|c: char| c == '=' || c.is_whitespace() || c == '>')
                .map_or(html.len(), |e| e + k);
            let attr = html[k..attr_end].to_ascii_lowercase();
            k = attr_end;
            let mut value = String::new();
            if bytes.get(k) == Some(&b'=') {
                assert_eq!(bytes.get(k + 1), Some(&b'"'), "quoted attributes: {html}");
                let close = html[k + 2..].find('"').unwrap() + k + 2;
                value = html[k + 2..close].to_owned();
                k = close + 1;
            }
            attributes.push((attr, value));
        }
        found.push((name, attributes));
        i = k.max(start + 1);
    }
    found
}

fn assert_inert(vector: &str, how: &str, html: &str) {
    assert!(
        !html.contains("<!"),
        "{how}: a comment or doctype survived {vector:?}: {html}"
    );
    for (name, attributes) in tags(html) {
        assert!(
            !name.is_empty() && !ACTIVE.contains(&name.as_str()),
            "{how}: <{name}> survived {vector:?}: {html}"
        );
        for (attr, value) in attributes {
            assert!(
                !attr.starts_with("on") && attr != "style" && !attr.contains(':')
                    || attr == "xlink:href",
                "{how}: attribute {attr} survived {vector:?}: {html}"
            );
            if URL_ATTRIBUTES.contains(&attr.as_str()) {
                assert!(
                    safe_url(&value),
                    "{how}: {attr}={value:?} survived {vector:?}: {html}"
                );
            }
        }
    }
}

#[test]
fn no_vector_survives_any_renderer() {
    let vectors = vectors();
    assert!(vectors.len() >= 100, "the list is read: {}", vectors.len());
    for vector in &vectors {
        assert_inert(vector, "html", &render::sanitize(vector));
        assert_inert(vector, "markdown", &render::markdown(vector));
        assert_inert(vector, "text", &render::text(vector));
        for content_type in ["text", "markdown", "html", "a2ui"] {
            let content = Content::text(vector.clone());
            if let Some(html) = render::message_html(content_type, &content) {
                assert_inert(vector, content_type, &html);
            }
        }
    }
}

/// The checker itself catches what it must (a test of the test: each of these is unsafe).
#[test]
fn the_checker_sees_unsafe_html() {
    for unsafe_html in [
        r#"<script>alert(1)</script>"#,
        r#"<img src="x" onerror="alert(1)">"#,
        r#"<a href="javascript:alert(1)">x</a>"#,
        r#"<a href="jav&#x09;ascript:alert(1)">x</a>"#,
        r#"<a href="//evil.example/">x</a>"#,
        r#"<p style="background:url(x)">x</p>"#,
        r#"<!-- x -->"#,
    ] {
        let caught = std::panic::catch_unwind(|| assert_inert("test", "raw", unsafe_html));
        assert!(caught.is_err(), "the checker misses {unsafe_html}");
    }
    // And passes what is fine.
    assert_inert(
        "test",
        "raw",
        r#"<p><a href="https://example.com/?a=1&amp;b=2" rel="noopener">x</a> &lt;script&gt;</p>"#,
    );
}
