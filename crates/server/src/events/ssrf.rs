//! The SSRF guard: a webhook URL must not make the server call into its own network
//! (loopback, private, link-local and similar ranges) unless the operator allows it.
//!
//! The guard runs where the URL is set (admin API) and again at every delivery, on every
//! address the host resolves to: a name may be re-pointed after it was accepted. At delivery
//! the same check also runs inside the HTTP client's resolver ([`GuardedResolver`]), so the
//! addresses checked are exactly the ones connected to (no DNS-rebinding window).

use std::net::{IpAddr, Ipv4Addr, SocketAddr};

use reqwest::dns::{Addrs, Name, Resolve, Resolving};

/// Why a webhook URL is refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum UrlRefused {
    /// Not an absolute http(s) URL with a host.
    #[error("webhook URL {0:?} is not an http:// or https:// URL with a host")]
    Invalid(String),
    /// The host does not resolve.
    #[error("webhook host {host} does not resolve: {reason}")]
    Unresolvable {
        /// The host.
        host: String,
        /// The resolver's answer.
        reason: String,
    },
    /// The host is, or resolves to, an internal address.
    #[error(
        "webhook host {host} resolves to {addr}, a private, loopback or link-local address; \
         refused (the operator can allow it with CLOUDLAKE_WEBHOOK_ALLOW_PRIVATE=1)"
    )]
    Private {
        /// The host.
        host: String,
        /// The refused address.
        addr: IpAddr,
    },
}

/// Whether an address is one a webhook must not reach by default.
pub fn is_internal(ip: IpAddr) -> bool {
    match ip {
        IpAddr::V4(v4) => is_internal_v4(v4),
        IpAddr::V6(v6) => {
            // IPv4-mapped (::ffff:a.b.c.d) and NAT64 (64:ff9b::a.b.c.d) reach IPv4 hosts.
            if let Some(v4) = v6.to_ipv4_mapped() {
                return is_internal_v4(v4);
            }
            let s = v6.segments();
            if s[0] == 0x64 && s[1] == 0xff9b && s[2..6] == [0, 0, 0, 0] {
                let [a, b] = s[6].to_be_bytes();
                let [c, d] = s[7].to_be_bytes();
                return is_internal_v4(Ipv4Addr::new(a, b, c, d));
            }
            let v4_at = |hi: u16, lo: u16| Ipv4Addr::from((u32::from(hi) << 16) | u32::from(lo));
            // SIIT (::ffff:0:a.b.c.d, RFC 6052/7915) and 6to4 (2002:a.b.c.d::/48) embed the
            // IPv4 host they reach too.
            if s[0..6] == [0, 0, 0, 0, 0xffff, 0] {
                return is_internal_v4(v4_at(s[6], s[7]));
            }
            if s[0] == 0x2002 {
                return is_internal_v4(v4_at(s[1], s[2]));
            }
            // Local-use NAT64 (64:ff9b:1::/48, RFC 8215) translates to whatever the operator's
            // network holds: never a public host.
            if s[0] == 0x64 && s[1] == 0xff9b && s[2] == 1 {
                return true;
            }
            v6.is_loopback()
                || v6.is_unspecified()
                || v6.is_multicast()
                || (s[0] & 0xfe00) == 0xfc00 // unique local fc00::/7
                || (s[0] & 0xffc0) == 0xfe80 // link-local fe80::/10
                || (s[0] & 0xffc0) == 0xfec0 // deprecated site-local fec0::/10
                // IPv4-compatible ::a.b.c.d (deprecated) also embeds an IPv4 address.
                || (s[0..6] == [0, 0, 0, 0, 0, 0]
                    && is_internal_v4(Ipv4Addr::from(
                        (u32::from(s[6]) << 16) | u32::from(s[7]),
                    )))
        }
    }
}

fn is_internal_v4(ip: Ipv4Addr) -> bool {
    let [a, b, ..] = ip.octets();
    ip.is_private()
        || ip.is_loopback()
        || ip.is_link_local()
        || ip.is_unspecified()
        || ip.is_broadcast()
        || ip.is_multicast()
        || a == 0 // "this network"
        || (a == 100 && (64..128).contains(&b)) // carrier-grade NAT 100.64.0.0/10
        || (a == 192 && b == 0 && ip.octets()[2] == 0) // IETF protocol assignments
        || (a == 198 && (b == 18 || b == 19)) // benchmarking
        || a >= 240 // reserved
}

/// Parses a webhook URL and checks every address its host resolves to.
pub async fn check_url(url: &str, allow_private: bool) -> Result<reqwest::Url, UrlRefused> {
    let parsed =
        reqwest::Url::parse(url.trim()).map_err(|_| UrlRefused::Invalid(url.to_owned()))?;
    if !matches!(parsed.scheme(), "http" | "https") {
        return Err(UrlRefused::Invalid(url.to_owned()));
    }
    let Some(host) = parsed.host_str().filter(|h| !h.is_empty()) else {
        return Err(UrlRefused::Invalid(url.to_owned()));
    };
    if allow_private {
        return Ok(parsed);
    }
    let port = parsed.port_or_known_default().unwrap_or(80);
    // IPv6 literals come bracketed ("[::1]"); IP literals are checked as they are.
    let literal = host.trim_start_matches('[').trim_end_matches(']');
    let addrs: Vec<IpAddr> = match literal.parse::<IpAddr>() {
        Ok(ip) => vec![ip],
        Err(_) => resolve(host, port)
            .await?
            .iter()
            .map(SocketAddr::ip)
            .collect(),
    };
    refuse_internal(host, addrs.into_iter())?;
    Ok(parsed)
}

async fn resolve(host: &str, port: u16) -> Result<Vec<SocketAddr>, UrlRefused> {
    tokio::net::lookup_host((host, port))
        .await
        .map(Iterator::collect)
        .map_err(|e| UrlRefused::Unresolvable {
            host: host.to_owned(),
            reason: e.to_string(),
        })
}

fn refuse_internal(host: &str, addrs: impl Iterator<Item = IpAddr>) -> Result<(), UrlRefused> {
    for addr in addrs {
        if is_internal(addr) {
            return Err(UrlRefused::Private {
                host: host.to_owned(),
                addr,
            });
        }
    }
    Ok(())
}

/// The HTTP client's resolver when private targets are not allowed: resolves as usual and
/// fails if any address is internal.
#[derive(Debug, Clone, Copy)]
pub struct GuardedResolver;

impl Resolve for GuardedResolver {
    fn resolve(&self, name: Name) -> Resolving {
        let host = name.as_str().to_owned();
        Box::pin(async move {
            // The port is replaced by the client with the URL's own.
            let addrs = resolve(&host, 0).await?;
            refuse_internal(&host, addrs.iter().map(SocketAddr::ip))?;
            let addrs: Addrs = Box::new(addrs.into_iter());
            Ok(addrs)
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ip(s: &str) -> IpAddr {
        s.parse().unwrap_or(IpAddr::V4(Ipv4Addr::UNSPECIFIED))
    }

    #[test]
    fn internal_ranges_are_refused_and_public_ones_pass() {
        for internal in [
            "127.0.0.1",
            "10.1.2.3",
            "172.16.0.1",
            "192.168.1.1",
            "169.254.169.254",
            "0.0.0.0",
            "100.64.0.1",
            "::1",
            "::",
            "fe80::1",
            "fd00::1",
            "::ffff:127.0.0.1",
            "::ffff:10.0.0.1",
            "64:ff9b::a9fe:a9fe",
            "::127.0.0.1",
            "::ffff:0:7f00:1",
            "::ffff:0:a9fe:a9fe",
            "64:ff9b:1::8.8.8.8",
            "64:ff9b:1:ffff::1",
            "2002:7f00:1::1",
            "2002:c0a8:101::",
        ] {
            assert!(is_internal(ip(internal)), "{internal}");
        }
        for public in [
            "1.1.1.1",
            "93.184.216.34",
            "2606:4700::1111",
            "::ffff:8.8.8.8",
            "::ffff:0:808:808",
            "2002:808:808::1",
        ] {
            assert!(!is_internal(ip(public)), "{public}");
        }
    }

    #[tokio::test]
    async fn urls_are_checked_by_every_resolved_address() {
        assert!(matches!(
            check_url("http://127.0.0.1:9/x", false).await,
            Err(UrlRefused::Private { .. })
        ));
        assert!(matches!(
            check_url("http://[::ffff:7f00:1]/x", false).await,
            Err(UrlRefused::Private { .. })
        ));
        assert!(matches!(
            check_url("http://localhost:9/x", false).await,
            Err(UrlRefused::Private { .. })
        ));
        assert!(check_url("http://127.0.0.1:9/x", true).await.is_ok());
        assert!(matches!(
            check_url("ftp://example.com/", true).await,
            Err(UrlRefused::Invalid(_))
        ));
    }
}
