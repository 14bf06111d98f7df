//! The records of a log input in a [`crate::spec::JobSpec`]: written out, or generated on demand from the scenario's seeded stream, so that loading and `check` cost O(file), never O(records).
//!
//! A generator's record `i` is appended at `start_ms + i * 1000 / rate_per_s` to partition
//! `i % partitions`, with value `k{key}` where the key is the `i`-th draw of the input stream
//! (`load::INPUT_STREAM`, seeded with the scenario's seed). Times and partitions are formulas;
//! values are drawn when the records are read ([`LogRecords::iter`]), in input order, with the
//! same draws `load.rs` made when it expanded the generator into the spec (so traces are
//! unchanged). A written-out input (`[input].records`, a shrunk or hand-built input) is a list.
//! Input bursts (`kind = "input-burst"` faults) are kept as their parameters too
//! ([`LogRecords::Merged`]): their records are merged with the rest by append time as they are
//! read, so a small file asking for millions of burst records costs nothing to load.

use super::Distribution;
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use std::borrow::Cow;

/// One log record of the input: (append time ms, partition, value).
pub type InputRecord<'a> = (u64, u32, Cow<'a, str>);

/// A log part's (append time, partition) read in order alongside a merge.
type TimesPartitions<'a> = Box<dyn Iterator<Item = (u64, u32)> + 'a>;

/// A log part's records read in order alongside a merge.
type Records<'a> = Box<dyn Iterator<Item = InputRecord<'a>> + 'a>;

/// The records of a log input, in input order (sequence number = position). Two inputs are
/// equal when they hold the same records, however each is kept (a generator written out by
/// `emit` and loaded again equals the generator).
#[derive(Clone, Debug)]
pub enum LogRecords {
    /// (at_ms, partition, value), sorted by time.
    Listed(Vec<(u64, u32, String)>),
    /// `[input].generator`, drawn when read.
    Generated(GeneratedLog),
    /// Records (listed or generated) with input bursts merged in by append time, as they are
    /// read; at equal times the base's records come first, then each burst's in fault order
    /// (what a stable sort of the records followed by each burst's gives).
    Merged(MergedLog),
}

/// One input burst as the spec keeps it: record `i` is appended at
/// `start_ms + i * 1000 / records_per_s` to partition `i % partitions` with value `k{i % 7}`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct BurstLog {
    /// Virtual time of the burst's first record, ms.
    pub start_ms: u64,
    /// Records per second of virtual time (>= 1).
    pub records_per_s: u64,
    /// Records in the burst (`records_per_s * duration_ms / 1000`).
    pub count: u64,
    /// Log partitions the burst spreads over.
    pub partitions: u32,
}

impl BurstLog {
    /// Record `i`'s append time.
    pub fn at_ms(&self, i: u64) -> u64 {
        self.start_ms.saturating_add(i.saturating_mul(1000) / self.records_per_s.max(1))
    }

    /// Record `i`'s partition.
    pub fn partition(&self, i: u64) -> u32 {
        (i % u64::from(self.partitions.max(1))) as u32
    }

    /// Record `i`'s value.
    pub fn value(i: u64) -> String {
        key_name(i % 7)
    }
}

/// A log input with input bursts merged in (see [`LogRecords::Merged`]); with several log
/// sources, also the other sources' topics, each read lazily (loading costs O(file)).
#[derive(Debug)]
pub struct MergedLog {
    /// The records the bursts are merged into (never itself `Merged`); with several log
    /// sources, the first source's topic (partitions from 0).
    pub base: Box<LogRecords>,
    /// The other sources' topics, in operator order: the number of the topic's first partition
    /// in the broker log and its records (never `Merged`). At equal append times the base comes
    /// first, then the topics in order, then the bursts (the order of a stable sort by time of
    /// every source's records in source order, then each burst's).
    pub topics: Vec<(u32, LogRecords)>,
    /// The bursts, in fault order.
    pub bursts: Vec<BurstLog>,
    /// Where the last random access ([`MergedLog::locate`]) was: the checkers ask for input
    /// times in ascending order, each answered by stepping the merge from here.
    cursor: std::sync::Mutex<Option<MergeCursor>>,
}

/// A position in the merge: input `seq` is next, and each source's next record.
#[derive(Clone, Debug)]
struct MergeCursor {
    seq: u64,
    next: Vec<u64>,
}

/// Inputs a cursor steps forward before a binary search is cheaper.
const CURSOR_STEPS: u64 = 4096;

impl Clone for MergedLog {
    fn clone(&self) -> Self {
        MergedLog::with_topics(self.base.as_ref().clone(), self.topics.clone(), self.bursts.clone())
    }
}

impl PartialEq for MergedLog {
    fn eq(&self, other: &Self) -> bool {
        self.base == other.base && self.topics == other.topics && self.bursts == other.bursts
    }
}

/// One part of a merge: a log (the base or a topic, with its first partition) or a burst.
enum Part<'a> {
    Log(u32, &'a LogRecords),
    Burst(&'a BurstLog),
}

/// Records of a log (not a merge's part index) appended at or before `t`, without drawing.
fn log_count_le(log: &LogRecords, t: u64) -> u64 {
    match log {
        LogRecords::Listed(v) => v.partition_point(|r| r.0 <= t) as u64,
        LogRecords::Generated(g) => spaced_count_le(g.start_ms, g.rate_per_s, g.count, t),
        LogRecords::Merged(m) => (0..m.parts()).map(|s| m.count_le(s, t)).sum(),
    }
}

/// Records of `count` evenly spaced ones (record `i` at `start_ms + i * 1000 / rate`) appended at
/// or before `t`, without iterating.
fn spaced_count_le(start_ms: u64, rate_per_s: u64, count: u64, t: u64) -> u64 {
    if t < start_ms {
        return 0;
    }
    // floor(i * 1000 / rate) <= d  <=>  i * 1000 < (d + 1) * rate
    let d = t - start_ms;
    let rate = rate_per_s.max(1);
    let n = match d.checked_add(1).and_then(|d1| d1.checked_mul(rate)) {
        Some(x) => x.div_ceil(1000),
        None => ((u128::from(d) + 1) * u128::from(rate)).div_ceil(1000).min(u128::from(u64::MAX)) as u64,
    };
    n.min(count)
}

impl MergedLog {
    /// `base` (not itself merged) with `bursts` merged in.
    pub fn new(base: LogRecords, bursts: Vec<BurstLog>) -> MergedLog {
        MergedLog::with_topics(base, Vec::new(), bursts)
    }

    /// `base` and the other sources' `topics` (first partition, records) merged by append
    /// time, with `bursts` merged in.
    pub fn with_topics(base: LogRecords, topics: Vec<(u32, LogRecords)>, bursts: Vec<BurstLog>) -> MergedLog {
        MergedLog { base: Box::new(base), topics, bursts, cursor: std::sync::Mutex::new(None) }
    }

    /// Parts of the merge: the base, the topics, the bursts.
    fn parts(&self) -> usize {
        1 + self.topics.len() + self.bursts.len()
    }

    /// Whether part `s` is an input burst (not the base or a topic).
    pub fn is_burst(&self, s: usize) -> bool {
        s > self.topics.len()
    }

    /// Part `s` (0: the base, `1 + t`: topic `t`, then the bursts).
    fn part(&self, s: usize) -> Part<'_> {
        if s == 0 {
            Part::Log(0, &self.base)
        } else if s <= self.topics.len() {
            let (first, log) = &self.topics[s - 1];
            Part::Log(*first, log)
        } else {
            Part::Burst(&self.bursts[s - 1 - self.topics.len()])
        }
    }

    /// Append time of part `s`'s record `i`, if it has one.
    fn source_at(&self, s: usize, i: u64) -> Option<u64> {
        match self.part(s) {
            Part::Log(_, log) => log.at_ms(i),
            Part::Burst(b) => (i < b.count).then(|| b.at_ms(i)),
        }
    }

    /// Records of part `s`.
    fn source_len(&self, s: usize) -> u64 {
        match self.part(s) {
            Part::Log(_, log) => log.len() as u64,
            Part::Burst(b) => b.count,
        }
    }

    /// Records of part `s` appended at or before `t`.
    fn count_le(&self, s: usize, t: u64) -> u64 {
        match self.part(s) {
            Part::Log(_, log) => log_count_le(log, t),
            Part::Burst(b) => spaced_count_le(b.start_ms, b.records_per_s, b.count, t),
        }
    }

    /// Which source's which record merged input `seq` is (no record drawn): by stepping the
    /// merge from the last position asked for when `seq` is a little after it (ascending
    /// accesses cost O(sources) each), else by a binary search on the append time.
    pub fn locate(&self, seq: u64) -> Option<(usize, u64)> {
        let mut guard = self.cursor.lock().unwrap_or_else(|e| e.into_inner());
        let mut cursor = match guard.take() {
            Some(c) if c.seq <= seq && seq - c.seq <= CURSOR_STEPS => c,
            _ => {
                let (s, i) = self.search(seq)?;
                // The other sources' next records: those before input `seq` in the merge.
                let t = self.source_at(s, i)?;
                let next = (0..self.parts())
                    .map(|o| match o.cmp(&s) {
                        std::cmp::Ordering::Less => self.count_le(o, t),
                        std::cmp::Ordering::Equal => i,
                        std::cmp::Ordering::Greater => {
                            if t == 0 {
                                0
                            } else {
                                self.count_le(o, t - 1)
                            }
                        }
                    })
                    .collect();
                MergeCursor { seq, next }
            }
        };
        let found = loop {
            // The earliest head; ties to the lowest source.
            let head = (0..cursor.next.len()).filter_map(|s| self.source_at(s, cursor.next[s]).map(|at| (at, s))).min();
            let Some((_, s)) = head else { break None };
            let i = cursor.next[s];
            cursor.next[s] += 1;
            cursor.seq += 1;
            if cursor.seq == seq + 1 {
                break Some((s, i));
            }
        };
        *guard = Some(cursor);
        found
    }

    /// [`MergedLog::locate`] by binary search on the append time (O(sources × 64 × log)).
    fn search(&self, seq: u64) -> Option<(usize, u64)> {
        let sources = self.parts();
        let total: u64 = (0..sources).map(|s| self.source_len(s)).sum();
        if seq >= total {
            return None;
        }
        let all_le = |t: u64| -> u64 { (0..sources).map(|s| self.count_le(s, t)).sum() };
        // The smallest t with more than `seq` records appended at or before it.
        let (mut lo, mut hi) = (0u64, u64::MAX);
        while lo < hi {
            let mid = lo + (hi - lo) / 2;
            if all_le(mid) > seq {
                hi = mid;
            } else {
                lo = mid + 1;
            }
        }
        let t = lo;
        let mut rest = seq - if t == 0 { 0 } else { all_le(t - 1) };
        for s in 0..sources {
            let before = if t == 0 { 0 } else { self.count_le(s, t - 1) };
            let at_t = self.count_le(s, t) - before;
            if rest < at_t {
                return Some((s, before + rest));
            }
            rest -= at_t;
        }
        None
    }

    /// Append time and partition (in the broker log) of part `s`'s record `i`.
    fn time_partition(&self, s: usize, i: u64) -> Option<(u64, u32)> {
        match self.part(s) {
            Part::Log(first, log) => Some((log.at_ms(i)?, first + log.partition(i)?)),
            Part::Burst(b) => (i < b.count).then(|| (b.at_ms(i), b.partition(i))),
        }
    }

    /// Every record as (part, index in the part, append time), in merged order; nothing
    /// drawn.
    pub fn order(&self) -> impl Iterator<Item = (usize, u64, u64)> + '_ {
        // Each log part read in order alongside the merge; a burst by its formula.
        let mut logs: Vec<Option<TimesPartitions<'_>>> = (0..self.parts())
            .map(|s| match self.part(s) {
                Part::Log(_, log) => Some(log.times_partitions()),
                Part::Burst(_) => None,
            })
            .collect();
        let mut step = move |s: usize, i: u64| -> Option<(u64, u64)> {
            match (&mut logs[s], self.part(s)) {
                (Some(log), _) => log.next().map(|(at, _)| (at, i)),
                (None, Part::Burst(b)) => (i < b.count).then(|| (b.at_ms(i), i)),
                (None, Part::Log(..)) => None,
            }
        };
        let mut heads: Vec<Option<(u64, u64)>> = (0..self.parts()).map(|s| step(s, 0)).collect();
        std::iter::from_fn(move || {
            // The earliest head; ties to the lowest part.
            let (s, &(at, i)) =
                heads.iter().enumerate().filter_map(|(s, h)| h.as_ref().map(|h| (s, h))).min_by_key(|(_, h)| h.0)?;
            heads[s] = step(s, i + 1);
            Some((s, i, at))
        })
    }
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
        self.draw_with(rng, zipf_norm(self.keys.max(1), self.distribution))
    }

    /// [`GeneratedLog::draw`] with the Zipf normalisation computed once per pass
    /// (`zipf_norm`; the same sum, so the same draws).
    pub fn draw_with(&self, rng: &mut ChaCha8Rng, norm: f64) -> (u64, u64) {
        let key = draw_key_norm(rng, self.keys.max(1), self.distribution, norm);
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
#[cfg(test)]
pub(crate) fn draw_key(rng: &mut ChaCha8Rng, keys: u64, d: Distribution) -> u64 {
    draw_key_norm(rng, keys, d, zipf_norm(keys, d))
}

/// The Zipf draw's normalisation, the harmonic number of `keys` (0 for a uniform draw). It was
/// summed again for every draw: 10^7 records over 10^4 keys took 815 s to run.
pub(crate) fn zipf_norm(keys: u64, d: Distribution) -> f64 {
    match d {
        Distribution::Uniform => 0.0,
        Distribution::Zipf => (1..=keys).map(|k| 1.0 / k as f64).sum(),
    }
}

/// [`draw_key`] with the normalisation `h` of [`zipf_norm`].
pub(crate) fn draw_key_norm(rng: &mut ChaCha8Rng, keys: u64, d: Distribution, h: f64) -> u64 {
    match d {
        Distribution::Uniform => rng.random_range(0..keys),
        Distribution::Zipf => {
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
            LogRecords::Merged(m) => (0..m.parts()).map(|s| m.source_len(s) as usize).sum(),
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
            LogRecords::Merged(m) => m.locate(seq).and_then(|(s, i)| m.time_partition(s, i)).map(|x| x.0),
        }
    }

    /// Input `seq`'s partition (no draws).
    pub fn partition(&self, seq: u64) -> Option<u32> {
        match self {
            LogRecords::Listed(v) => v.get(seq as usize).map(|r| r.1),
            LogRecords::Generated(g) => (seq < g.count).then(|| g.partition(seq)),
            LogRecords::Merged(m) => m.locate(seq).and_then(|(s, i)| m.time_partition(s, i)).map(|x| x.1),
        }
    }

    /// Every record's (append time, partition) in input order, without drawing any value.
    pub fn times_partitions(&self) -> Box<dyn Iterator<Item = (u64, u32)> + '_> {
        match self {
            LogRecords::Listed(v) => Box::new(v.iter().map(|r| (r.0, r.1))),
            LogRecords::Generated(g) => Box::new((0..g.count).map(move |i| (g.at_ms(i), g.partition(i)))),
            LogRecords::Merged(m) => {
                Box::new(m.order().map(move |(s, i, at)| (at, m.time_partition(s, i).map_or(0, |x| x.1))))
            }
        }
    }

    /// Adds an input burst, merged with the records by append time when read (nothing is
    /// written out).
    pub fn add_burst(&mut self, burst: BurstLog) {
        if burst.count == 0 {
            return;
        }
        match self {
            LogRecords::Merged(m) => m.bursts.push(burst),
            _ => {
                let base = std::mem::take(self);
                *self = LogRecords::Merged(MergedLog::new(base, vec![burst]));
            }
        }
    }

    /// Every record in input order; a generator's values are drawn as they are read.
    pub fn iter(&self) -> Box<dyn Iterator<Item = InputRecord<'_>> + '_> {
        match self {
            LogRecords::Listed(v) => Box::new(v.iter().map(|(at, p, s)| (*at, *p, Cow::Borrowed(s.as_str())))),
            LogRecords::Generated(g) => {
                let mut rng = g.rng();
                let norm = zipf_norm(g.keys.max(1), g.distribution);
                Box::new((0..g.count).map(move |i| {
                    let (key, _) = g.draw_with(&mut rng, norm);
                    (g.at_ms(i), g.partition(i), Cow::Owned(key_name(key)))
                }))
            }
            LogRecords::Merged(m) => {
                // The base and the topics are read in order alongside the merge (a generator
                // draws as it goes); a topic's partitions follow the topics before it.
                let mut logs: Vec<Option<(u32, Records<'_>)>> = (0..m.parts())
                    .map(|s| match m.part(s) {
                        Part::Log(first, log) => Some((first, log.iter())),
                        Part::Burst(_) => None,
                    })
                    .collect();
                Box::new(m.order().map(move |(s, i, at)| match (&mut logs[s], m.part(s)) {
                    (Some((first, log)), _) => {
                        let (at, p, v) = log.next().expect("the merge reads each log in order");
                        (at, *first + p, v)
                    }
                    (_, Part::Burst(b)) => (at, b.partition(i), Cow::Owned(BurstLog::value(i))),
                    (None, Part::Log(..)) => unreachable!("every log part has its reader"),
                }))
            }
        }
    }

    /// The records written out (a shrinker removes records one by one; a burst merges into them).
    pub fn to_listed(&self) -> Vec<(u64, u32, String)> {
        match self {
            LogRecords::Listed(v) => v.clone(),
            _ => self.iter().map(|(at, p, v)| (at, p, v.into_owned())).collect(),
        }
    }

    /// The records as a list, written out once if generated.
    pub fn make_listed(&mut self) -> &mut Vec<(u64, u32, String)> {
        if !matches!(self, LogRecords::Listed(_)) {
            *self = LogRecords::Listed(self.to_listed());
        }
        match self {
            LogRecords::Listed(v) => v,
            _ => unreachable!("written out above"),
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

    /// Bursts merged lazily read as the eager expansion did (records then each burst, stable
    /// sort by time), and random access (ascending, descending, far jumps) agrees with it.
    #[test]
    fn merged_bursts_equal_the_eager_expansion() {
        let listed = LogRecords::Listed(vec![
            (0, 0, "a".into()),
            (500, 1, "b".into()),
            (500, 0, "c".into()),
            (900, 2, "d".into()),
        ]);
        for base in [listed, LogRecords::Generated(gen(Distribution::Zipf, 0))] {
            let bursts = [
                BurstLog { start_ms: 500, records_per_s: 3000, count: 700, partitions: 3 },
                BurstLog { start_ms: 0, records_per_s: 7, count: 9, partitions: 3 },
                BurstLog { start_ms: 1_200, records_per_s: 1000, count: 50, partitions: 3 },
            ];
            let mut eager = base.to_listed();
            let mut lazy = base.clone();
            for (k, b) in bursts.iter().enumerate() {
                for i in 0..b.count {
                    eager.push((b.at_ms(i), b.partition(i), format!("k{}", i % 7)));
                }
                eager.sort_by_key(|r| r.0);
                lazy.add_burst(b.clone());
                assert!(matches!(lazy, LogRecords::Merged(_)));
                assert_eq!(lazy.len(), eager.len(), "after burst {k}");
                assert_eq!(lazy.to_listed(), eager, "after burst {k}");
                let tp: Vec<(u64, u32)> = lazy.times_partitions().collect();
                assert_eq!(tp, eager.iter().map(|r| (r.0, r.1)).collect::<Vec<_>>());
            }
            let n = eager.len() as u64;
            let order: Vec<u64> = (0..n).chain((0..n).rev()).chain((0..n).map(|i| (i * 7919) % n)).collect();
            for seq in order {
                let r = &eager[seq as usize];
                assert_eq!(lazy.at_ms(seq), Some(r.0), "input {seq}");
                assert_eq!(lazy.partition(seq), Some(r.1), "input {seq}");
            }
            assert_eq!(lazy.at_ms(n), None);
            assert_eq!(lazy.partition(n + 5), None);
        }
    }

    /// Counting spaced records at or before a time agrees with iterating them, near u64 limits too.
    #[test]
    fn spaced_counts_agree_with_iteration() {
        for (start, rate, count) in [(0u64, 1u64, 20u64), (5, 3, 40), (100, 1000, 3000), (7, 999_999, 5000)] {
            for t in [0, 4, 5, 6, 100, 101, 333, 1_000, 10_000, u64::MAX] {
                let by_iteration = (0..count).filter(|i| start + i * 1000 / rate <= t).count() as u64;
                assert_eq!(spaced_count_le(start, rate, count, t), by_iteration, "{start} {rate} {count} {t}");
            }
        }
        assert_eq!(spaced_count_le(0, u64::MAX, 10, u64::MAX), 10);
    }
}
