//! The run trace: one line per event (virtual time, node, event), hashed for determinism checks and mirrored to `tracing`.

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
        self.write_line(&mut s);
        s
    }

    /// Appends [`TraceEvent::line`] to `out`: `{:>7}.{:03} {:<10} {:<10} {}` of (seconds,
    /// milliseconds, node, kind, detail), written by hand (the trace of every seed is hashed,
    /// and the formatting machinery was a tenth of a seed's cost).
    pub fn write_line(&self, out: &mut String) {
        fn pad_to(out: &mut String, text: &str, width: usize) {
            out.push_str(text);
            for _ in text.chars().count()..width {
                out.push(' ');
            }
        }
        let mut digits = [b' '; 20];
        let mut i = digits.len();
        let mut secs = self.time_ms / 1000;
        loop {
            i -= 1;
            digits[i] = b'0' + (secs % 10) as u8;
            secs /= 10;
            if secs == 0 {
                break;
            }
        }
        let start = i.min(digits.len() - 7);
        out.push_str(std::str::from_utf8(&digits[start..]).expect("ascii digits"));
        let ms = self.time_ms % 1000;
        out.push('.');
        out.push((b'0' + (ms / 100) as u8) as char);
        out.push((b'0' + (ms / 10 % 10) as u8) as char);
        out.push((b'0' + (ms % 10) as u8) as char);
        out.push(' ');
        pad_to(out, &self.node, 10);
        out.push(' ');
        pad_to(out, self.kind, 10);
        out.push(' ');
        out.push_str(&self.detail);
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
            e.write_line(&mut s);
            s.push('\n');
        }
        s
    }

    /// FNV-1a 64 over every line: equal hashes ⇔ (with overwhelming likelihood) equal traces.
    pub fn hash(&self) -> u64 {
        let mut h: u64 = 0xcbf2_9ce4_8422_2325;
        let mut line = String::with_capacity(128);
        for e in &self.events {
            line.clear();
            e.write_line(&mut line);
            for b in line.bytes().chain(std::iter::once(b'\n')) {
                h ^= b as u64;
                h = h.wrapping_mul(0x0100_0000_01b3);
            }
        }
        h
    }
}

#[cfg(test)]
mod tests {
    use super::TraceEvent;

    #[test]
    fn hand_written_line_matches_the_format_string() {
        for (time_ms, node, kind, detail) in [
            (0, "jm", "job", "CREATED -> RUNNING"),
            (12_345, "tm0", "snapshot", "x"),
            (9_999_999_999, "sink-store", "commit", ""),
            (123_456_789_012_345, "a-very-long-node-name", "kind-longer-than-10", "détail ü"),
            (1_000, "nöde", "k", "d"),
        ] {
            let e = TraceEvent { time_ms, node: node.into(), kind, detail: detail.into() };
            let want = format!("{:>7}.{:03} {:<10} {:<10} {}", time_ms / 1000, time_ms % 1000, node, kind, detail);
            assert_eq!(e.line(), want);
        }
    }
}
