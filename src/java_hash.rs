//! Java's `hashCode()` of the key types a Flink job keys by, and Flink's `MathUtils#murmurHash`: together Flink's key → key group function (`KeyGroupRangeAssignment#assignToKeyGroup`).
//!
//! A scenario's key [`Value`] stands for the Java object a Flink user's `KeySelector` returns:
//!
//! | ours | Java type | `hashCode()` |
//! |---|---|---|
//! | `Str(s)` | `java.lang.String` | `31 * h + c` over the UTF-16 code units, wrapping `int` (0 for `""`) |
//! | `Int(v)` | `java.lang.Long` | `(int) (v ^ (v >>> 32))` |
//! | `Pair(s, v)` | `Tuple2<String, Long>` | `31 * s.hashCode() + Long.hashCode(v)` (`Tuple2#hashCode`) |
//!
//! (`key_of` turns a `(word, n)` record into the key `Str(word)`, as `keyBy(t -> t.f0)` does,
//! so `Pair` is a key only for a job keyed by the whole tuple.) The key group is then
//! `murmurHash(hashCode) % maxParallelism` ([`crate::key_group::assign_to_key_group`]).
//! Everything here is pure integer arithmetic with Java's wrapping `int` semantics.

use crate::record::Value;

/// `String#hashCode()`: `s[0]*31^(n-1) + ... + s[n-1]` over the UTF-16 code units (a character
/// outside the BMP counts as its two surrogates), in wrapping 32-bit arithmetic.
pub fn java_string_hash(s: &str) -> i32 {
    s.encode_utf16().fold(0i32, |h, c| h.wrapping_mul(31).wrapping_add(i32::from(c)))
}

/// `Long#hashCode()`: the low 32 bits of `v ^ (v >>> 32)`.
pub fn java_long_hash(v: i64) -> i32 {
    let bits = v as u64;
    (bits ^ (bits >> 32)) as u32 as i32
}

/// The `hashCode()` of the Java object a key stands for (the table in the module doc).
pub fn java_hash_code(key: &Value) -> i32 {
    match key {
        Value::Str(s) => java_string_hash(s),
        Value::Int(v) => java_long_hash(*v),
        Value::Pair(s, v) => java_string_hash(s).wrapping_mul(31).wrapping_add(java_long_hash(*v)),
    }
}

/// MurmurHash3's 32-bit finalizer (`MathUtils#bitMix` in Flink 1.x's later versions; inlined
/// in `murmurHash` before).
pub fn bit_mix(mut h: i32) -> i32 {
    h ^= ((h as u32) >> 16) as i32;
    h = h.wrapping_mul(0x85eb_ca6b_u32 as i32);
    h ^= ((h as u32) >> 13) as i32;
    h = h.wrapping_mul(0xc2b2_ae35_u32 as i32);
    h ^ ((h as u32) >> 16) as i32
}

/// `MathUtils#murmurHash(int)`: MurmurHash3 x86_32 of one 4-byte block with seed 0 (`c1`,
/// rotate 15, `c2`; rotate 13, `h * 5 + 0xe6546b64`; length 4; [`bit_mix`]), made non-negative
/// (`-h` for a negative `h`, and 0 for `Integer.MIN_VALUE`, which has no positive counterpart).
pub fn murmur_hash(code: i32) -> i32 {
    let mut h = code.wrapping_mul(0xcc9e_2d51_u32 as i32);
    h = h.rotate_left(15);
    h = h.wrapping_mul(0x1b87_3593);
    h = h.rotate_left(13);
    h = h.wrapping_mul(5).wrapping_add(0xe654_6b64_u32 as i32);
    h ^= 4;
    h = bit_mix(h);
    if h >= 0 {
        h
    } else if h != i32::MIN {
        -h
    } else {
        0
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::key_group::{assign_key_to_parallel_operator, assign_to_key_group};

    /// One key: its Java `hashCode()`, `murmurHash` of it, its key group with max parallelism
    /// 128 and 7, and its subtask at parallelism 2 and 3 (max parallelism 128).
    struct Case {
        key: Value,
        hash_code: i32,
        murmur: i32,
        key_group_128: u32,
        key_group_7: u32,
        subtask_p2: u32,
        subtask_p3: u32,
    }

    fn row(key: Value, hash_code: i32, murmur: i32, kg128: u32, kg7: u32, p2: u32, p3: u32) -> Case {
        Case { key, hash_code, murmur, key_group_128: kg128, key_group_7: kg7, subtask_p2: p2, subtask_p3: p3 }
    }
    fn s(v: &str) -> Value {
        Value::str(v)
    }
    fn i(v: i64) -> Value {
        Value::Int(v)
    }
    fn p(k: &str, v: i64) -> Value {
        Value::Pair(k.into(), v)
    }

    /// Runs every row; the one helper of this module.
    fn check(cases: &[Case]) {
        for c in cases {
            let k = &c.key;
            let got = (
                java_hash_code(k),
                murmur_hash(java_hash_code(k)),
                assign_to_key_group(k, 128).0,
                assign_to_key_group(k, 7).0,
                assign_key_to_parallel_operator(k, 128, 2),
                assign_key_to_parallel_operator(k, 128, 3),
            );
            let want = (c.hash_code, c.murmur, c.key_group_128, c.key_group_7, c.subtask_p2, c.subtask_p3);
            assert_eq!(got, want, "key {k}: (hashCode, murmurHash, kg/128, kg/7, subtask p2, subtask p3)");
        }
    }

    /// Every number here was printed by Flink itself, not computed by this crate: Flink 1.20.3's
    /// `KeyGroupRangeAssignment#assignToKeyGroup` / `#assignKeyToParallelOperator` and
    /// `MathUtils#murmurHash` (the `flink-dist` jar of PyPI's `apache-flink-libraries`
    /// 1.20.3, run on OpenJDK 17) with `String`, `Long` and `Tuple2<String, Long>` keys. Java's
    /// documented hash codes agree: `"hello".hashCode() == 99162322`, `"Aa"` and `"BB"` collide
    /// at 2112, `"polygenelubricants".hashCode() == Integer.MIN_VALUE`; `"A"` → key group 104
    /// and `"B"` → 17 (and `"UM57"` → 17) are also published Flink outputs. The old
    /// `fmix64(fnv1a64(bytes))` placed `a`, `b`, `hello`, `world` in 91, 80, 68, 21.
    #[test]
    fn keys_land_where_flink_puts_them() {
        check(&[
            row(s(""), 0, 593689054, 94, 0, 1, 2),
            row(s("a"), 97, 1455541201, 81, 2, 1, 1),
            row(s("b"), 98, 516420758, 22, 0, 0, 0),
            row(s("hello"), 99162322, 1715862179, 35, 3, 0, 0),
            row(s("world"), 113318802, 2116508994, 66, 5, 1, 1),
            row(s("the"), 114801, 1238856130, 66, 1, 1, 1),
            row(s("flink"), 97520992, 1330823394, 98, 5, 1, 2),
            row(s("hadoop"), -1224864731, 553270641, 113, 0, 1, 2),
            row(s("A"), 65, 743412968, 104, 4, 1, 2),
            row(s("B"), 66, 1669454353, 17, 0, 0, 0),
            row(s("Aa"), 2112, 506449132, 108, 0, 1, 2),
            row(s("BB"), 2112, 506449132, 108, 0, 1, 2),
            row(s("polygenelubricants"), i32::MIN, 1718298732, 108, 3, 1, 2),
            row(s("k1"), 3366, 1124088851, 19, 4, 0, 0),
            row(s("k2"), 3367, 1818991826, 82, 1, 1, 1),
            row(s("UM57"), 2607930, 201050897, 17, 5, 0, 0),
            // UTF-16: é is one code unit, the emoji two surrogates.
            row(s("h\u{e9}llo"), 103094734, 162369042, 18, 3, 0, 0),
            row(s("\u{1f600}"), 1772899, 1934073014, 54, 6, 0, 1),
            row(i(0), 0, 593689054, 94, 0, 1, 2),
            row(i(-1), 0, 593689054, 94, 0, 1, 2),
            row(i(1), 1, 68075478, 86, 2, 1, 2),
            row(i(42), 42, 1134849565, 29, 3, 0, 0),
            row(i(1 << 32), 1, 68075478, 86, 2, 1, 2),
            row(i(-5), 4, 1889779975, 7, 6, 0, 0),
            row(i(i64::MAX), i32::MIN, 1718298732, 108, 3, 1, 2),
            row(p("a", 1), 3008, 1123382429, 29, 1, 0, 0),
            row(p("hello", 3), -1220935311, 1334144133, 5, 0, 0, 0),
            row(p("b", -1), 3038, 1161148720, 48, 4, 0, 1),
        ]);
    }

    /// `murmurHash` is never negative: a negative mix is negated, `Integer.MIN_VALUE` gives 0.
    #[test]
    fn murmur_hash_folds_negative_mixes() {
        let negative = (0..1_000).find(|c| bit_mix(raw_block(*c)) < 0).expect("some mix is negative");
        assert_eq!(murmur_hash(negative), -bit_mix(raw_block(negative)));
        assert!((-5_000..5_000).all(|c| murmur_hash(c) >= 0));
    }

    /// The block step of `murmurHash` before the final mix (the test's own restatement).
    fn raw_block(code: i32) -> i32 {
        let h = code.wrapping_mul(0xcc9e_2d51_u32 as i32).rotate_left(15).wrapping_mul(0x1b87_3593);
        h.rotate_left(13).wrapping_mul(5).wrapping_add(0xe654_6b64_u32 as i32) ^ 4
    }
}
