//! The records of a log input in a [`crate::spec::JobSpec`]: written out, or generated on demand from the scenario's seeded stream, so that loading and `check` cost O(file), never O(records).
//!
//! A generator's record `i` is appended at `start_ms + i * 1000 / rate_per_s` to partition
//! `i % partitions`, with value `k{key}` where the key is the `i`-th draw of the input stream
//! (`load::INPUT_STREAM`, seeded with the scenario's seed). Times and partitions are formulas;
//! values are drawn when the records are read ([`LogRecords::iter`]), in input order, with the
//! same draws `load.rs` made when it expanded the generator into the spec (so traces are
//! unchanged). A written-out input (`[input].records`, a generator with bursts merged in, a
//! shrunk or hand-built input) is a list.

use super::Distribution;
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use std::borrow::Cow;

/// One log record of the input: (append time ms, partition, value).
pub type InputRecord<'a> = (u64, u32, Cow<'a, str>);

/// The records of a log input, in input order (sequence number = position). Two inputs are
/// equal when they hold the same records, however each is kept (a generator written out by
/// `emit` and loaded again equals the generator).
#[derive(Clone, Debug)]
pub enum LogRecords {
    /// (at_ms, partition, value), sorted by time.
    Listed(Vec<(u64, u32, String)>),
    /// `[input].generator`, drawn when read.
    Generated(GeneratedLog),
}

/// A generator as the spec keeps it: its parameters and where its stream starts.
#[derive(Clone, Debug, PartialEq)]
pub struct GeneratedLog {
    /// Records in the log (`[input].generator.count`).
    pub count: u64,
    /// Records appended per second of virtual time, evenly spaced (>= 1).
    pub rate_per_s: u64,
    /// Distinct keys `k0` .. `k{keys-1}` (>= 1).
    pub keys: u64,
    /// How keys are drawn.
    pub distribution: Distribution,
    /// Virtual time of the first append, ms.
    pub start_ms: u64,
    /// Log partitions; record `i` goes to partition `i % partitions`.
    pub partitions: u32,
    /// The scenario's seed, which seeds the draws.
    pub seed: u64,
    /// The `rand_chacha` stream the draws come from (100 for the scenario's input).
    pub stream: u64,
    /// With event time and a timestamp jitter, each key draw is followed by a jitter draw in
    /// `0..=jitter_ms` (0: no jitter draw).
    pub jitter_ms: u64,
}

impl PartialEq for LogRecords {
    fn eq(&self, other: &Self) -> bool {
        match (self, other) {
            (LogRecords::Generated(a), LogRecords::Generated(b)) if a == b => true,
            _ => self.len() == other.len() && self.iter().eq(other.iter()),
        }
    }
}

impl Default for LogRecords {
    fn default() -> Self {
        LogRecords::Listed(Vec::new())
    }
}

impl From<Vec<(u64, u32, String)>> for LogRecords {
    fn from(v: Vec<(u64, u32, String)>) -> Self {
        LogRecords::Listed(v)
    }
}

impl GeneratedLog {
    /// The input stream, positioned before the first record's draws.
    pub fn rng(&self) -> ChaCha8Rng {
        let mut rng = ChaCha8Rng::seed_from_u64(self.seed);
        rng.set_stream(self.stream);
        rng
    }

    /// Record `i`'s append time.
    pub fn at_ms(&self, i: u64) -> u64 {
        self.start_ms + i * 1000 / self.rate_per_s.max(1)
    }

    /// Record `i`'s partition.
    pub fn partition(&self, i: u64) -> u32 {
        (i % self.partitions.max(1) as u64) as u32
    }

    /// The next record's key and, when the generator draws one, its timestamp jitter.
    pub fn draw(&self, rng: &mut ChaCha8Rng) -> (u64, u64) {
        let key = draw_key(rng, self.keys.max(1), self.distribution);
        let jitter = if self.jitter_ms > 0 { rng.random_range(0..=self.jitter_ms) } else { 0 };
        (key, jitter)
    }
}

/// Generated key `key`'s value, `k{key}`, written without the formatting machinery (every
/// generated record is drawn once by the world's log and once by the reference: the `format!`
/// was 2.5 % of a swarm seed's instructions).
fn key_name(key: u64) -> String {
    let mut s = String::with_capacity(21);
    s.push('k');
    super::text::push_decimal(&mut s, key);
    s
}

/// A key in `0..keys`: uniform, or Zipf with exponent 1 (by inverse CDF).
pub(crate) fn draw_key(rng: &mut ChaCha8Rng, keys: u64, d: Distribution) -> u64 {
    match d {
        Distribution::Uniform => rng.random_range(0..keys),
        Distribution::Zipf => {
            let h: f64 = (1..=keys).map(|k| 1.0 / k as f64).sum();
            let mut u = rng.random::<f64>() * h;
            for k in 1..=keys {
                u -= 1.0 / k as f64;
                if u <= 0.0 {
                    return k - 1;
                }
            }
            keys - 1
        }
    }
}

impl LogRecords {
    /// Records in the log (a generator's `count`, without drawing them).
    pub fn len(&self) -> usize {
        match self {
            LogRecords::Listed(v) => v.len(),
            LogRecords::Generated(g) => g.count as usize,
        }
    }

    /// True when the log holds no record.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Input `seq`'s append time (no draws).
    pub fn at_ms(&self, seq: u64) -> Option<u64> {
        match self {
            LogRecords::Listed(v) => v.get(seq as usize).map(|r| r.0),
            LogRecords::Generated(g) => (seq < g.count).then(|| g.at_ms(seq)),
        }
    }

    /// Input `seq`'s partition (no draws).
    pub fn partition(&self, seq: u64) -> Option<u32> {
        match self {
            LogRecords::Listed(v) => v.get(seq as usize).map(|r| r.1),
            LogRecords::Generated(g) => (seq < g.count).then(|| g.partition(seq)),
        }
    }

    /// Every record in input order; a generator's values are drawn as they are read.
    pub fn iter(&self) -> Box<dyn Iterator<Item = InputRecord<'_>> + '_> {
        match self {
            LogRecords::Listed(v) => Box::new(v.iter().map(|(at, p, s)| (*at, *p, Cow::Borrowed(s.as_str())))),
            LogRecords::Generated(g) => {
                let mut rng = g.rng();
                Box::new((0..g.count).map(move |i| {
                    let (key, _) = g.draw(&mut rng);
                    (g.at_ms(i), g.partition(i), Cow::Owned(key_name(key)))
                }))
            }
        }
    }

    /// The records written out (a shrinker removes records one by one; a burst merges into them).
    pub fn to_listed(&self) -> Vec<(u64, u32, String)> {
        match self {
            LogRecords::Listed(v) => v.clone(),
            LogRecords::Generated(_) => self.iter().map(|(at, p, v)| (at, p, v.into_owned())).collect(),
        }
    }

    /// The records as a list, written out once if generated.
    pub fn make_listed(&mut self) -> &mut Vec<(u64, u32, String)> {
        if let LogRecords::Generated(_) = self {
            *self = LogRecords::Listed(self.to_listed());
        }
        match self {
            LogRecords::Listed(v) => v,
            LogRecords::Generated(_) => unreachable!("written out above"),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn key_names_are_what_format_wrote() {
        for key in [0u64, 7, 9, 10, 63, 100, 12_345, u64::MAX] {
            assert_eq!(super::key_name(key), format!("k{key}"));
        }
    }

    fn gen(distribution: Distribution, jitter_ms: u64) -> GeneratedLog {
        GeneratedLog {
            count: 500,
            rate_per_s: 300,
            keys: 9,
            distribution,
            start_ms: 100,
            partitions: 3,
            seed: 7,
            stream: 100,
            jitter_ms,
        }
    }

    /// Reading a generator yields what expanding it eagerly (as `load.rs` did) gives, and the
    /// formulas for time and partition agree with the iteration.
    #[test]
    fn generated_records_equal_the_eager_expansion() {
        for d in [Distribution::Uniform, Distribution::Zipf] {
            for jitter in [0, 40] {
                let g = gen(d, jitter);
                let mut rng = ChaCha8Rng::seed_from_u64(7);
                rng.set_stream(100);
                let eager: Vec<(u64, u32, String)> = (0..500u64)
                    .map(|i| {
                        let key = draw_key(&mut rng, 9, d);
                        if jitter > 0 {
                            let _: u64 = rng.random_range(0..=jitter);
                        }
                        (100 + i * 1000 / 300, (i % 3) as u32, format!("k{key}"))
                    })
                    .collect();
                let lazy = LogRecords::Generated(g);
                assert_eq!(lazy.to_listed(), eager, "{d:?} jitter {jitter}");
                assert_eq!(lazy.len(), 500);
                for (i, r) in eager.iter().enumerate() {
                    assert_eq!(lazy.at_ms(i as u64), Some(r.0));
                    assert_eq!(lazy.partition(i as u64), Some(r.1));
                }
                assert_eq!(lazy.at_ms(500), None);
                let mut listed = lazy.clone();
                assert_eq!(*listed.make_listed(), eager);
                assert_eq!(listed, LogRecords::Listed(eager));
            }
        }
    }
}
