//! Unit tests of `operator.rs` (a sibling file: the module stays readable at its own size).

use super::*;

fn s(x: &str) -> Value {
    Value::str(x)
}
fn p(k: &str, v: i64) -> Value {
    Value::Pair(Arc::from(k), v)
}
fn i(n: i64) -> Value {
    Value::Int(n)
}

/// One step of an operator script.
enum Step {
    /// Process `value` (input_seq = running step counter) at `now_ms`; expect these outputs
    /// (value, lineage sub) in order.
    In { now_ms: u64, value: Value, out: Vec<(Value, u32)> },
    /// Process `value` at `now_ms`; expect a user exception whose message contains this text.
    Throws { now_ms: u64, value: Value, contains: &'static str },
    /// Expect `snapshot()` to equal this.
    Snapshot(OperatorState),
    /// Simulated restart: snapshot, build a fresh operator of the same spec, restore it.
    /// The surviving counters are kept (same TaskManager).
    Restart,
    /// Restart without any state (no checkpoint), counters kept.
    RestartEmpty,
    /// The TaskManager died: its counters are lost.
    LoseCounters,
}
use Step::*;

fn at(value: Value, out: Vec<(Value, u32)>) -> Step {
    In { now_ms: 0, value, out }
}
fn one(value: Value, o: Value) -> Step {
    In { now_ms: 0, value, out: vec![(o, 0)] }
}
fn throws(value: Value, contains: &'static str) -> Step {
    Throws { now_ms: 0, value, contains }
}
fn none(value: Value) -> Step {
    In { now_ms: 0, value, out: vec![] }
}

struct Case {
    name: &'static str,
    kind: OperatorKind,
    injectors: Vec<FailureInjector>,
    steps: Vec<Step>,
}

fn case(name: &'static str, kind: OperatorKind, steps: Vec<Step>) -> Case {
    Case { name, kind, injectors: vec![], steps }
}

/// Runs every case's script; the one helper of this module.
fn check(cases: Vec<Case>) {
    for c in cases {
        let mut counters = SurvivingCounters::default();
        let mut op = Operator::new(c.kind, c.injectors.clone());
        let mut out = Vec::new();
        for (n, step) in c.steps.into_iter().enumerate() {
            let at = format!("case `{}` step {n}", c.name);
            let input_seq = n as u64;
            let mut run = |op: &mut Operator, now_ms: u64, value: Value, out: &mut Vec<Record>| {
                let mut ctx = OperatorContext { now_ms, counters: &mut counters, instance: "op[0]" };
                out.clear();
                let r = op.process(&mut ctx, Record::new(value, Lineage { input_seq, sub: 0 }), out);
                op.invariants();
                r
            };
            match step {
                In { now_ms, value, out: want } => {
                    let r = run(&mut op, now_ms, value, &mut out);
                    assert_eq!(r, Ok(()), "{at}");
                    let got: Vec<(Value, u32)> = out
                        .iter()
                        .map(|r| {
                            assert_eq!(r.lineage.input_seq, input_seq, "{at}: lineage input");
                            (r.value.clone(), r.lineage.sub)
                        })
                        .collect();
                    assert_eq!(got, want, "{at}");
                }
                Throws { now_ms, value, contains } => {
                    let before = op.snapshot();
                    let err = run(&mut op, now_ms, value, &mut out).expect_err(&at);
                    assert_eq!(err.operator, "op[0]", "{at}");
                    assert!(err.message.contains(contains), "{at}: message `{}`", err.message);
                    assert!(out.is_empty(), "{at}: outputs on failure");
                    assert_eq!(op.snapshot(), before, "{at}: state changed by a throwing call");
                }
                Snapshot(want) => assert_eq!(op.snapshot(), want, "{at}"),
                Restart => {
                    let st = op.snapshot();
                    op = Operator::new(c.kind, c.injectors.clone());
                    op.restore(&st);
                }
                RestartEmpty => op = Operator::new(c.kind, c.injectors.clone()),
                LoseCounters => counters = SurvivingCounters::default(),
            }
        }
    }
}

fn keyed(entries: &[(Value, Value)]) -> OperatorState {
    OperatorState::Keyed(entries.iter().cloned().collect())
}

#[test]
fn udfs() {
    use OperatorKind::*;
    check(vec![
        case("identity str", Map(Udf::Identity), vec![one(s("x y"), s("x y")), one(i(3), i(3))]),
        case("identity pair", Map(Udf::Identity), vec![one(p("a", 2), p("a", 2)), Snapshot(OperatorState::None)]),
        case(
            "uppercase",
            Map(Udf::Uppercase),
            vec![one(s("abC d"), s("ABC D")), one(s("ABC"), s("ABC")), one(s(""), s(""))],
        ),
        case("uppercase rejects ints", Map(Udf::Uppercase), vec![throws(i(1), "expected a string")]),
        case(
            "split_words",
            FlatMap(Udf::SplitWords),
            vec![
                at(s("to be  or\tnot"), vec![(s("to"), 0), (s("be"), 1), (s("or"), 2), (s("not"), 3)]),
                at(s("   "), vec![]),
                at(s(""), vec![]),
                at(s("solo"), vec![(s("solo"), 0)]),
            ],
        ),
        case(
            "split_words_to_pairs",
            FlatMap(Udf::SplitWordsToPairs),
            vec![at(s("a b a"), vec![(p("a", 1), 0), (p("b", 1), 1), (p("a", 1), 2)])],
        ),
        case("flat_map of a map function", FlatMap(Udf::ToPairOne), vec![at(s("a b"), vec![(p("a b", 1), 0)])]),
        case("to_pair_one", Map(Udf::ToPairOne), vec![one(s("a b"), p("a b", 1)), one(s(""), p("", 1))]),
        case(
            "parse_int",
            Map(Udf::ParseInt),
            vec![
                one(s("42"), i(42)),
                one(s("-7"), i(-7)),
                one(s("+5"), i(5)),
                throws(s("4x"), "`4x` is not a number"),
                throws(s(" 1"), "not a number"),
                throws(s(""), "not a number"),
                throws(s("99999999999999999999"), "not a number"),
            ],
        ),
        case(
            "parse_pair",
            Map(Udf::ParsePair),
            vec![
                one(s("k3 -17"), p("k3", -17)),
                throws(s("k3"), "not `key number`"),
                throws(s("k3 x"), "not a number"),
                throws(i(1), "expected a string"),
            ],
        ),
        case(
            "double_value",
            Map(Udf::DoubleValue),
            vec![one(p("a", 21), p("a", 42)), one(i(-3), i(-6)), throws(s("a"), "expected a number")],
        ),
        case(
            "even_value",
            Filter(Udf::EvenValue),
            vec![one(p("a", 4), p("a", 4)), none(p("a", 3)), one(i(0), i(0)), throws(s("a"), "expected a number")],
        ),
        case(
            "sum_joined",
            Map(Udf::SumJoined),
            vec![
                one(s("(k1,3)|(k1,-5)"), p("k1", -2)),
                one(s("(a,b,7)|(c,1)"), p("a,b", 8)),
                throws(s("(k1,3)"), "is not `(k,a)|(k,b)`"),
                throws(s("(k1,x)|(k1,2)"), "is not `(k,a)|(k,b)`"),
                throws(p("k1", 3), "expected a joined row"),
            ],
        ),
        case("drop_empty", Filter(Udf::DropEmpty), vec![none(s("")), one(s(" "), s(" ")), one(s("a"), s("a"))]),
        case(
            "is_even",
            Filter(Udf::IsEven),
            vec![one(i(0), i(0)), none(i(1)), one(i(-4), i(-4)), none(i(-3)), throws(s("2"), "expected an integer")],
        ),
    ]);
}

#[test]
fn nested_flat_maps_keep_lineage_unique() {
    let mut counters = SurvivingCounters::default();
    let mut split = Operator::new(OperatorKind::FlatMap(Udf::SplitWords), vec![]);
    let mut pairs = Operator::new(OperatorKind::FlatMap(Udf::SplitWordsToPairs), vec![]);
    let (mut a, mut b) = (Vec::new(), Vec::new());
    let mut ctx = OperatorContext { now_ms: 0, counters: &mut counters, instance: "x" };
    split.process(&mut ctx, Record::new(s("a b c"), Lineage { input_seq: 9, sub: 0 }), &mut a).unwrap();
    for r in a.drain(..) {
        pairs.process(&mut ctx, r, &mut b).unwrap();
    }
    let subs: Vec<u32> = b.iter().map(|r| r.lineage.sub).collect();
    assert_eq!(subs, vec![0, 1 << FLAT_MAP_SUB_BITS, 2 << FLAT_MAP_SUB_BITS]);
    assert!(b.iter().all(|r| r.lineage.input_seq == 9));
}

#[test]
fn keyed_aggregates() {
    use OperatorKind::KeyedAggregate as K;
    check(vec![
        // Seed 004: a, a, b -> (a,1) (a,2) (b,1); restart from the checkpoint; b, a -> (b,2) (a,3).
        case(
            "seed 004 sum over pairs",
            K(Aggregate::Sum),
            vec![
                one(p("a", 1), p("a", 1)),
                one(p("a", 1), p("a", 2)),
                one(p("b", 1), p("b", 1)),
                Snapshot(keyed(&[(s("a"), p("a", 2)), (s("b"), p("b", 1))])),
                Restart,
                one(p("b", 1), p("b", 2)),
                one(p("a", 1), p("a", 3)),
            ],
        ),
        case(
            "sum without a checkpoint starts over",
            K(Aggregate::Sum),
            vec![one(p("a", 5), p("a", 5)), RestartEmpty, one(p("a", 1), p("a", 1))],
        ),
        case(
            "sum over ints per key",
            K(Aggregate::Sum),
            vec![
                one(i(3), i(3)),
                one(i(3), i(6)),
                one(i(-2), i(-2)),
                Restart,
                one(i(3), i(9)),
                Snapshot(keyed(&[(i(-2), i(-2)), (i(3), i(9))])),
            ],
        ),
        case("sum wraps like java", K(Aggregate::Sum), vec![one(i(i64::MAX), i(i64::MAX)), one(i(i64::MAX), i(-2))]),
        case(
            "count over words and pairs",
            K(Aggregate::Count),
            vec![one(s("a"), p("a", 1)), one(p("a", 10), p("a", 2)), Restart, one(s("a"), p("a", 3)), one(i(7), i(1))],
        ),
        case(
            "max",
            K(Aggregate::Max),
            vec![
                one(p("a", 3), p("a", 3)),
                one(p("a", 1), p("a", 3)),
                Restart,
                one(p("a", 9), p("a", 9)),
                one(p("b", -1), p("b", -1)),
            ],
        ),
        case(
            "min",
            K(Aggregate::Min),
            vec![one(p("a", 3), p("a", 3)), one(p("a", 5), p("a", 3)), Restart, one(p("a", -9), p("a", -9))],
        ),
    ]);
}

#[test]
fn count_window() {
    let w = |m: &[(Value, u64, Value)]| {
        OperatorState::Window(m.iter().map(|(k, n, v)| (k.clone(), (*n, v.clone()))).collect())
    };
    check(vec![
        case(
            "tumbling per key, survives restart",
            OperatorKind::CountWindow { size: 3 },
            vec![
                none(p("a", 1)),
                none(p("b", 10)),
                none(p("a", 2)),
                Snapshot(w(&[(s("a"), 2, p("a", 3)), (s("b"), 1, p("b", 10))])),
                Restart,
                one(p("a", 4), p("a", 7)),
                Snapshot(w(&[(s("b"), 1, p("b", 10))])),
                none(p("a", 1)),
                none(p("a", 1)),
                one(p("a", 1), p("a", 3)),
                none(i(4)),
                none(i(4)),
                one(i(4), i(12)),
            ],
        ),
        case(
            "size 1 emits every element",
            OperatorKind::CountWindow { size: 1 },
            vec![one(s("a"), p("a", 1)), one(s("a"), p("a", 1)), Snapshot(w(&[]))],
        ),
        case(
            "lost without checkpoint",
            OperatorKind::CountWindow { size: 2 },
            vec![none(s("a")), RestartEmpty, none(s("a")), one(s("a"), p("a", 2))],
        ),
    ]);
}

#[test]
fn failure_injectors() {
    let with = |name, kind, injectors, steps| Case { name, kind, injectors, steps };
    let id = OperatorKind::Map(Udf::Identity);
    // Seed 001's records in arrival order.
    let seed = ["p1-1", "p2-1", "p1-2", "p2-2", "p1-3", "p1-4", "p2-3", "p1-5"];
    let mut seed_001: Vec<Step> = seed[..7].iter().map(|r| one(s(r), s(r))).collect();
    seed_001.push(throws(s(seed[7]), "call #8"));
    // After the restart (counter reset to 0 by the throw, surviving the restart) 7 calls pass again.
    seed_001.push(Restart);
    seed_001.extend(["p1-4", "p2-3", "p1-5", "p2-4", "p1-6", "p2-5", "p2-6"].iter().map(|r| one(s(r), s(r))));
    seed_001.push(throws(s("p1-7"), "call #8"));
    seed_001.push(Restart);
    seed_001.push(one(s("p1-7"), s("p1-7")));

    let mut every3_survives: Vec<Step> = vec![one(s("a"), s("a")), one(s("b"), s("b")), Restart];
    every3_survives.push(throws(s("c"), "call #3"));
    let mut every3_lost = vec![one(s("a"), s("a")), one(s("b"), s("b")), LoseCounters];
    every3_lost.extend([one(s("c"), s("c")), one(s("d"), s("d")), throws(s("e"), "#3")]);

    check(vec![
        with(
            "seed 001: every 8th, counter survives and resets",
            id,
            vec![FailureInjector::EveryNth { n: 8 }],
            seed_001,
        ),
        with("every 3rd: counter survives a restart", id, vec![FailureInjector::EveryNth { n: 3 }], every3_survives),
        with("every 3rd: counter lost with the TaskManager", id, vec![FailureInjector::EveryNth { n: 3 }], every3_lost),
        with(
            "every 1st always throws",
            id,
            vec![FailureInjector::EveryNth { n: 1 }],
            vec![throws(s("a"), "#1"), throws(s("a"), "#1")],
        ),
        with(
            "seed 004: ERROR throws in the word-count flat_map, state kept",
            OperatorKind::FlatMap(Udf::SplitWordsToPairs),
            vec![FailureInjector::OnValue("ERROR".into())],
            vec![
                at(s("a"), vec![(p("a", 1), 0)]),
                throws(s("ERROR"), "ERROR"),
                at(s("ERRORS"), vec![(p("ERRORS", 1), 0)]),
                at(s("error"), vec![(p("error", 1), 0)]),
                Restart,
                throws(s("ERROR"), "ERROR"),
            ],
        ),
        with(
            "on_value compares the string form of ints and pairs",
            id,
            vec![FailureInjector::OnValue("(a,12)".into()), FailureInjector::OnValue("-5".into())],
            vec![
                one(p("a", 1), p("a", 1)),
                one(p("a", 123), p("a", 123)),
                one(i(-50), i(-50)),
                one(i(5), i(5)),
                one(s("(a,1"), s("(a,1")),
                throws(p("a", 12), "(a,12)"),
                throws(i(-5), "-5"),
                throws(s("-5"), "-5"),
            ],
        ),
        with(
            "at_time fires once per run, even across restarts",
            id,
            vec![FailureInjector::AtTime { at_ms: 100 }],
            vec![
                In { now_ms: 99, value: s("a"), out: vec![(s("a"), 0)] },
                Throws { now_ms: 100, value: s("b"), contains: "at 100 ms (armed for 100 ms)" },
                Restart,
                In { now_ms: 150, value: s("b"), out: vec![(s("b"), 0)] },
                In { now_ms: 200, value: s("c"), out: vec![(s("c"), 0)] },
            ],
        ),
        with(
            "injectors run before the user function and in order",
            OperatorKind::KeyedAggregate(Aggregate::Sum),
            vec![FailureInjector::EveryNth { n: 2 }, FailureInjector::OnValue("(a,1)".into())],
            vec![
                throws(p("a", 1), "(a,1)"),
                throws(p("b", 1), "#2"),
                one(p("b", 1), p("b", 1)),
                Snapshot(keyed(&[(s("b"), p("b", 1))])),
            ],
        ),
    ]);
}

#[test]
fn once_only_injectors() {
    let id = OperatorKind::Map(Udf::Identity);
    check(vec![
        Case {
            name: "once on value: throws on the first `b`, the replay passes",
            kind: id,
            injectors: vec![FailureInjector::OnceOnValue("b".into())],
            steps: vec![
                one(s("a"), s("a")),
                throws(s("b"), "`b` (once)"),
                Restart,
                one(s("b"), s("b")),
                one(s("b"), s("b")),
            ],
        },
        Case {
            name: "nth record counted across attempts fires once",
            kind: id,
            injectors: vec![FailureInjector::NthRecord { n: 3 }],
            steps: vec![
                one(s("a"), s("a")),
                one(s("b"), s("b")),
                Restart,
                throws(s("c"), "record #3"),
                Restart,
                one(s("c"), s("c")),
                one(s("d"), s("d")),
            ],
        },
    ]);
}

#[test]
fn lifecycle_injectors() {
    let op = Operator::new(
        OperatorKind::Map(Udf::Identity),
        vec![
            FailureInjector::SnapshotSync { checkpoint: 2 },
            FailureInjector::SnapshotAsync { checkpoint: 3 },
            FailureInjector::NotifyComplete { checkpoint: 4 },
            FailureInjector::OnRestore { times: 2 },
            FailureInjector::OnDeploy { times: 1 },
        ],
    );
    let mut c = SurvivingCounters::default();
    let fires = |h, c: &mut SurvivingCounters| op.lifecycle_failure(h, c, "map[0]").is_some();
    assert!(!fires(LifecycleHook::SnapshotSync(1), &mut c));
    assert!(fires(LifecycleHook::SnapshotSync(2), &mut c));
    assert!(!fires(LifecycleHook::SnapshotAsync(2), &mut c));
    assert!(fires(LifecycleHook::SnapshotAsync(3), &mut c));
    assert!(fires(LifecycleHook::NotifyComplete(4), &mut c));
    assert!(!fires(LifecycleHook::NotifyComplete(3), &mut c));
    // Two restores throw, the third passes.
    assert!(fires(LifecycleHook::Restore, &mut c));
    assert!(fires(LifecycleHook::Restore, &mut c));
    assert!(!fires(LifecycleHook::Restore, &mut c));
    assert!(op.deploy_failure(&mut c, "map[0]").is_some());
    assert!(op.deploy_failure(&mut c, "map[0]").is_none());
    // Record processing ignores lifecycle injectors.
    let mut op = op;
    let mut out = Vec::new();
    let rec = Record::new(s("x"), Lineage { input_seq: 0, sub: 0 });
    op.process(&mut OperatorContext { now_ms: 0, counters: &mut c, instance: "map[0]" }, rec, &mut out).unwrap();
    assert_eq!(out.len(), 1);
}

#[test]
fn at_time_uses_the_context_clock() {
    // `Throws` runs at now_ms = 0: an AtTime armed for 0 fires on the first record only.
    check(vec![Case {
        name: "armed at 0",
        kind: OperatorKind::Map(Udf::Identity),
        injectors: vec![FailureInjector::AtTime { at_ms: 0 }],
        steps: vec![throws(s("a"), "at 0 ms"), one(s("a"), s("a"))],
    }]);
}

#[test]
fn injector_counters_are_per_instance_and_index() {
    let mut counters = SurvivingCounters::default();
    let inj = vec![FailureInjector::EveryNth { n: 2 }, FailureInjector::EveryNth { n: 3 }];
    let mut a = Operator::new(OperatorKind::Map(Udf::Identity), inj.clone());
    let mut b = Operator::new(OperatorKind::Map(Udf::Identity), inj);
    let mut out = Vec::new();
    let rec = || Record::new(s("x"), Lineage { input_seq: 0, sub: 0 });
    a.process(&mut OperatorContext { now_ms: 0, counters: &mut counters, instance: "map[0]" }, rec(), &mut out)
        .unwrap();
    b.process(&mut OperatorContext { now_ms: 0, counters: &mut counters, instance: "map[1]" }, rec(), &mut out)
        .unwrap();
    let got: Vec<(&str, u64)> = counters.iter().collect();
    assert_eq!(
        got,
        vec![
            ("map[0]/0:every_nth", 1),
            ("map[0]/1:every_nth", 1),
            ("map[1]/0:every_nth", 1),
            ("map[1]/1:every_nth", 1)
        ]
    );
    // The same operator value reused under another instance name switches keys.
    a.process(&mut OperatorContext { now_ms: 0, counters: &mut counters, instance: "map[1]" }, rec(), &mut out)
        .expect_err("map[1]'s every-2nd counter is at 1");
    assert_eq!(counters.get("map[1]/0:every_nth"), Some(0));
    assert_eq!(counters.get("map[0]/0:every_nth"), Some(1));
}

#[test]
fn parsing_and_validation() {
    let names = [
        "identity",
        "uppercase",
        "split_words",
        "split_words_to_pairs",
        "to_pair_one",
        "parse_int",
        "drop_empty",
        "is_even",
        "parse_pair",
        "double_value",
        "even_value",
        "sum_joined",
    ];
    assert_eq!(Udf::names(), names);
    for (n, u) in names.iter().zip(Udf::ALL) {
        assert_eq!(Udf::parse(n), Some(u));
        assert_eq!(u.name(), *n);
        assert_eq!(serde_json::to_string(&u).unwrap(), format!("\"{n}\""));
    }
    assert_eq!(Udf::parse("Identity"), None);
    assert_eq!(Udf::parse("split"), None);
    assert_eq!(Aggregate::names(), ["sum", "count", "max", "min"]);
    for (n, a) in Aggregate::names().iter().zip(Aggregate::ALL) {
        assert_eq!(Aggregate::parse(n), Some(a));
    }
    assert_eq!(Aggregate::parse("avg"), None);
    let ok = [
        OperatorKind::Map(Udf::ParseInt),
        OperatorKind::FlatMap(Udf::SplitWords),
        OperatorKind::FlatMap(Udf::Identity),
        OperatorKind::Filter(Udf::IsEven),
        OperatorKind::CountWindow { size: 1 },
        OperatorKind::KeyedAggregate(Aggregate::Min),
    ];
    for k in ok {
        assert_eq!(k.validate(), Ok(()), "{k:?}");
    }
    let err = OperatorKind::Map(Udf::SplitWords).validate().unwrap_err();
    assert_eq!(
        err.to_string(),
        "`split_words` is a flat_map function and cannot be used in map; map accepts: identity, uppercase, to_pair_one, parse_int, parse_pair, double_value, sum_joined"
    );
    assert!(OperatorKind::Filter(Udf::Uppercase).validate().is_err());
    assert!(OperatorKind::FlatMap(Udf::DropEmpty).validate().is_err());
    assert_eq!(OperatorKind::CountWindow { size: 0 }.validate(), Err(OperatorSpecError::EmptyCountWindow));
    assert_eq!(
        Operator::try_new(OperatorKind::Map(Udf::Identity), vec![FailureInjector::EveryNth { n: 0 }]).unwrap_err(),
        OperatorSpecError::EveryNthZero
    );
    assert!(Operator::new(OperatorKind::KeyedAggregate(Aggregate::Sum), vec![]).is_keyed());
    assert!(Operator::new(OperatorKind::CountWindow { size: 2 }, vec![]).is_keyed());
    assert!(!Operator::new(OperatorKind::Map(Udf::Identity), vec![]).is_keyed());
}

#[test]
#[should_panic(expected = "cannot restore")]
fn restore_rejects_foreign_state() {
    Operator::new(OperatorKind::KeyedAggregate(Aggregate::Sum), vec![])
        .restore(&OperatorState::Window(BTreeMap::new()));
}

#[test]
fn key_extraction() {
    assert_eq!(key_of(&p("a", 3)), s("a"));
    assert_eq!(key_of(&s("a b")), s("a b"));
    assert_eq!(key_of(&i(-1)), i(-1));
}

#[test]
fn key_group_routing() {
    // FNV-1a 64 reference vectors (the scenario-name hash; keys no longer use it).
    assert_eq!(fnv1a_64(b""), 0xcbf2_9ce4_8422_2325);
    assert_eq!(fnv1a_64(b"a"), 0xaf63_dc4c_8601_ec8c);
    assert_eq!(fnv1a_64(b"foobar"), 0x8594_4171_f739_67e8);

    let keys: Vec<Value> = (0..2000).map(|n| s(&format!("k{n}"))).chain((0..500).map(i)).collect();
    for par in [1u32, 2, 3, 7, 64, 128] {
        let mut hits = vec![0u32; par as usize];
        for k in &keys {
            let r = key_group_route(k, par);
            assert!(r < par);
            assert_eq!(r, key_group_route(k, par), "deterministic");
            assert_eq!(r, key_group(k) * par / MAX_PARALLELISM, "route = key_group * p / 128");
            hits[r as usize] += 1;
        }
        // Every operator index receives keys, and no index more than twice its fair share.
        let fair = keys.len() as u32 / par;
        assert!(hits.iter().all(|h| *h > 0 && *h <= 2 * fair + 2), "p={par}: {hits:?}");
    }
    // Every key group is hit by some key; parallelism 1 routes everything to 0.
    let groups: std::collections::BTreeSet<u32> = keys.iter().map(key_group).collect();
    assert_eq!(groups.len(), MAX_PARALLELISM as usize);
    assert!(keys.iter().all(|k| key_group_route(k, 1) == 0));
    // Routing is monotone in the key group: contiguous key-group ranges per operator (Flink).
    for par in [3u32, 5] {
        let mut last = 0;
        for g in 0..MAX_PARALLELISM {
            let r = g * par / MAX_PARALLELISM;
            assert!(r >= last);
            last = r;
        }
        assert_eq!(last, par - 1);
    }
    // Flink's placement (printed by Flink 1.20.3, see `java_hash`'s tests); the FNV-1a based
    // hash of sessions before 32 gave 91, 80, 68, 21.
    let pinned: Vec<u32> = ["a", "b", "hello", "world"].iter().map(|k| key_group(&s(k))).collect();
    assert_eq!(pinned, vec![81, 22, 35, 66], "Flink's murmurHash(String.hashCode()) % 128");
    // A pair is a Tuple2<String, Long>: 31 * "a".hashCode() + Long.hashCode(1) = 3008 -> 29.
    assert_eq!(key_group(&p("a", 1)), 29);
}

#[test]
#[should_panic(expected = "outside 1..=128")]
fn key_group_route_rejects_parallelism_above_max() {
    key_group_route(&s("a"), 129);
}
