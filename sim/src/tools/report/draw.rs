//! Drawing helpers of the report: the time scale, number and duration formatting, escaping, CSS classes and the page's stylesheet.

use super::*;

// ------------------------------------------------------------------ drawing helpers

pub(super) const LABEL_W: f64 = 290.0;
pub(super) const PLOT_W: f64 = 1040.0;
pub(super) const SVG_W: f64 = LABEL_W + PLOT_W + 20.0;
/// Width of one summary bucket in pixels.
pub(super) const BUCKET_PX: f64 = 4.0;

/// Virtual time → x pixel.
pub(super) struct Scale {
    pub(super) stop: u64,
}

impl Scale {
    pub(super) fn x(&self, t: u64) -> f64 {
        LABEL_W + t.min(self.stop) as f64 * PLOT_W / self.stop.max(1) as f64
    }
    pub(super) fn buckets(&self) -> usize {
        (PLOT_W / BUCKET_PX) as usize
    }
    /// The bucket of a time, and a bucket's time range.
    pub(super) fn bucket_of(&self, t: u64) -> usize {
        ((t.min(self.stop) as u128 * self.buckets() as u128) / self.stop.max(1) as u128).min(self.buckets() as u128 - 1)
            as usize
    }
    pub(super) fn bucket_range(&self, b: usize) -> (u64, u64) {
        let n = self.buckets() as u128;
        let s = self.stop as u128;
        ((b as u128 * s / n) as u64, ((b as u128 + 1) * s / n) as u64)
    }
}

/// A pixel coordinate with at most one decimal.
pub(super) fn px(v: f64) -> String {
    let r = (v * 10.0).round() / 10.0;
    if r.fract() == 0.0 {
        format!("{}", r as i64)
    } else {
        format!("{r:.1}")
    }
}

pub(super) fn esc(s: &str) -> String {
    let mut o = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => o.push_str("&amp;"),
            '<' => o.push_str("&lt;"),
            '>' => o.push_str("&gt;"),
            '"' => o.push_str("&quot;"),
            '\'' => o.push_str("&#39;"),
            c if (c as u32) < 0x20 && c != '\n' && c != '\t' => o.push(' '),
            c => o.push(c),
        }
    }
    o
}

/// `12.345 s`
pub fn secs(ms: u64) -> String {
    format!("{}.{:03} s", ms / 1000, ms % 1000)
}

/// A short duration: `8 ms`, `1.5 s`, `90 s`.
pub(super) fn dur(ms: u64) -> String {
    if ms < 1000 {
        format!("{ms} ms")
    } else if ms % 1000 == 0 {
        format!("{} s", ms / 1000)
    } else {
        let s = format!("{:.3}", ms as f64 / 1000.0);
        format!("{} s", s.trim_end_matches('0').trim_end_matches('.'))
    }
}

pub(super) fn tick_label(ms: u64, long: bool) -> String {
    if ms == 0 {
        "0".into()
    } else if long {
        format!("{}:{:02}", ms / 60_000, (ms / 1000) % 60)
    } else {
        dur(ms).replace(" ms", "ms")
    }
}

/// A step of 1, 2 or 5 × 10^k with at most `max` steps in `range`.
pub(super) fn nice_step(range: u64, max: u64) -> u64 {
    let raw = range.div_ceil(max.max(1)).max(1);
    let mut mag = 1u64;
    while mag.saturating_mul(10) <= raw {
        mag *= 10;
    }
    for m in [1, 2, 5, 10] {
        if m * mag >= raw {
            return m * mag;
        }
    }
    10 * mag
}

pub(super) fn shorten(s: &str, max: usize) -> String {
    if s.chars().count() <= max {
        s.to_string()
    } else {
        let mut o: String = s.chars().take(max.saturating_sub(1)).collect();
        o.push('…');
        o
    }
}

pub(super) fn outcome_class(outcome: &str) -> &'static str {
    match outcome {
        "COMPLETED" => "o-completed",
        "PENDING" => "o-pending",
        "CHECKPOINT_EXPIRED" => "o-expired",
        _ => "o-failed",
    }
}

/// Severity of an outcome class for summaries (worst wins).
pub(super) fn outcome_rank(class: &str) -> u8 {
    match class {
        "o-completed" => 0,
        "o-pending" => 1,
        "o-expired" => 2,
        _ => 3,
    }
}

pub(super) fn state_class(s: ExecutionState) -> String {
    format!("st-{}", s.name().to_ascii_lowercase())
}

pub(super) fn job_class(s: JobStatus) -> String {
    format!("js-{}", s.name().to_ascii_lowercase())
}

pub(super) const CSS: &str = r#"
body{font:13px/1.4 -apple-system,"Segoe UI",Helvetica,Arial,sans-serif;margin:16px;color:#1b2631;background:#fff}
h1{font-size:20px;margin:0 0 4px}h2{font-size:16px;margin:22px 0 6px;border-bottom:1px solid #d5d8dc}
.meta{color:#566573}.pass{color:#1e8449;font-weight:bold}.fail{color:#c0392b;font-weight:bold}.na{color:#808b96}
table{border-collapse:collapse;font-size:12px}td,th{border:1px solid #d5d8dc;padding:2px 6px;text-align:left;vertical-align:top}
th{background:#f2f4f4}tr.dup td{background:#fdebd0}tr.gap td{color:#808b96;font-style:italic;background:#fbfcfc}
td.num{text-align:right;font-variant-numeric:tabular-nums}
.legend span{display:inline-block;margin-right:12px;white-space:nowrap}.sw{display:inline-block;width:11px;height:11px;margin-right:4px;vertical-align:-1px;border:1px solid #aab}
svg{display:block;margin:4px 0}svg text{font-size:11px;fill:#1b2631;font-family:Helvetica,Arial,sans-serif}
svg text.lbl{text-anchor:end}svg text.small{font-size:9px;fill:#34495e}svg text.axis{fill:#566573;font-size:10px}
.grid{stroke:#eaeded;stroke-width:1}.lanebg{fill:#fbfcfc}.rowsep{stroke:#f2f3f4}
.js-created{fill:#dde3ea}.js-running{fill:#82e0aa}.js-restarting{fill:#f8c471}.js-failing{fill:#f1948a}.js-failed{fill:#cb4335}
.js-cancelling{fill:#ccd1d1}.js-canceled{fill:#99a3a4}.js-finished{fill:#5dade2}.js-suspended{fill:#bb8fce}
.st-created,.st-scheduled{fill:#eef1f4}.st-deploying{fill:#aed6f1}.st-initializing{fill:#85c1e9}.st-running{fill:#d4efdf}
.st-finished{fill:#a9cce3}.st-canceling{fill:#e5e8e8}.st-canceled{fill:#cacfd2}.st-failed{fill:#f5b7b1}
.restoring{fill:url(#hatch)}
.ph-align{fill:#f4d03f}.ph-snapshot{fill:#6c3483}.ph-upload{fill:#3498db}
.checkpoint-bar{stroke:#fff;stroke-width:.7}.o-completed{fill:#27ae60}.o-expired{fill:#e67e22}.o-failed{fill:#c0392b}.o-pending{fill:#95a5a6}
.checkpoint-bar.savepoint{stroke:#17202a;stroke-width:1}
.fault-span{fill:#f5b7b1;fill-opacity:.55;stroke:#c0392b;stroke-width:.6}.fault-line{stroke:#e74c3c;stroke-width:1;stroke-opacity:.35}
.tri-fault{fill:#c0392b}.tri-action{fill:#2471a3}.tri-event{fill:#7b241c}.dia-retune{fill:#8e44ad}
.retune-line{stroke:#8e44ad;stroke-width:1.5;stroke-dasharray:5 3}.restart-span{fill:#f8c471;stroke:#b9770e;stroke-width:.8}
.mark-exception,.mark-fault,.mark-sink{fill:#c0392b}.mark-decline{fill:#d35400}
.anomaly{fill:#e74c3c;stroke:#78281f;stroke-width:.8}.anomaly-marker:target .anomaly{fill:#f1c40f}
.alignment-bar,.alignment-bucket{fill:#d4ac0d}.offset-line{fill:none;stroke-width:1.6}.logend-line{fill:none;stroke-width:1;stroke-dasharray:4 3}
.p0{stroke:#2874a6}.p1{stroke:#d35400}.p2{stroke:#229954}.p3{stroke:#8e44ad}.p4{stroke:#b03a2e}.p5{stroke:#17a589}.p6{stroke:#7d6608}.p7{stroke:#5d6d7e}
.rejected{fill:#c0392b}
li.anom:target{background:#fcf3cf}a{color:#1f618d}
"#;
