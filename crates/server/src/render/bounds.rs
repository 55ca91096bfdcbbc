//! The bounds that keep rendering cheap whatever a message holds.
//!
//! html5ever's tree builder (what ammonia parses with) walks the stack of open elements on
//! every tag, and the HTML parsing algorithm re-creates misnested formatting elements over and
//! over: `"<div>"×64000` cost 11.9 s, with nothing a request timeout could interrupt. So
//! untrusted markup is first re-tokenized here, in one linear pass, into balanced markup the
//! tree builder has no reason to restructure — every end tag closes the innermost open element,
//! and the implicit closes the parser would make (a block closes an open `<p>`, an `<li>` the
//! previous item, …) are made explicit — and markup that nests deeper than
//! [`MAX_DEPTH`] or holds more than [`MAX_ELEMENTS`] elements is refused. Both are far beyond
//! any real message (browsers themselves flatten trees deeper than 512), and together they make
//! the sanitizer's work at most proportional to `MAX_ELEMENTS × MAX_DEPTH` plus the length.

use std::cell::RefCell;

use super::RenderError as TooComplex;
use html5ever::tokenizer::states::RawKind;
use html5ever::tokenizer::{
    BufferQueue, Tag, TagKind, Token, TokenSink, TokenSinkResult, Tokenizer, TokenizerOpts,
};

/// The deepest nesting of elements (markdown blocks, lists and inlines, or HTML tags) rendered.
/// Real chat messages nest a few levels (a quote in a list in a quote); mail-like HTML a few
/// dozen.
pub const MAX_DEPTH: usize = 100;

/// The most elements (markdown blocks and inlines, or HTML tags) one message may render into:
/// a 2,000-row table of ten columns fits.
pub const MAX_ELEMENTS: usize = 25_000;

/// Counts the depth and number of elements of a rendering as it goes.
#[derive(Debug, Default)]
pub(super) struct Budget {
    depth: usize,
    elements: usize,
}

impl Budget {
    /// One element opened.
    pub(super) fn open(&mut self) -> Result<(), TooComplex> {
        self.elements += 1;
        self.depth += 1;
        if self.elements > MAX_ELEMENTS {
            Err(TooComplex::TooManyElements)
        } else if self.depth > MAX_DEPTH {
            Err(TooComplex::TooDeep)
        } else {
            Ok(())
        }
    }

    /// One element without content (a void element, a rule, a break).
    pub(super) fn leaf(&mut self) -> Result<(), TooComplex> {
        self.open()?;
        self.depth -= 1;
        Ok(())
    }

    /// One element closed.
    pub(super) fn close(&mut self) {
        self.depth = self.depth.saturating_sub(1);
    }
}

/// Rewrites untrusted HTML as balanced markup (see the module comment), without comments,
/// doctypes, or the raw-text elements (`script`, `style`, `textarea`, …) and their contents,
/// which the sanitizer would drop anyway.
pub(super) fn balance(html: &str) -> Result<String, TooComplex> {
    let tokenizer = Tokenizer::new(
        Balancer(RefCell::new(Balanced {
            out: String::with_capacity(html.len() + 16),
            open: Vec::new(),
            budget: Budget::default(),
            raw_text: false,
            refused: None,
        })),
        TokenizerOpts::default(),
    );
    let input = BufferQueue::default();
    input.push_back(html.into());
    // The sink never asks to run a script, so one feed consumes everything.
    let _ = tokenizer.feed(&input);
    tokenizer.end();
    let mut state = tokenizer.sink.0.into_inner();
    if let Some(refused) = state.refused {
        return Err(refused);
    }
    while let Some(name) = state.open.pop() {
        close_tag(&mut state.out, &name);
    }
    Ok(state.out)
}

struct Balancer(RefCell<Balanced>);

struct Balanced {
    out: String,
    /// The names of the open elements, innermost last.
    open: Vec<String>,
    budget: Budget,
    /// Inside a dropped raw-text element: its text goes nowhere.
    raw_text: bool,
    /// Set once a bound is passed; everything after is ignored.
    refused: Option<TooComplex>,
}

impl TokenSink for Balancer {
    type Handle = ();

    fn process_token(&self, token: Token, _line: u64) -> TokenSinkResult<()> {
        let mut state = self.0.borrow_mut();
        if state.refused.is_some() {
            return TokenSinkResult::Continue;
        }
        match token {
            Token::CharacterTokens(text) if !state.raw_text => escape_text(&mut state.out, &text),
            Token::TagToken(tag) => return state.tag(tag),
            // Comments, doctypes, NULs, parse errors and the contents of raw-text elements.
            _ => {}
        }
        TokenSinkResult::Continue
    }
}

impl Balanced {
    fn tag(&mut self, tag: Tag) -> TokenSinkResult<()> {
        let name: &str = &tag.name;
        if tag.kind == TagKind::EndTag {
            if raw_text_kind(name).is_some() {
                // The end of a raw-text element (its start switched the tokenizer over).
                self.raw_text = false;
            } else if let Some(at) = self.open.iter().rposition(|open| open == name) {
                self.close_from(at);
            }
            // An end tag that closes nothing open is dropped.
            return TokenSinkResult::Continue;
        }
        if name == "plaintext" {
            self.raw_text = true;
            return TokenSinkResult::Plaintext;
        }
        if let Some(kind) = raw_text_kind(name) {
            self.raw_text = true;
            return TokenSinkResult::RawData(kind);
        }
        if !is_plain_name(name) {
            // A name the sanitizer allows no element by: the text around it stays.
            return TokenSinkResult::Continue;
        }
        self.close_implied_by(name);
        let counted = if VOID.contains(&name) {
            self.budget.leaf()
        } else {
            self.budget.open()
        };
        if let Err(refused) = counted {
            self.refused = Some(refused);
            return TokenSinkResult::Continue;
        }
        self.out.push('<');
        self.out.push_str(name);
        for attr in &tag.attrs {
            let attr_name: &str = &attr.name.local;
            // Attribute names the tokenizer let through but no allowed attribute has.
            if attr.name.ns.is_empty() && is_plain_name(attr_name) {
                self.out.push(' ');
                self.out.push_str(attr_name);
                self.out.push_str("=\"");
                escape_attr(&mut self.out, &attr.value);
                self.out.push('"');
            }
        }
        self.out.push('>');
        if !VOID.contains(&name) {
            self.open.push(name.to_owned());
        }
        TokenSinkResult::Continue
    }

    /// Closes the open elements from index `at` outward, innermost first.
    fn close_from(&mut self, at: usize) {
        for name in self.open.drain(at..).rev() {
            close_tag(&mut self.out, &name);
            self.budget.close();
        }
    }

    /// Makes the parser's implicit closes explicit, so that the tree builder never pops
    /// elements on its own (and re-creates formatting elements after them).
    fn close_implied_by(&mut self, name: &str) {
        let within = |stop: &[&str], target: &[&str], open: &[String]| {
            open.iter()
                .rposition(|o| target.contains(&o.as_str()) || stop.contains(&o.as_str()))
                .filter(|&at| target.contains(&open[at].as_str()))
        };
        let at = match name {
            "li" => within(&["ul", "ol", "table"], &["li"], &self.open),
            "dt" | "dd" => within(&["dl", "table"], &["dt", "dd"], &self.open),
            "tr" => within(&["table"], &["tr", "td", "th"], &self.open),
            "td" | "th" => within(&["table", "tr"], &["td", "th"], &self.open),
            "tbody" | "thead" | "tfoot" => {
                within(&["table"], &["tbody", "thead", "tfoot"], &self.open)
            }
            "option" => within(&["select"], &["option"], &self.open),
            "a" | "nobr" | "button" | "form" => within(&[], &[name], &self.open),
            "h1" | "h2" | "h3" | "h4" | "h5" | "h6"
                if self
                    .open
                    .last()
                    .is_some_and(|o| HEADINGS.contains(&o.as_str())) =>
            {
                Some(self.open.len() - 1)
            }
            _ => None,
        };
        if let Some(at) = at {
            self.close_from(at);
        }
        if CLOSES_P.contains(&name)
            && let Some(at) = within(&SCOPE, &["p"], &self.open)
        {
            self.close_from(at);
        }
    }
}

/// The tokenizer state for an element whose content is not markup.
fn raw_text_kind(name: &str) -> Option<RawKind> {
    match name {
        "script" => Some(RawKind::ScriptData),
        "textarea" | "title" => Some(RawKind::Rcdata),
        "style" | "xmp" | "iframe" | "noembed" | "noframes" | "noscript" => Some(RawKind::Rawtext),
        _ => None,
    }
}

/// Elements without content.
const VOID: [&str; 14] = [
    "area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "source", "track",
    "wbr", "param",
];

const HEADINGS: [&str; 6] = ["h1", "h2", "h3", "h4", "h5", "h6"];

/// Where a search for an open `<p>` stops (the parser's button scope).
const SCOPE: [&str; 10] = [
    "applet", "caption", "html", "table", "td", "th", "marquee", "object", "template", "button",
];

/// Start tags that close an open `<p>`.
const CLOSES_P: [&str; 34] = [
    "address",
    "article",
    "aside",
    "blockquote",
    "center",
    "details",
    "dialog",
    "dir",
    "div",
    "dl",
    "fieldset",
    "figcaption",
    "figure",
    "footer",
    "form",
    "h1",
    "h2",
    "h3",
    "h4",
    "h5",
    "h6",
    "header",
    "hgroup",
    "hr",
    "main",
    "menu",
    "nav",
    "ol",
    "p",
    "pre",
    "section",
    "table",
    "ul",
    "summary",
];

/// Letters, digits and `-`, `_`, `:`: every element and attribute the sanitizer allows.
fn is_plain_name(name: &str) -> bool {
    !name.is_empty()
        && name
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b':'))
}

fn close_tag(out: &mut String, name: &str) {
    out.push_str("</");
    out.push_str(name);
    out.push('>');
}

fn escape_text(out: &mut String, text: &str) {
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            c => out.push(c),
        }
    }
}

fn escape_attr(out: &mut String, value: &str) {
    for c in value.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '"' => out.push_str("&quot;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            c => out.push(c),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn balances_what_the_parser_would_close() {
        assert_eq!(balance("<p>a<div>b</div>").unwrap(), "<p>a</p><div>b</div>");
        assert_eq!(
            balance("<ul><li>a<li><b>b</ul>").unwrap(),
            "<ul><li>a</li><li><b>b</b></li></ul>"
        );
        assert_eq!(balance("<b><i>x</b>y</i>").unwrap(), "<b><i>x</i></b>y");
        assert_eq!(balance("</div>x<br/>").unwrap(), "x<br>");
        assert_eq!(
            balance("<a href=\"x&quot;&lt;\" x\"y=1>t").unwrap(),
            "<a href=\"x&quot;&lt;\">t</a>"
        );
    }

    #[test]
    fn drops_raw_text_comments_and_doctypes() {
        assert_eq!(
            balance("<!doctype html><!-- c --><script>x<b></script>t<style>s</style>").unwrap(),
            "t"
        );
        assert_eq!(balance("a<plaintext><b>x").unwrap(), "a");
    }

    #[test]
    fn refuses_past_the_bounds() {
        let deep = "<div>".repeat(MAX_DEPTH);
        assert!(balance(&deep).is_ok());
        assert_eq!(balance(&(deep + "<div>")), Err(TooComplex::TooDeep));
        let many = "<br>".repeat(MAX_ELEMENTS);
        assert!(balance(&many).is_ok());
        assert_eq!(balance(&(many + "<br>")), Err(TooComplex::TooManyElements));
        // Unclosed paragraphs and list items close each other, as in a browser.
        assert!(balance(&"<p>x".repeat(MAX_DEPTH * 2)).is_ok());
        assert!(balance(&format!("<ul>{}</ul>", "<li>x".repeat(MAX_DEPTH * 2))).is_ok());
    }
}
