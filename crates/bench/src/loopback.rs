//! The harness only ever loads this machine: every target must resolve to loopback.

use anyhow::{Context, bail};
use reqwest::Url;

/// Checks that `url`'s host is a loopback address (127.0.0.0/8, ::1 or `localhost`), so that a
/// typo can never aim a load test at another machine.
pub fn require_loopback(url: &Url) -> anyhow::Result<()> {
    let host = url.host_str().context("the URL has no host")?;
    let host = host.trim_start_matches('[').trim_end_matches(']');
    if host.eq_ignore_ascii_case("localhost") {
        return Ok(());
    }
    match host.parse::<std::net::IpAddr>() {
        Ok(ip) if ip.is_loopback() => Ok(()),
        Ok(ip) => bail!("{ip} is not a loopback address: the harness only targets this machine"),
        Err(_) => bail!("{host:?} is not a loopback address: give 127.0.0.1, ::1 or localhost"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_loopback_targets_pass() {
        for ok in [
            "http://127.0.0.1:8080/x",
            "http://127.9.9.9/",
            "http://[::1]:80/",
            "http://localhost/",
        ] {
            assert!(require_loopback(&Url::parse(ok).unwrap()).is_ok(), "{ok}");
        }
        for bad in [
            "http://10.0.0.1/",
            "http://192.168.1.2/",
            "http://8.8.8.8/",
            "http://example.com/",
        ] {
            assert!(
                require_loopback(&Url::parse(bad).unwrap()).is_err(),
                "{bad}"
            );
        }
    }
}
