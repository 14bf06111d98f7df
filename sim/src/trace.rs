//! The run trace: one line per event (virtual time, node, event), hashed for determinism checks and mirrored to `tracing`.

use std::fmt::Write as _;

/// One traced event.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TraceEvent {
    pub time_ms: u64,
    /// The node that observed it: `jm`, `tm0`, `broker`, `storage`, `sink-store`, `client`, `world`.
    pub node: String,
    /// Event kind, one word (`job`, `task`, `trigger`, `ack`, `complete`, `abort`, `fault`, ...).
    pub kind: &'static str,
    pub detail: String,
}

impl TraceEvent {
    /// `000012.345 jm        complete  id=3 ...`
    pub fn line(&self) -> String {
        let mut s = String::with_capacity(48 + self.detail.len());
        let _ = write!(
            s,
            "{:>7}.{:03} {:<10} {:<10} {}",
            self.time_ms / 1000,
            self.time_ms % 1000,
            self.node,
            self.kind,
            self.detail
        );
        s
    }
}

/// The append-only trace of one run.
#[derive(Clone, Debug, Default)]
pub struct Trace {
    events: Vec<TraceEvent>,
}

impl Trace {
    pub fn push(&mut self, time_ms: u64, node: &str, kind: &'static str, detail: String) {
        tracing::debug!(target: "ckptsim::trace", "{:>7}.{:03} {:<10} {:<10} {}", time_ms / 1000, time_ms % 1000, node, kind, detail);
        self.events.push(TraceEvent { time_ms, node: node.to_string(), kind, detail });
    }

    pub fn events(&self) -> &[TraceEvent] {
        &self.events
    }

    pub fn text(&self) -> String {
        let mut s = String::new();
        for e in &self.events {
            s.push_str(&e.line());
            s.push('\n');
        }
        s
    }

    /// FNV-1a 64 over every line: equal hashes ⇔ (with overwhelming likelihood) equal traces.
    pub fn hash(&self) -> u64 {
        let mut h: u64 = 0xcbf2_9ce4_8422_2325;
        for e in &self.events {
            for b in e.line().bytes().chain(std::iter::once(b'\n')) {
                h ^= b as u64;
                h = h.wrapping_mul(0x0100_0000_01b3);
            }
        }
        h
    }
}
