//! The allowed dependency directions between the server's modules (see the crate
//! documentation), checked on the source: `cargo test --lib` fails when a module names one it
//! may not, e.g. the store reaching up into the live layer again.
//!
//! A test rather than a crate boundary: a storage crate of its own would hold the line by the
//! compiler, but costs another crate to build and link on every change, on two cores; this
//! costs one unit test reading ~100 files.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

/// Each module, and the other top-level modules of the crate it may name (`crate::x`).
/// Modules not listed (`api`, `serve`, `connections`, `demo`, `lib`) sit on top and may name any.
const ALLOWED: &[(&str, &[&str])] = &[
    // Leaves: they know no other module of the server.
    ("clock", &[]),
    ("ids", &[]),
    ("secret", &[]),
    ("metrics", &[]),
    ("render", &[]),
    ("media", &[]),
    ("web", &[]),
    // Persistence and the rules that must be atomic: plain records out, nothing above.
    ("store", &["clock", "ids", "secret", "metrics"]),
    // The live layer: records to frames, the bus between nodes, the gateway of sockets.
    ("bus", &["store", "gateway", "config", "metrics"]),
    ("gateway", &["store", "bus", "metrics"]),
    // Bot event delivery: the outbox by webhook; no HTTP server side.
    (
        "events",
        &["store", "media", "clock", "ids", "secret", "metrics"],
    ),
    // Use cases between the handlers and the store (`bus` for uncommitted stream previews).
    (
        "service",
        &[
            "store", "bus", "render", "media", "clock", "ids", "secret", "metrics",
        ],
    ),
    ("config", &["store", "events", "media"]),
];

/// Modules that must not touch the HTTP framework.
const NO_AXUM: &[&str] = &["store", "events", "service", "render", "media", "clock"];

fn source_files(dir: &Path, out: &mut Vec<PathBuf>) {
    let entries = std::fs::read_dir(dir).unwrap_or_else(|e| panic!("{}: {e}", dir.display()));
    for entry in entries {
        let path = entry.expect("a directory entry").path();
        if path.is_dir() {
            source_files(&path, out);
        } else if path.extension().is_some_and(|ext| ext == "rs") {
            out.push(path);
        }
    }
}

/// The top-level module a source file belongs to (`store` for `src/store/writer.rs`).
fn module_of(src: &Path, file: &Path) -> String {
    let relative = file.strip_prefix(src).expect("a file under src/");
    let first = relative
        .components()
        .next()
        .expect("a non-empty path")
        .as_os_str()
        .to_string_lossy();
    first.trim_end_matches(".rs").to_owned()
}

/// The top-level modules a source text names as `crate::x`, outside comments.
fn named_modules(text: &str) -> BTreeSet<String> {
    let mut named = BTreeSet::new();
    for line in text.lines() {
        let code = line.split("//").next().unwrap_or("");
        let mut rest = code;
        while let Some(at) = rest.find("crate::") {
            rest = &rest[at + "crate::".len()..];
            let name: String = rest
                .chars()
                .take_while(|c| c.is_ascii_alphanumeric() || *c == '_')
                .collect();
            if !name.is_empty() {
                named.insert(name);
            }
        }
    }
    named
}

#[test]
fn modules_depend_only_in_the_allowed_directions() {
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let mut files = Vec::new();
    source_files(&src, &mut files);
    assert!(files.len() > 50, "found only {} source files", files.len());
    let mut wrong = Vec::new();
    for file in &files {
        let module = module_of(&src, file);
        if module == "layering" {
            continue;
        }
        let text = std::fs::read_to_string(file).expect("a readable source file");
        if let Some((_, allowed)) = ALLOWED.iter().find(|(m, _)| *m == module) {
            for named in named_modules(&text) {
                if named != module && !allowed.contains(&named.as_str()) {
                    wrong.push(format!("{} names crate::{named}", file.display()));
                }
            }
        }
        if NO_AXUM.contains(&module.as_str())
            && text
                .lines()
                .any(|line| line.split("//").next().unwrap_or("").contains("axum::"))
        {
            wrong.push(format!("{} uses axum", file.display()));
        }
    }
    assert!(wrong.is_empty(), "layering broken:\n{}", wrong.join("\n"));
}

#[test]
fn the_check_sees_what_a_file_names() {
    let text = "use crate::bus::Change; // crate::api in a comment\n\
                /// crate::render in a doc comment\n\
                let x = crate::render::by_type(a, b); use super::db;";
    let named: Vec<String> = named_modules(text).into_iter().collect();
    assert_eq!(named, ["bus", "render"]);
    assert_eq!(
        module_of(Path::new("/s"), Path::new("/s/store/writer.rs")),
        "store"
    );
    assert_eq!(
        module_of(Path::new("/s"), Path::new("/s/render.rs")),
        "render"
    );
}
