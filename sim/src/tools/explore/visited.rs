//! The exhaustive search's visited set (`--exhaust`): exact 64-bit fingerprints in a table that doubles, or hash compaction (32-bit slots indexed by the fingerprint's high bits, sized once from `--max-states`), and the probability that either merged two different states.

/// Which visited set `--exhaust` keeps (`--visited`).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum VisitedKind {
    /// `Exact` when `--max-states` is at most [`EXACT_UP_TO_STATES`], else `Compact`.
    #[default]
    Auto,
    /// Bare 64-bit fingerprints, 8 bytes a slot, doubled at 3/4 load (sessions 22–24).
    Exact,
    /// Hash compaction: 32 bits of each fingerprint in 4-byte slots indexed by its high bits,
    /// the table sized once for `--max-states` at most 3/4 full (never doubled).
    Compact,
}

/// `Auto`'s limit for the exact table: 2^26 states fill at most 2^27 slots of 8 bytes (1 GiB;
/// 1.5 GiB while the last doubling copies the old table). Every run measured before session 25
/// (at most 35.3 million distinct states) stays under it, so its counts are the exact table's.
pub const EXACT_UP_TO_STATES: u64 = 1 << 26;

/// The most slots a hash-compaction table is given: 2^32 slots of 4 bytes, 16 GiB (session 41:
/// `--max-states 18446744073709551615` asked for 2^63 slots and panicked on the allocation).
pub const COMPACT_MAX_SLOTS: u64 = 1 << 32;

/// The largest `--max-states` a hash-compaction table holds within [`COMPACT_MAX_SLOTS`]
/// (3,221,225,470 states: `max_states + 2` fill at most 3/4 of the slots).
pub const COMPACT_MAX_STATES: u64 = COMPACT_MAX_SLOTS / 4 * 3 - 2;

impl VisitedKind {
    /// Whether a search bounded at `max_states` keeps the hash-compaction table.
    pub fn is_compact_for(self, max_states: u64) -> bool {
        match self {
            VisitedKind::Auto => max_states > EXACT_UP_TO_STATES,
            VisitedKind::Exact => false,
            VisitedKind::Compact => true,
        }
    }
}

/// What a visited set cost and how likely it merged two different states.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct VisitedStats {
    /// `exact` or `compact`.
    pub kind: &'static str,
    /// Slots of the table at the end.
    pub slots: u64,
    /// Bytes a slot.
    pub slot_bytes: u64,
    /// Hash compaction: the occupied slots, holding another 32-bit value, that the probes of
    /// the insertions which added a state passed; each could have matched (a merge) with
    /// probability 2^-32. Zero for the exact table.
    pub compared: u64,
    /// An upper bound on the probability that some state was omitted because its fingerprint
    /// or its compacted fingerprint equalled a different visited state's: the expected number
    /// of such merges, `n(n-1)/2^65` (two of `n` 64-bit fingerprints equal) plus
    /// `compared / 2^32` (hash compaction), fingerprints taken as uniform random values.
    pub omission: f64,
}

/// The visited set of [`super::Explorer::explore_exhaustive_with`]: no hashing library, never
/// iterated, so nothing depends on a hasher's seed or an order.
#[derive(Debug)]
pub(super) enum VisitedSet {
    Exact(Fingerprints),
    Compact(Compacted),
}

impl VisitedSet {
    /// The table `kind` asks for, for a search bounded at `max_states` distinct states.
    pub(super) fn new(kind: VisitedKind, max_states: u64) -> Self {
        if kind.is_compact_for(max_states) {
            VisitedSet::Compact(Compacted::for_states(max_states))
        } else {
            VisitedSet::Exact(Fingerprints::new())
        }
    }

    /// Inserts `fp`; false when it (or, compacted, a state with the same slot value on its
    /// probe path) was there already.
    pub(super) fn insert(&mut self, fp: u64) -> bool {
        match self {
            VisitedSet::Exact(f) => f.insert(fp),
            VisitedSet::Compact(c) => c.insert(fp),
        }
    }

    pub(super) fn len(&self) -> usize {
        match self {
            VisitedSet::Exact(f) => f.len,
            VisitedSet::Compact(c) => c.len,
        }
    }

    /// Bytes the table holds now.
    pub(super) fn bytes(&self) -> u64 {
        let s = self.stats();
        s.slots * s.slot_bytes
    }

    pub(super) fn stats(&self) -> VisitedStats {
        let n = self.len() as f64;
        let collide = n * (n - 1.0).max(0.0) / 2f64.powi(65);
        match self {
            VisitedSet::Exact(f) => VisitedStats {
                kind: "exact",
                slots: f.slots.len() as u64,
                slot_bytes: 8,
                compared: 0,
                omission: collide,
            },
            VisitedSet::Compact(c) => VisitedStats {
                kind: "compact",
                slots: c.slots.len() as u64,
                slot_bytes: 4,
                compared: c.compared,
                omission: collide + c.compared as f64 / 2f64.powi(32),
            },
        }
    }
}

/// Exact fingerprints: an open-addressing table of bare `u64`s (linear probing, doubled at 3/4
/// load): 8 bytes a slot, 10.7 to 21 bytes a state.
#[derive(Debug)]
pub(super) struct Fingerprints {
    /// Slots; 0 is empty (the fingerprint 0 itself is `zero`).
    slots: Vec<u64>,
    /// Whether the fingerprint 0 was inserted.
    zero: bool,
    /// Fingerprints held.
    len: usize,
}

impl Fingerprints {
    fn new() -> Self {
        Fingerprints { slots: vec![0; 1 << 10], zero: false, len: 0 }
    }

    /// Inserts `fp`; false when it was there already.
    fn insert(&mut self, fp: u64) -> bool {
        if fp == 0 {
            let fresh = !self.zero;
            self.zero = true;
            self.len += usize::from(fresh);
            return fresh;
        }
        if (self.len + 1) * 4 > self.slots.len() * 3 {
            self.grow();
        }
        let fresh = Self::place(&mut self.slots, fp);
        self.len += usize::from(fresh);
        fresh
    }

    /// Puts non-zero `fp` into `slots` (a power of two long, never full); false when present.
    fn place(slots: &mut [u64], fp: u64) -> bool {
        let mask = slots.len() - 1;
        // The fingerprint is a hash already; the multiply spreads its high bits to the index.
        let mut i = (fp.wrapping_mul(0x9E37_79B9_7F4A_7C15) >> 32) as usize & mask;
        loop {
            match slots[i] {
                0 => {
                    slots[i] = fp;
                    return true;
                }
                x if x == fp => return false,
                _ => i = (i + 1) & mask,
            }
        }
    }

    fn grow(&mut self) {
        let mut bigger = vec![0u64; self.slots.len() * 2];
        for &fp in self.slots.iter().filter(|fp| **fp != 0) {
            Self::place(&mut bigger, fp);
        }
        self.slots = bigger;
    }
}

/// Hash compaction (Stern and Dill 1995; SPIN's and TLC's checkers do the same): each
/// fingerprint, mixed by a bijection, picks its home slot with its high `log2(slots)` bits and
/// leaves its low 32 bits there (0, the empty mark, stored as 1); linear probing. Two
/// different states merge only when an insertion's probe meets an occupied slot with equal
/// low bits, probability 2^-32 a comparison; the table is sized once, so it never doubles and
/// never holds two copies. 4 bytes a slot; 2^30 slots (4 GiB) for up to 805 million states.
#[derive(Debug)]
pub(super) struct Compacted {
    slots: Vec<u32>,
    /// `64 - log2(slots.len())`: the home slot is the mixed fingerprint's top bits.
    shift: u32,
    len: usize,
    /// See [`VisitedStats::compared`].
    compared: u64,
}

impl Compacted {
    /// A table of the least power of two slots, at least 2^10, that `max_states + 1` states
    /// fill to at most 3/4 (the search stops one state past its bound).
    /// At most [`COMPACT_MAX_SLOTS`] (`ckptsim explore` refuses a larger `--max-states`).
    fn for_states(max_states: u64) -> Self {
        let slots = slots_for(max_states.min(COMPACT_MAX_STATES));
        Compacted {
            slots: vec![0; usize::try_from(slots).expect("the table's slots fit in memory's addresses")],
            shift: 64 - slots.trailing_zeros(),
            len: 0,
            compared: 0,
        }
    }

    fn insert(&mut self, fp: u64) -> bool {
        let h = mix(fp);
        let mask = self.slots.len() - 1;
        let mut i = (h >> self.shift) as usize;
        let v = (h as u32).max(1);
        let mut passed = 0;
        loop {
            match self.slots[i] {
                0 => {
                    // The bound: the search stops at `max_states + 1` states, which
                    // `for_states` leaves room for; past 3/4 load probing slows, never loops.
                    assert!(self.len + 1 < self.slots.len(), "the compacted visited set is full");
                    self.slots[i] = v;
                    self.len += 1;
                    self.compared += passed;
                    return true;
                }
                x if x == v => return false,
                _ => {
                    passed += 1;
                    i = (i + 1) & mask;
                }
            }
        }
    }
}

/// [`Compacted::for_states`]'s table length: the least power of two, at least 2^10, that
/// `max_states + 2` states fill to at most 3/4.
fn slots_for(max_states: u64) -> u64 {
    let need = max_states.saturating_add(2).saturating_mul(4).div_ceil(3);
    need.next_power_of_two().max(1 << 10)
}

/// SplitMix64's finalizer, a bijection of `u64`: the fingerprint's last multiply-rotate step
/// leaves its top bits from the product's low bits, which depend only on the input's low bits.
fn mix(fp: u64) -> u64 {
    let mut z = fp;
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^ (z >> 31)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fingerprints_count_each_value_once_across_growth() {
        let mut f = Fingerprints::new();
        assert!(f.insert(0) && !f.insert(0));
        for v in 1..5_000u64 {
            assert!(f.insert(v.wrapping_mul(0x1000_0000_0000_0001)), "{v} is new");
        }
        for v in 1..5_000u64 {
            assert!(!f.insert(v.wrapping_mul(0x1000_0000_0000_0001)), "{v} was seen");
        }
        assert_eq!(f.len, 5_000);
        assert!(f.slots.len() >= 5_000 * 4 / 3);
    }

    #[test]
    fn the_compacted_table_stops_at_its_slot_limit() {
        assert_eq!(slots_for(COMPACT_MAX_STATES), COMPACT_MAX_SLOTS);
        assert_eq!(slots_for(COMPACT_MAX_STATES + 1), 2 * COMPACT_MAX_SLOTS);
        assert!(VisitedKind::Auto.is_compact_for(EXACT_UP_TO_STATES + 1));
        assert!(!VisitedKind::Auto.is_compact_for(EXACT_UP_TO_STATES) && !VisitedKind::Exact.is_compact_for(u64::MAX));
    }

    #[test]
    fn compaction_is_sized_once_and_counts_each_value_once() {
        let mut c = VisitedSet::new(VisitedKind::Compact, 5_000);
        let VisitedSet::Compact(t) = &c else { panic!("compact asked for") };
        assert_eq!(t.slots.len(), 8192, "5,002 states at most 3/4 of a power of two");
        for v in 0..5_001u64 {
            assert!(c.insert(v.wrapping_mul(0x1000_0000_0000_0001)), "{v} is new");
        }
        for v in 0..5_001u64 {
            assert!(!c.insert(v.wrapping_mul(0x1000_0000_0000_0001)), "{v} was seen");
        }
        let s = c.stats();
        assert_eq!((s.kind, s.slots, c.len()), ("compact", 8192, 5_001));
        // At load 0.61 linear probing passes a few occupied slots an insertion, not thousands.
        assert!(s.compared > 0 && s.compared < 20_000, "{}", s.compared);
        assert!(s.omission > 0.0 && s.omission < 1e-5, "{}", s.omission);
    }

    #[test]
    fn compaction_merges_what_shares_a_home_slot_and_low_bits() {
        // Two fingerprints whose mixed values differ only in bits that are neither the index
        // nor the stored 32 bits are merged: the omission the bound counts.
        let mut c = Compacted::for_states(10);
        let h1 = 0x0123_4567_89ab_cdefu64;
        let h2 = h1 ^ (1 << 40);
        let (a, b) = (invert_mix(h1), invert_mix(h2));
        assert_eq!((mix(a), mix(b)), (h1, h2));
        assert!(c.insert(a));
        assert!(!c.insert(b), "merged: same home slot, same stored bits");
        assert_eq!(c.compared, 0);
    }

    #[test]
    fn auto_keeps_the_exact_table_up_to_its_limit() {
        assert!(matches!(VisitedSet::new(VisitedKind::Auto, EXACT_UP_TO_STATES), VisitedSet::Exact(_)));
        assert!(matches!(VisitedSet::new(VisitedKind::Auto, 300_000), VisitedSet::Exact(_)));
        assert!(matches!(VisitedSet::new(VisitedKind::Compact, 300_000), VisitedSet::Compact(_)));
        let s = VisitedSet::new(VisitedKind::Exact, 700_000_000).stats();
        assert_eq!((s.kind, s.slots), ("exact", 1 << 10));
        // 700 million states: 2^30 slots of 4 bytes (4 GiB), at most 65% full.
        assert_eq!(slots_for(700_000_000), 1 << 30);
        assert_eq!(slots_for(805_306_366), 1 << 30);
        assert_eq!(slots_for(805_306_367), 1 << 31);
    }

    /// The inverse of [`mix`] (each xor-shift and odd multiply undone).
    fn invert_mix(h: u64) -> u64 {
        let unshift = |mut z: u64, s: u32| {
            let mut r = z;
            for _ in 0..64 / s + 1 {
                r = z ^ (r >> s);
            }
            z = r;
            z
        };
        let inv = |a: u64| {
            let mut x = a;
            for _ in 0..6 {
                x = x.wrapping_mul(2u64.wrapping_sub(a.wrapping_mul(x)));
            }
            x
        };
        let mut z = unshift(h, 31);
        z = z.wrapping_mul(inv(0x94D0_49BB_1331_11EB));
        z = unshift(z, 27);
        z = z.wrapping_mul(inv(0xBF58_476D_1CE4_E5B9));
        unshift(z, 30)
    }
}
