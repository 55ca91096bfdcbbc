//! Rendering arbitrary text as text, markdown and html: never a panic, and no `<script` tag or
//! `javascript:` link in what comes out.
#![no_main]

use cloudlake_server::render;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(source) = std::str::from_utf8(data) else {
        return;
    };
    for content_type in ["text", "markdown", "html"] {
        let html = render::by_type(content_type, source).to_ascii_lowercase();
        assert!(
            !html.contains("<script"),
            "{content_type}: {source:?} -> {html}"
        );
        assert!(
            !html.contains("href=\"javascript:"),
            "{content_type}: {source:?} -> {html}"
        );
    }
});
