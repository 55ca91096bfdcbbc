//! Message content as safe HTML for the web client: text escaped with @mentions and http(s)
//! links made live, markdown through pulldown-cmark (its bare links and e-mail addresses made
//! live too), html as sent — and all three through the
//! same strict ammonia policy, because pulldown-cmark passes raw HTML and `javascript:` links
//! straight through. The browser inserts only what comes out of here.
//!
//! The policy keeps ammonia's default tag list (formatting, lists, tables, links, images)
//! minus everything active: no `script`/`style` (their contents are dropped too), no
//! `iframe`/`object`/`embed`/`form`/`input`, no `on*` or `style` attributes, and URLs only with
//! `http`, `https` or `mailto` (no `javascript:`, `data:`, `vbscript:`, and no relative URLs that
//! would point back at this server's API). Links open in a new tab with `rel="noopener
//! noreferrer nofollow"`.
//!
//! Rendering is bounded (see [`bounds`]): markup nesting deeper than [`MAX_DEPTH`] or holding
//! more than [`MAX_ELEMENTS`] elements is not rendered. The `try_` functions refuse it (the
//! send path answers with a clear error); the others show it as plain text, so that whatever
//! is already stored still renders in bounded time. Long texts render on the threads of
//! [`pool`], off the async workers.

mod bounds;
mod pool;

use std::borrow::Cow;
use std::collections::HashSet;

use ammonia::{Builder, UrlRelative};
use cloudlake_protocol::Content;
use pulldown_cmark::{Event, Options, Parser};

pub use bounds::{MAX_DEPTH, MAX_ELEMENTS};
pub use pool::off_worker;

/// Why a text was not rendered.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum RenderError {
    /// Elements nest deeper than [`MAX_DEPTH`].
    #[error("markup nests deeper than {MAX_DEPTH} levels")]
    TooDeep,
    /// More elements than [`MAX_ELEMENTS`].
    #[error("markup holds more than {MAX_ELEMENTS} elements")]
    TooManyElements,
    /// The render thread dropped the job (it panicked).
    #[error("the render thread dropped the job")]
    Abandoned,
}

/// Texts shorter than this render where they are asked for: bounded as they are, they take
/// microseconds, less than a trip to a render thread.
const RENDER_IN_PLACE_BYTES: usize = 4096;

/// The class the client styles mentions with; the only class the policy lets through.
const MENTION_CLASS: &str = "mention";
/// The longest name a mention may have, in characters, before the `@` is read as plain text.
const MAX_MENTION_CHARS: usize = 64;
/// Yunhu ends a mention's name with a zero-width space (wire §5.3).
const MENTION_END: char = '\u{200b}';

fn policy() -> Builder<'static> {
    let mut builder = Builder::default();
    builder
        .url_schemes(HashSet::from(["http", "https", "mailto"]))
        // Relative URLs would act on this origin with the reader's session; the one kind
        // allowed is an upload's path, which is what a message shows its images by (and what
        // a Yunhu CDN URL of an upload here becomes).
        .url_relative(UrlRelative::Custom(Box::new(media_path_only)))
        .link_rel(Some("noopener noreferrer nofollow"))
        .set_tag_attribute_value("a", "target", "_blank")
        .add_allowed_classes("span", [MENTION_CLASS]);
    builder
}

/// `/media/KEY` (an upload's path: 64 lowercase hex) as is; any other relative URL dropped.
fn media_path_only(url: &str) -> Option<Cow<'_, str>> {
    let key = url.strip_prefix("/media/")?;
    let is_key = key.len() == 64 && key.bytes().all(|b| matches!(b, b'0'..=b'9' | b'a'..=b'f'));
    is_key.then_some(Cow::Borrowed(url))
}

/// Cleans untrusted HTML with the strict policy; markup past the bounds is shown as text.
pub fn sanitize(html: &str) -> String {
    try_sanitize(html).unwrap_or_else(|_| text(html))
}

/// Cleans untrusted HTML with the strict policy, refusing markup past the bounds.
pub fn try_sanitize(html: &str) -> Result<String, RenderError> {
    Ok(policy().clean(&bounds::balance(html)?).to_string())
}

/// Renders markdown, then sanitizes the result (raw HTML inside markdown included); markdown
/// past the bounds is shown as text.
pub fn markdown(source: &str) -> String {
    try_markdown(source).unwrap_or_else(|_| text(source))
}

/// Renders markdown and sanitizes the result, refusing markdown past the bounds.
pub fn try_markdown(source: &str) -> Result<String, RenderError> {
    let mut options = Options::empty();
    options.insert(Options::ENABLE_TABLES);
    options.insert(Options::ENABLE_STRIKETHROUGH);
    // The parser's events are counted as they come, so that a table whose header promises
    // thousands of columns, or a line of `>`, is refused before its HTML exists.
    let mut budget = bounds::Budget::default();
    let mut events = Vec::new();
    for event in Parser::new_ext(source, options) {
        match &event {
            Event::Start(_) => budget.open()?,
            Event::End(_) => budget.close(),
            Event::Rule | Event::HardBreak | Event::SoftBreak | Event::TaskListMarker(_) => {
                budget.leaf()?
            }
            _ => {}
        }
        events.push(event);
    }
    let mut out = String::with_capacity(source.len() * 3 / 2);
    pulldown_cmark::html::push_html(&mut out, autolinked(events).into_iter());
    try_sanitize(&out)
}

/// Makes the bare http(s) URLs and e-mail addresses in markdown's text live links, as a chat
/// reader expects (CommonMark links only `<https://…>`), except inside a link, an image's
/// alt text or a code block. Each link found adds two events that the budget did not count;
/// a link needs at least eight characters of text, so they stay within the text's length.
fn autolinked(events: Vec<Event<'_>>) -> Vec<Event<'_>> {
    use pulldown_cmark::{CowStr, LinkType, Tag, TagEnd};
    let mut out = Vec::with_capacity(events.len());
    // Depth of links, images and code blocks around the current event: text there stays text.
    let mut inside = 0usize;
    for event in merged_text(events) {
        match &event {
            Event::Start(Tag::Link { .. } | Tag::Image { .. } | Tag::CodeBlock(_)) => inside += 1,
            Event::End(TagEnd::Link | TagEnd::Image | TagEnd::CodeBlock) => {
                inside = inside.saturating_sub(1)
            }
            _ => {}
        }
        let Event::Text(text) = &event else {
            out.push(event);
            continue;
        };
        if inside > 0 || !needs_markup(text) {
            out.push(event);
            continue;
        }
        let mut plain_from = 0;
        for (start, len, link) in links_in(text) {
            if start > plain_from {
                out.push(Event::Text(CowStr::from(
                    text[plain_from..start].to_owned(),
                )));
            }
            let shown = text[start..start + len].to_owned();
            // pulldown-cmark writes an e-mail link's `mailto:` itself.
            let link_type = match link {
                Link::Url => LinkType::Autolink,
                Link::Email => LinkType::Email,
            };
            out.push(Event::Start(Tag::Link {
                link_type,
                dest_url: CowStr::from(shown.clone()),
                title: CowStr::from(""),
                id: CowStr::from(""),
            }));
            out.push(Event::Text(CowStr::from(shown)));
            out.push(Event::End(TagEnd::Link));
            plain_from = start + len;
        }
        if plain_from == 0 {
            out.push(event);
        } else if plain_from < text.len() {
            out.push(Event::Text(CowStr::from(text[plain_from..].to_owned())));
        }
    }
    out
}

/// The events with each run of adjacent text events joined into one: the parser may cut text
/// at a character that could have been markup (`_` in `https://example.com/a_b`), and a link
/// must be found whole.
fn merged_text(events: Vec<Event<'_>>) -> Vec<Event<'_>> {
    let mut out: Vec<Event<'_>> = Vec::with_capacity(events.len());
    for event in events {
        if let (Event::Text(next), Some(Event::Text(last))) = (&event, out.last_mut()) {
            let mut joined = last.to_string();
            joined.push_str(next);
            *last = pulldown_cmark::CowStr::from(joined);
            continue;
        }
        out.push(event);
    }
    out
}

/// What kind of link [`links_in`] found.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Link {
    /// An http(s) URL.
    Url,
    /// An e-mail address (linked as `mailto:`).
    Email,
}

/// The links in `text`, in order: each one's byte offset, byte length and kind. An e-mail
/// address is looked for only where a word starts, so a long word is read once, not once
/// from each of its characters.
fn links_in(text: &str) -> Vec<(usize, usize, Link)> {
    let mut found = Vec::new();
    let mut at = 0;
    let mut word_start = true;
    while let Some(c) = text[at..].chars().next() {
        let rest = &text[at..];
        if let Some((len, _)) = link_at(rest) {
            found.push((at, len, Link::Url));
            at += len;
            word_start = false;
            continue;
        }
        if word_start && let Some(len) = email_at(rest) {
            found.push((at, len, Link::Email));
            at += len;
            word_start = false;
            continue;
        }
        word_start = !is_email_local(c);
        at += c.len_utf8();
    }
    found
}

/// A character of an e-mail address's local part.
fn is_email_local(c: char) -> bool {
    c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '%' | '+' | '-')
}

/// An e-mail address at the start of `s` (`local@domain.tld`: a local part of letters, digits
/// and `._%+-`, a domain of letters, digits, `-` and dots with a last label of two letters or
/// more), and its byte length. Sentence punctuation after it is not part of it.
fn email_at(s: &str) -> Option<usize> {
    let local = s.find(|c: char| !is_email_local(c)).unwrap_or(s.len());
    if local == 0 || !s[local..].starts_with('@') {
        return None;
    }
    let rest = &s[local + 1..];
    let end = rest
        .find(|c: char| !(c.is_ascii_alphanumeric() || c == '-' || c == '.'))
        .unwrap_or(rest.len());
    let domain = rest[..end].trim_end_matches(['.', '-']);
    let last = domain.rsplit('.').next().unwrap_or("");
    let plausible = domain.contains('.')
        && !domain.starts_with(['.', '-'])
        && !domain.contains("..")
        && last.len() >= 2
        && last.bytes().all(|b| b.is_ascii_alphabetic());
    plausible.then_some(local + 1 + domain.len())
}

/// Renders plain text: HTML-escaped, line breaks kept, `@name\u{200b}` mentions marked and
/// bare http(s) links made clickable.
pub fn text(source: &str) -> String {
    if !needs_markup(source) {
        return source.to_owned();
    }
    let mut out = String::with_capacity(source.len() + 16);
    let mut rest = source;
    while let Some(c) = rest.chars().next() {
        if let Some((len, url)) = link_at(rest) {
            out.push_str("<a href=\"");
            escape_into(&mut out, url);
            out.push_str("\">");
            escape_into(&mut out, url);
            out.push_str("</a>");
            rest = &rest[len..];
        } else if let Some((len, name)) = mention_at(rest) {
            out.push_str("<span class=\"mention\">@");
            escape_into(&mut out, name);
            out.push_str("</span>");
            rest = &rest[len..];
        } else {
            if c == '\n' {
                out.push_str("<br>");
            } else {
                escape_into(&mut out, &rest[..c.len_utf8()]);
            }
            rest = &rest[c.len_utf8()..];
        }
    }
    // Every piece is escaped and the only attribute is an http(s) href, so this needs no
    // sanitizer pass: text, the most common kind, stays cheap on the write path.
    out
}

/// Whether plain text needs any markup at all: something to escape, a line break, a possible
/// mention or link. Most chat text does not, and is then its own HTML.
fn needs_markup(source: &str) -> bool {
    // One pass over the bytes: this runs for every text message as it is stored.
    let bytes = source.as_bytes();
    bytes.iter().enumerate().any(|(i, b)| match b {
        b'&' | b'<' | b'>' | b'"' | b'\'' | b'\n' | b'@' => true,
        b'h' | b'H' => bytes
            .get(i..i + 4)
            .is_some_and(|w| w.eq_ignore_ascii_case(b"http")),
        _ => false,
    })
}

fn starts_with_ignore_case(s: &str, prefix: &str) -> bool {
    s.as_bytes()
        .get(..prefix.len())
        .is_some_and(|head| head.eq_ignore_ascii_case(prefix.as_bytes()))
}

/// A link at the start of `s`: its byte length and the URL.
fn link_at(s: &str) -> Option<(usize, &str)> {
    let https = starts_with_ignore_case(s, "https://");
    if !https && !starts_with_ignore_case(s, "http://") {
        return None;
    }
    let end = s
        .find(|c: char| c.is_whitespace() || matches!(c, '<' | '>' | '"' | '\'' | '`'))
        .unwrap_or(s.len());
    // Punctuation that ends a sentence is not part of the link.
    let url = s[..end].trim_end_matches(['.', ',', ';', ':', '!', '?', ')', ']', '}']);
    let scheme_len = if https { 8 } else { 7 };
    (url.len() > scheme_len).then_some((url.len(), url))
}

/// A mention at the start of `s`: `@` + name + zero-width space. Returns the byte length
/// consumed and the name.
fn mention_at(s: &str) -> Option<(usize, &str)> {
    let body = s.strip_prefix('@')?;
    // Look for the end only as far as the longest name reaches: a text of a million `@`s
    // would otherwise be searched to its end from each of them.
    let mut reach = body
        .len()
        .min(MAX_MENTION_CHARS * 4 + MENTION_END.len_utf8());
    while !body.is_char_boundary(reach) {
        reach -= 1;
    }
    let end = body[..reach].find(MENTION_END)?;
    let name = &body[..end];
    let plausible = !name.is_empty()
        && name.chars().count() <= MAX_MENTION_CHARS
        && !name.contains(['\n', '@']);
    plausible.then_some((1 + end + MENTION_END.len_utf8(), name))
}

fn escape_into(out: &mut String, s: &str) {
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
}

/// Renders a text of the given content type (`text`, `markdown`, `html`; anything else is
/// shown as text); markup past the bounds is shown as text.
pub fn by_type(content_type: &str, source: &str) -> String {
    try_by_type(content_type, source).unwrap_or_else(|_| text(source))
}

/// Renders a text of the given content type, refusing markup past the bounds.
pub fn try_by_type(content_type: &str, source: &str) -> Result<String, RenderError> {
    match content_type {
        "markdown" => try_markdown(source),
        "html" => try_sanitize(source),
        _ => Ok(text(source)),
    }
}

/// The safe HTML of a message's text, or `None` when there is nothing to mark up: no text
/// (images, files, videos, recalled messages; the client draws those from their URLs), or a
/// text message whose HTML would be the text itself (nothing to escape, link or mention), which
/// the client shows as text. Leaving that out keeps the common frame half the size. Markup past
/// the bounds is shown as text.
pub fn message_html(content_type: &str, content: &Content) -> Option<String> {
    let source = content.text.as_deref()?;
    try_html_of(content_type, source)
        .unwrap_or_else(|_| Some(text(source)).filter(|html| html != source))
}

/// [`message_html`], refusing markup past the bounds, and rendered on a render thread (see
/// [`off_worker`]) when the text is long. What the send path calls before storing.
pub async fn try_message_html(
    content_type: &str,
    content: &Content,
) -> Result<Option<String>, RenderError> {
    let Some(source) = content.text.as_deref() else {
        return Ok(None);
    };
    if source.len() < RENDER_IN_PLACE_BYTES {
        return try_html_of(content_type, source);
    }
    let (content_type, source) = (content_type.to_owned(), source.to_owned());
    off_worker(move || try_html_of(&content_type, &source)).await?
}

/// [`try_by_type`], rendered on a render thread (see [`off_worker`]) when the text is long.
/// What the board calls take before storing.
pub async fn try_render(content_type: &str, source: &str) -> Result<String, RenderError> {
    if source.len() < RENDER_IN_PLACE_BYTES {
        return try_by_type(content_type, source);
    }
    let (content_type, source) = (content_type.to_owned(), source.to_owned());
    off_worker(move || try_by_type(&content_type, &source)).await?
}

fn try_html_of(content_type: &str, source: &str) -> Result<Option<String>, RenderError> {
    match content_type {
        "markdown" | "html" => try_by_type(content_type, source).map(Some),
        "text" | "a2ui" if needs_markup(source) => {
            Ok(Some(text(source)).filter(|html| html != source))
        }
        _ => Ok(None),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Nothing a browser could execute survives: no markup (tag or attribute) carries an
    /// active element, an event handler or a dangerous URL. Text between tags is escaped and
    /// may mention `javascript:` harmlessly.
    fn assert_inert(html: &str) {
        let lower = html.to_ascii_lowercase();
        let tags = lower
            .split('<')
            .skip(1)
            .map(|t| t.split('>').next().unwrap_or(""));
        for tag in tags {
            let name = tag
                .trim_start_matches('/')
                .split([' ', '/'])
                .next()
                .unwrap_or("");
            assert!(
                !matches!(
                    name,
                    "script"
                        | "iframe"
                        | "object"
                        | "embed"
                        | "form"
                        | "input"
                        | "style"
                        | "svg"
                        | "math"
                        | "noscript"
                        | "frame"
                        | "base"
                        | "link"
                        | "meta"
                ),
                "<{tag}> survived in {html:?}"
            );
            for bad in [" on", "javascript:", "vbscript:", "data:", "style="] {
                assert!(
                    !tag.contains(bad),
                    "{bad:?} survived in <{tag}> of {html:?}"
                );
            }
        }
    }

    const VECTORS: &[&str] = &[
        "<script>alert(1)</script>",
        "<img src=x onerror=alert(1)>",
        "<a href=\"javascript:alert(1)\">x</a>",
        "<a href=\"JaVaScRiPt:alert(1)\">x</a>",
        "<a href=\"&#106;avascript:alert(1)\">x</a>",
        "<svg onload=alert(1)><circle/></svg>",
        "<iframe src=\"https://evil.example\"></iframe>",
        "<object data=\"x.swf\"></object><embed src=\"x.swf\">",
        "<form action=\"https://evil.example\"><input name=a></form>",
        "<style>body{display:none}</style>",
        "<p style=\"background:url(javascript:alert(1))\">x</p>",
        "<img src=\"data:image/svg+xml;base64,PHN2Zz48L3N2Zz4=\">",
        "<a href=\"data:text/html,<script>alert(1)</script>\">x</a>",
        "<a href=\"vbscript:msgbox(1)\">x</a>",
        "<div onclick=\"alert(1)\" onmouseover=\"alert(1)\">x</div>",
        "<math><mtext><table><mglyph><style><img src=x onerror=alert(1)>",
        "<noscript><p title=\"</noscript><img src=x onerror=alert(1)>\">",
    ];

    #[test]
    fn html_vectors_are_inert() {
        for v in VECTORS {
            assert_inert(&sanitize(v));
        }
    }

    #[test]
    fn markdown_vectors_are_inert() {
        for v in VECTORS {
            assert_inert(&markdown(v));
        }
        for v in [
            "[x](javascript:alert(1))",
            "[x](JAVASCRIPT:alert(1))",
            "![x](javascript:alert(1))",
            "[x](data:text/html;base64,PHNjcmlwdD4=)",
            "<javascript:alert(1)>",
            "[x]: javascript:alert(1)\n\n[x]",
            "# hi\n\n<script>alert(1)</script>\n\n<img src=x onerror=alert(1)>",
            "*a* <b onmouseover=alert(1)>b</b>",
        ] {
            assert_inert(&markdown(v));
        }
    }

    #[test]
    fn text_vectors_are_escaped() {
        for v in VECTORS {
            let out = text(v);
            assert_inert(&out);
            // Only the markup text rendering makes itself: links, mentions, line breaks.
            for tag in out.split('<').skip(1) {
                let name = tag.trim_start_matches('/').split([' ', '>']).next();
                assert!(matches!(name, Some("a" | "span" | "br")), "<{tag} in {out}");
            }
        }
        assert_eq!(text("<b>&</b>"), "&lt;b&gt;&amp;&lt;/b&gt;");
    }

    #[test]
    fn markdown_renders_and_keeps_safe_links() {
        let out = markdown("**bold** [site](https://example.com/a?b=1&c=2) `code`");
        assert!(out.contains("<strong>bold</strong>"), "{out}");
        assert!(
            out.contains("href=\"https://example.com/a?b=1&amp;c=2\""),
            "{out}"
        );
        assert!(
            out.contains("rel=\"noopener noreferrer nofollow\""),
            "{out}"
        );
        assert!(out.contains("target=\"_blank\""), "{out}");
        assert!(out.contains("<code>code</code>"), "{out}");
        let table = markdown("|a|b|\n|-|-|\n|1|2|");
        assert!(table.contains("<table>"), "{table}");
    }

    #[test]
    fn relative_links_are_dropped() {
        let out = sanitize("<a href=\"/admin/v1/users\">x</a><img src=\"/x.png\">");
        assert!(!out.contains("/admin"), "{out}");
        assert!(!out.contains("x.png"), "{out}");
        let key = "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08";
        for dropped in [
            format!("/media/{key}/../../admin/v1/users"),
            format!("/media/{key}?x=1"),
            format!("/media/{}", key.to_uppercase()),
            "/media/".to_owned(),
        ] {
            let out = sanitize(&format!("<img src=\"{dropped}\">"));
            assert_eq!(out, "<img>", "{dropped}");
        }
    }

    #[test]
    fn an_uploads_path_is_the_one_relative_url_kept() {
        let key = "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08";
        assert_eq!(
            sanitize(&format!("<img src=\"/media/{key}\">")),
            format!("<img src=\"/media/{key}\">")
        );
        assert_eq!(
            markdown(&format!("![](/media/{key})")),
            format!("<p><img src=\"/media/{key}\" alt=\"\"></p>\n")
        );
    }

    #[test]
    fn markdown_links_bare_urls_and_email_addresses() {
        let out = markdown("see https://example.com/a_b_c?x=1 or write to bob.s@example.co.uk.");
        assert!(
            out.contains("<a href=\"https://example.com/a_b_c?x=1\""),
            "{out}"
        );
        assert!(out.contains(">https://example.com/a_b_c?x=1</a>"), "{out}");
        assert!(
            out.contains("<a href=\"mailto:bob.s@example.co.uk\""),
            "{out}"
        );
        assert!(out.contains(">bob.s@example.co.uk</a>.</p>"), "{out}");
        // Not inside a link, inline code or a code block, and not twice.
        for source in [
            "[site](https://a.example/x) and <https://b.example/y>",
            "`https://c.example/z` and `me@d.example`",
            "```\nhttps://e.example/\nme@f.example\n```",
        ] {
            let out = markdown(source);
            assert_eq!(
                out.matches("<a ").count(),
                out.matches("</a>").count(),
                "{out}"
            );
            assert!(!out.contains("<a href=\"https://c.example"), "{out}");
            assert!(!out.contains("mailto:me@"), "{out}");
            assert!(!out.contains("<a href=\"https://e.example"), "{out}");
            assert!(!out.contains("<a <a") && !out.contains("</a></a>"), "{out}");
        }
        assert_eq!(
            markdown("[site](https://a.example/x)")
                .matches("<a ")
                .count(),
            1
        );
        // What is not an address stays text.
        for source in [
            "a@b",
            "a@b.c",
            "@example.com",
            "x@.example.com",
            "x@example..com",
        ] {
            assert!(!markdown(source).contains("mailto:"), "{source}");
        }
        assert_eq!(email_at("x@y.co. next"), Some(6));
        // A long word is read once: a million letters and then an address stay fast.
        let long = format!("{}@example.com", "a".repeat(1_000_000));
        assert_eq!(links_in(&long), vec![(0, long.len(), Link::Email)]);
        let long = "a".repeat(1_000_000);
        assert!(links_in(&long).is_empty());
        assert_inert(&markdown("x javascript:alert(1)@evil.example y"));
    }

    #[test]
    fn text_links_and_mentions() {
        let out = text("hi @Alice\u{200b} see https://example.com/x?a=1&b=2. ok\nnext");
        assert!(
            out.contains("<span class=\"mention\">@Alice</span>"),
            "{out}"
        );
        assert!(
            out.contains("href=\"https://example.com/x?a=1&amp;b=2\""),
            "{out}"
        );
        assert!(out.contains("</a>. ok<br>next"), "{out}");
        // An address without the zero-width space is plain text; a bare scheme is not a link.
        assert_eq!(text("mail@example.com"), "mail@example.com");
        assert_eq!(text("http://"), "http://");
        // Only the mention class passes; no other class can be smuggled in.
        let out = sanitize("<span class=\"mention admin-danger\">x</span><p class=\"x\">y</p>");
        assert!(
            !out.contains("admin-danger") && !out.contains("\"x\""),
            "{out}"
        );
    }

    #[test]
    fn message_html_by_type() {
        assert_eq!(message_html("text", &Content::text("plain")), None);
        let c = Content::text("<i>x</i>");
        assert_eq!(
            message_html("text", &c).as_deref(),
            Some("&lt;i&gt;x&lt;/i&gt;")
        );
        assert_eq!(message_html("html", &c).as_deref(), Some("<i>x</i>"));
        assert_eq!(
            message_html("markdown", &c).as_deref(),
            Some("<p><i>x</i></p>\n")
        );
        assert_eq!(message_html("image", &Content::image("k")), None);
        assert_eq!(message_html("text", &Content::default()), None);
    }
}
