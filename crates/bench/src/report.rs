//! Latency histograms and the one-line summaries the harness prints.

use std::time::Duration;

use hdrhistogram::Histogram;
use serde_json::{Value, json};

/// Microsecond latencies from 1 µs to 60 s with 3 significant digits.
pub fn histogram() -> Histogram<u64> {
    // Constant, valid bounds: this cannot fail at run time.
    Histogram::new_with_bounds(1, 60_000_000, 3).expect("valid histogram bounds")
}

/// Records a duration, saturating at the histogram's top.
pub fn record(h: &mut Histogram<u64>, d: Duration) {
    let micros = u64::try_from(d.as_micros()).unwrap_or(u64::MAX).max(1);
    h.saturating_record(micros);
}

/// A summary of one run: counts, rate and latency percentiles (ms).
pub fn summary(name: &str, ok: u64, failed: u64, elapsed: Duration, h: &Histogram<u64>) -> Value {
    let ms = |q: f64| h.value_at_quantile(q) as f64 / 1000.0;
    json!({
        "run": name,
        "ok": ok,
        "failed": failed,
        "seconds": (elapsed.as_secs_f64() * 1000.0).round() / 1000.0,
        "per_second": (ok as f64 / elapsed.as_secs_f64().max(1e-9)).round(),
        "latency_ms": {
            "min": h.min() as f64 / 1000.0,
            "p50": ms(0.50),
            "p90": ms(0.90),
            "p99": ms(0.99),
            "max": h.max() as f64 / 1000.0,
        },
    })
}
