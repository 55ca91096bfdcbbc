//! Media on object storage (`--media-s3-bucket`): uploads go to a real S3-compatible server
//! (`s3s-fs` from crates.io, which checks every SigV4 signature) on loopback, and come back
//! through `GET /media/{key}` with ranges, with nothing kept on the node's own disk.
//!
//! The server binary is `CLOUDLAKE_TEST_S3FS` or `s3s-fs` on the PATH (`.ci/s3.sh` installs it);
//! without it these tests are skipped, except under CI (`CLOUDLAKE_REQUIRE_S3`), where they fail.

#![allow(clippy::unwrap_used)]

use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use cloudlake_server::media::{S3Options, S3UrlStyle};
use cloudlake_server::{Config, Server};

use crate::common::TestServer;
use crate::uploads::{mp4, upload};

const BOT: &str = "81810001";
const BUCKET: &str = "media";
const ACCESS_KEY: &str = "cloudlake-test";
const SECRET_KEY: &str = "cloudlake-test-secret-0123456789";

/// An `s3s-fs` process on a loopback port, serving the directory `root` (each bucket a
/// directory in it); killed when dropped.
struct S3Server {
    child: Child,
    endpoint: String,
    root: tempfile::TempDir,
}

impl Drop for S3Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn s3s_binary() -> Option<PathBuf> {
    if let Some(path) = std::env::var_os("CLOUDLAKE_TEST_S3FS") {
        return Some(PathBuf::from(path));
    }
    std::env::var_os("PATH").and_then(|paths| {
        std::env::split_paths(&paths)
            .map(|dir| dir.join("s3s-fs"))
            .find(|path| path.is_file())
    })
}

impl S3Server {
    /// Starts one with the bucket [`BUCKET`], or `None` (the test is skipped) when there is no
    /// `s3s-fs` and CI does not require it.
    async fn start() -> Option<S3Server> {
        let Some(binary) = s3s_binary() else {
            assert!(
                std::env::var_os("CLOUDLAKE_REQUIRE_S3").is_none(),
                "CLOUDLAKE_REQUIRE_S3 is set but there is no s3s-fs (CLOUDLAKE_TEST_S3FS or PATH)"
            );
            eprintln!("skipped: no s3s-fs (set CLOUDLAKE_TEST_S3FS; .ci/s3.sh installs it)");
            return None;
        };
        let root = tempfile::tempdir().unwrap();
        std::fs::create_dir(root.path().join(BUCKET)).unwrap();
        // A free port: bound, noted, released, then given to the server.
        let port = TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap()
            .port();
        let child = Command::new(binary)
            .args(["--host", "127.0.0.1", "--port", &port.to_string()])
            .args(["--access-key", ACCESS_KEY, "--secret-key", SECRET_KEY])
            .arg(root.path())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        let server = S3Server {
            child,
            endpoint: format!("http://127.0.0.1:{port}"),
            root,
        };
        for _ in 0..200 {
            if tokio::net::TcpStream::connect(("127.0.0.1", port))
                .await
                .is_ok()
            {
                return Some(server);
            }
            tokio::time::sleep(Duration::from_millis(25)).await;
        }
        panic!("s3s-fs did not listen on port {port} within 5 s");
    }

    fn options(&self, prefix: &str) -> S3Options {
        S3Options {
            endpoint: self.endpoint.clone(),
            bucket: BUCKET.into(),
            region: "us-east-1".into(),
            url_style: S3UrlStyle::Path,
            prefix: prefix.into(),
            access_key_id: ACCESS_KEY.into(),
            secret_access_key: SECRET_KEY.into(),
            session_token: None,
        }
    }

    /// The bytes of an object as the S3 server keeps them on its disk.
    fn object(&self, key: &str) -> Option<Vec<u8>> {
        std::fs::read(self.root.path().join(BUCKET).join(key)).ok()
    }
}

/// Every file under `dir`, recursively.
fn files_under(dir: &Path) -> Vec<PathBuf> {
    let mut found = Vec::new();
    let Ok(entries) = std::fs::read_dir(dir) else {
        return found;
    };
    for entry in entries.flatten() {
        let path = entry.path();
        if path.is_dir() {
            found.extend(files_under(&path));
        } else {
            found.push(path);
        }
    }
    found
}

#[tokio::test]
async fn uploads_go_to_the_bucket_and_are_served_from_it_with_ranges() {
    let Some(s3) = S3Server::start().await else {
        return;
    };
    let server = TestServer::start_with(|c| c.media_s3 = Some(s3.options("cl/"))).await;
    let token = server.bot(BOT).await;
    let video = mp4(2000);
    let key = upload(&server, &token, "video", "v.mp4", &video).await;

    // The object is in the bucket under the prefix, byte for byte; the node keeps no copy.
    assert_eq!(
        s3.object(&format!("cl/{key}")).as_deref(),
        Some(video.as_slice())
    );
    let local = files_under(&server.dir.path().join("media"));
    assert!(local.is_empty(), "blobs left on the node's disk: {local:?}");

    let url = server.url(&format!("/media/{key}?token={token}"));
    let resp = server.http.get(&url).send().await.unwrap();
    assert_eq!(resp.status().as_u16(), 200);
    assert_eq!(resp.headers()["content-type"], "video/mp4");
    assert_eq!(
        resp.headers()["content-length"],
        video.len().to_string().as_str()
    );
    assert_eq!(resp.headers()["x-content-type-options"], "nosniff");
    assert_eq!(resp.bytes().await.unwrap().as_ref(), video.as_slice());

    // A player's seek: the object store answers the range, the server passes it on.
    let resp = server
        .http
        .get(&url)
        .header("Range", "bytes=100-199")
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status().as_u16(), 206);
    assert_eq!(
        resp.headers()["content-range"],
        format!("bytes 100-199/{}", video.len()).as_str()
    );
    assert_eq!(resp.bytes().await.unwrap().as_ref(), &video[100..200]);

    // The same bytes again are the same key and the same single object.
    assert_eq!(upload(&server, &token, "video", "w.mp4", &video).await, key);
    assert_eq!(files_under(&s3.root.path().join(BUCKET)).len(), 1);

    // Who may not see it still gets 404, as on a local disk.
    let other = server.bot("81810002").await;
    let resp = server
        .http
        .get(server.url(&format!("/media/{key}?token={other}")))
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status().as_u16(), 404);

    // An object lost from the bucket is a 404 for the reader, not a server error.
    std::fs::remove_file(s3.root.path().join(BUCKET).join(format!("cl/{key}"))).unwrap();
    let resp = server.http.get(&url).send().await.unwrap();
    assert_eq!(resp.status().as_u16(), 404);
}

#[tokio::test]
async fn a_node_without_the_first_ones_disk_serves_what_it_stored() {
    let Some(s3) = S3Server::start().await else {
        return;
    };
    let server = TestServer::start_with(|c| c.media_s3 = Some(s3.options(""))).await;
    let token = server.bot(BOT).await;
    let video = mp4(1500);
    let key = upload(&server, &token, "video", "v.mp4", &video).await;
    let dir = server.stop().await;
    // What a second node has: the database, none of the first node's media directory.
    std::fs::remove_dir_all(dir.path().join("media")).unwrap();

    let server = TestServer::start_in(dir, |c| c.media_s3 = Some(s3.options(""))).await;
    let resp = server
        .http
        .get(server.url(&format!("/media/{key}?token={token}")))
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status().as_u16(), 200);
    assert_eq!(resp.bytes().await.unwrap().as_ref(), video.as_slice());
}

/// What `serve` says when it cannot use the bucket: it does not start.
async fn refusal(options: S3Options) -> String {
    let dir = tempfile::tempdir().unwrap();
    let mut config = Config::new(dir.path());
    config.listen = "127.0.0.1:0".parse().unwrap();
    config.media_s3 = Some(options);
    match Server::bind(config).await {
        Ok(_) => panic!("the server started with a bucket it cannot use"),
        Err(e) => e.to_string(),
    }
}

#[tokio::test]
async fn a_bucket_it_cannot_use_stops_the_server_with_the_reason() {
    let Some(s3) = S3Server::start().await else {
        return;
    };
    let wrong_secret = S3Options {
        secret_access_key: "not-the-secret".into(),
        ..s3.options("")
    };
    let said = refusal(wrong_secret).await;
    assert!(said.contains("HTTP 403"), "{said}");
    assert!(said.contains("\"media\""), "{said}");
    assert!(
        !said.contains("not-the-secret"),
        "the secret in an error: {said}"
    );

    let missing = S3Options {
        bucket: "no-such-bucket".into(),
        ..s3.options("")
    };
    let said = refusal(missing).await;
    assert!(
        said.contains("HTTP 404") && said.contains("no such bucket"),
        "{said}"
    );

    // A port nobody listens on.
    let closed = TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap();
    let unreachable = S3Options {
        endpoint: format!("http://{closed}"),
        ..s3.options("")
    };
    let said = refusal(unreachable).await;
    assert!(
        said.contains(&format!("S3 endpoint http://{closed}")),
        "{said}"
    );

    // The configuration as logged never carries the secret.
    let shown = format!("{:?}", s3.options(""));
    assert!(!shown.contains(SECRET_KEY), "{shown}");
}
