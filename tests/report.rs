//! The run report and the Chrome trace, checked structurally: well-formed XHTML, one lane per task, one bar per checkpoint, one marker per fault/action, working anchors, summaries for long runs, valid and properly nested Chrome trace JSON.

use ckptsim::config::RestartStrategyConfig;
use ckptsim::Variant;
use ckptsim_sim::spec::{Fault, FaultAt, FaultKind, InputSpec, JobSpec};
use ckptsim_sim::{chrome, load, outcome, report};
use quick_xml::events::Event;
use quick_xml::Reader;
use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

/// One element of the page: its name and attributes.
#[derive(Debug)]
struct Elem {
    name: String,
    attrs: BTreeMap<String, String>,
}

impl Elem {
    fn has_class(&self, c: &str) -> bool {
        self.attrs.get("class").is_some_and(|v| v.split_whitespace().any(|x| x == c))
    }
    fn attr(&self, a: &str) -> &str {
        self.attrs.get(a).map(|s| s.as_str()).unwrap_or("")
    }
    fn num(&self, a: &str) -> f64 {
        self.attr(a).parse().unwrap_or_else(|_| panic!("{} has no numeric {a}: {:?}", self.name, self.attrs))
    }
}

/// Parses the page as XML: every element closed in order, one root `html`, nothing after it.
fn parse(html: &str) -> Vec<Elem> {
    let mut reader = Reader::from_str(html);
    reader.config_mut().check_end_names = true;
    let mut stack: Vec<String> = vec![];
    let mut elems = vec![];
    let mut roots = 0;
    loop {
        let ev =
            reader.read_event().unwrap_or_else(|e| panic!("not well-formed at byte {}: {e}", reader.buffer_position()));
        let (start, empty) = match &ev {
            Event::Start(s) => (Some(s), false),
            Event::Empty(s) => (Some(s), true),
            _ => (None, false),
        };
        if let Some(s) = start {
            let name = String::from_utf8(s.name().as_ref().to_vec()).expect("utf-8 name");
            if stack.is_empty() {
                roots += 1;
                assert_eq!(name, "html", "the root element is html");
            }
            let mut attrs = BTreeMap::new();
            for a in s.attributes() {
                let a = a.unwrap_or_else(|e| panic!("bad attribute in <{name}>: {e}"));
                let k = String::from_utf8(a.key.as_ref().to_vec()).expect("utf-8 key");
                let v = a.unescape_value().unwrap_or_else(|e| panic!("bad value of {k} in <{name}>: {e}")).into_owned();
                assert!(attrs.insert(k.clone(), v).is_none(), "duplicate attribute {k} in <{name}>");
            }
            if !empty {
                stack.push(name.clone());
            }
            elems.push(Elem { name, attrs });
        }
        match ev {
            Event::End(e) => {
                let name = String::from_utf8(e.name().as_ref().to_vec()).expect("utf-8 name");
                assert_eq!(stack.pop().as_deref(), Some(name.as_str()), "end tag matches the open element");
            }
            Event::Text(t) => {
                t.unescape().unwrap_or_else(|e| panic!("bad text near byte {}: {e}", reader.buffer_position()));
            }
            Event::Eof => break,
            _ => {}
        }
    }
    assert!(stack.is_empty(), "unclosed elements at the end: {stack:?}");
    assert_eq!(roots, 1, "exactly one root element");
    elems
}

fn with_class<'a>(elems: &'a [Elem], class: &str) -> Vec<&'a Elem> {
    elems.iter().filter(|e| e.has_class(class)).collect()
}

/// Every `href="#x"` points at an element with `id="x"`, and ids are unique.
fn check_anchors(elems: &[Elem]) {
    let mut ids = BTreeSet::new();
    for e in elems {
        if let Some(id) = e.attrs.get("id") {
            assert!(ids.insert(id.clone()), "duplicate id {id}");
        }
    }
    for e in elems {
        if let Some(target) = e.attrs.get("href").and_then(|h| h.strip_prefix('#')) {
            assert!(ids.contains(target), "link to #{target} has no target");
        }
    }
}

fn seed_files() -> Vec<PathBuf> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("scenarios/seeds");
    load::collect_scenarios(&[root]).expect("seeds readable")
}

fn count_trace(run: &ckptsim_sim::world::RunResult, node: &str, kind: &str, prefix: &str) -> usize {
    run.trace.events().iter().filter(|e| e.node == node && e.kind == kind && e.detail.starts_with(prefix)).count()
}

#[test]
fn seed_reports_are_well_formed_and_draw_every_task_checkpoint_fault_and_action() {
    let files = seed_files();
    assert!(files.len() >= 8, "the seed scenarios are there");
    let (mut faults_seen, mut restarts_seen, mut retunes_seen, mut restores_seen) = (0, 0, 0, 0);
    for f in files {
        let spec = load::load_spec(&f).expect("seed scenario loads");
        let o = outcome::run(&spec, spec.default_seed);
        let run = &o.run;
        let html = report::render_html(&spec, &o, &report::ReportOptions::default());
        let name = &spec.name;
        let again = outcome::run(&spec, spec.default_seed);
        assert!(
            html == report::render_html(&spec, &again, &report::ReportOptions::default()),
            "{name}: same seed, same report"
        );
        let elems = parse(&html);
        assert!(
            elems.iter().all(|e| e.name != "script" && e.name != "link" && e.name != "img"),
            "{name}: self-contained"
        );
        assert!(elems.iter().all(|e| !e.attrs.contains_key("src")), "{name}: nothing loaded");
        check_anchors(&elems);

        // One lane per task, named after it.
        let lanes = with_class(&elems, "lane");
        assert_eq!(lanes.len(), run.task_names.len(), "{name}: one lane per task");
        let lane_tasks: BTreeSet<&str> = lanes.iter().map(|l| l.attr("data-task")).collect();
        let tasks: BTreeSet<&str> = run.task_names.iter().map(|s| s.as_str()).collect();
        assert_eq!(lane_tasks, tasks, "{name}: lanes are the tasks");
        for (i, l) in lanes.iter().enumerate() {
            assert_eq!(l.attr("id"), format!("lane-{i}"));
        }

        // One bar per checkpoint of the checkpoint table, with its outcome.
        let bars = with_class(&elems, "checkpoint-bar");
        assert_eq!(bars.len(), run.checkpoints.len(), "{name}: one bar per checkpoint");
        let by_id: BTreeMap<String, &str> =
            bars.iter().map(|b| (b.attr("data-id").to_string(), b.attr("data-outcome"))).collect();
        for row in &run.checkpoints {
            assert_eq!(by_id.get(&row.id.to_string()), Some(&row.outcome.as_str()), "{name}: checkpoint {}", row.id);
        }
        assert!(with_class(&elems, "checkpoint-bucket").is_empty(), "{name}: short runs are not summarised");
        assert_eq!(with_class(&elems, "duration-bar").len(), run.checkpoints.len(), "{name}: one duration bar each");
        assert_eq!(with_class(&elems, "alignment-bar").len(), run.checkpoints.len(), "{name}: one alignment bar each");

        // One marker per fault, action, re-tune and restart.
        let faults = count_trace(run, "chaos", "fault", "start ");
        assert_eq!(with_class(&elems, "fault-marker").len(), faults, "{name}: one marker per fault");
        assert_eq!(
            with_class(&elems, "action-marker").len(),
            count_trace(run, "client", "action", ""),
            "{name}: one marker per action"
        );
        assert_eq!(with_class(&elems, "retune-marker").len(), run.retunes.len(), "{name}: one marker per re-tune");
        assert_eq!(with_class(&elems, "restart-marker").len(), run.restart_schedule.len(), "{name}: restarts");
        faults_seen += faults;
        restarts_seen += run.restart_schedule.len();
        retunes_seen += run.retunes.len();

        // Snapshot phases are drawn on the lanes (every completed checkpoint had snapshots).
        let phases = with_class(&elems, "phase");
        let spans = run.snapshot_spans.len();
        assert!(phases.len() >= spans, "{name}: at least one phase per snapshot ({} < {spans})", phases.len());

        // The output table has one row per output row, duplicates highlighted.
        let out_rows = elems.iter().filter(|e| e.name == "tr" && (e.has_class("row") || e.has_class("dup"))).count();
        let produced = if spec.operators.iter().any(|o| o.kind == ckptsim_sim::spec::OpKind::TwoPhaseCommitSink) {
            run.committed.len()
        } else {
            run.print_rows.len()
        };
        assert_eq!(out_rows, produced.min(300), "{name}: output table rows");
        assert!(with_class(&elems, "anomaly-marker").is_empty(), "{name}: a passing run marks no anomaly");

        // One row per restore, naming the checkpoint it restored.
        let restores = with_class(&elems, "restore");
        assert_eq!(restores.len(), run.restores.len(), "{name}: one row per restore");
        for (row, r) in restores.iter().zip(&run.restores) {
            assert_eq!(row.attr("data-checkpoint"), r.checkpoint.map_or(String::new(), |c| c.to_string()), "{name}");
        }
        restores_seen += run.restores.len();
    }
    assert!(restores_seen > 0, "the seeds restore from checkpoints");
    assert!(faults_seen > 0 && restarts_seen > 0 && retunes_seen > 0, "the seeds exercise faults, restarts, re-tunes");
}

#[test]
fn seed_000_duration_chart_shows_the_change_at_the_retune() {
    let spec = load::load_spec(&Path::new(env!("CARGO_MANIFEST_DIR")).join("scenarios/seeds/000-dynamic-tuning.toml"))
        .expect("seed 000 loads");
    let o = outcome::run(&spec, spec.default_seed);
    let elems = parse(&report::render_html(&spec, &o, &report::ReportOptions::default()));
    let retune_t = o.run.retunes[0].0;
    let bars = with_class(&elems, "duration-bar");
    let height = |outcome: &str, before: bool| -> Vec<f64> {
        o.run
            .checkpoints
            .iter()
            .filter(|r| r.outcome == outcome && (r.trigger_ms < retune_t) == before)
            .map(|r| {
                let b = bars.iter().find(|b| b.attr("data-id") == r.id.to_string()).expect("bar per checkpoint");
                b.num("height")
            })
            .collect()
    };
    let expired = height("CHECKPOINT_EXPIRED", true);
    let completed = height("COMPLETED", false);
    assert!(!expired.is_empty() && !completed.is_empty(), "expired before and completed after the re-tune");
    // 60 s expiries before, 90 s completions after: bars are drawn to scale.
    for e in &expired {
        for c in &completed {
            let ratio = c / e;
            assert!((ratio - 1.5).abs() < 0.05, "completed/expired bar heights {c}/{e} ≈ 90 s / 60 s");
        }
    }
    // The re-tune is marked on the chart, between the last expired and the first completed bar.
    let x = |id: u64| {
        let b = bars.iter().find(|b| b.attr("data-id") == id.to_string()).expect("bar");
        b.num("x")
    };
    let last_expired =
        o.run.checkpoints.iter().filter(|r| r.outcome == "CHECKPOINT_EXPIRED").map(|r| r.id.0).max().expect("one");
    let first_completed = o.run.checkpoints.iter().find(|r| r.outcome == "COMPLETED").map(|r| r.id.0).expect("one");
    let line = with_class(&elems, "retune-marker");
    assert_eq!(line.len(), 1);
    let retune_x =
        elems.iter().filter(|e| e.has_class("retune-line")).map(|e| e.num("x1")).next().expect("re-tune line");
    assert!(x(last_expired) < retune_x && retune_x < x(first_completed), "re-tune line between the two regimes");
}

#[test]
fn anomalies_link_to_their_moment_and_back() {
    // The broken variant commits offsets at snapshot time: the offsets checker names each
    // commit with its time.
    let mut spec =
        load::load_spec(&Path::new(env!("CARGO_MANIFEST_DIR")).join("scenarios/seeds/001-kafka-offsets.toml"))
            .expect("seed 001 loads");
    spec.variant = Variant::CommitOffsetsOnSnapshot;
    let o = outcome::run(&spec, spec.default_seed);
    let v = o.verdicts.iter().find(|v| v.checker == "offsets").expect("offsets verdict");
    assert_eq!(v.passed, Some(false), "the variant is caught");
    let timed: Vec<u64> = v.anomalies.iter().filter_map(|a| a.moment()).collect();
    assert!(!timed.is_empty());
    let elems = parse(&report::render_html(&spec, &o, &report::ReportOptions::default()));
    check_anchors(&elems);
    let markers = with_class(&elems, "anomaly-marker");
    let all_timed: usize = o
        .verdicts
        .iter()
        .filter(|v| v.passed == Some(false))
        .map(|v| v.anomalies.iter().take(50).filter(|a| a.moment().is_some()).count())
        .sum();
    assert_eq!(markers.len(), all_timed, "one marker per timed anomaly");
    // Each listed anomaly links to its marker; each marker links back to the list item.
    let links_to_markers = elems
        .iter()
        .filter(|e| e.name == "a" && e.attr("href").starts_with("#anomaly-") && !e.attr("href").contains("item"))
        .count();
    assert_eq!(links_to_markers, markers.len());
    // Markers sit at the anomalies' times on the shared axis, in the checkers' order.
    let marker_times: Vec<u64> = markers.iter().map(|m| m.attr("data-time-ms").parse().expect("time")).collect();
    assert_eq!(&marker_times[..timed.len().min(marker_times.len())], &timed[..timed.len().min(marker_times.len())]);
    let first_marker = elems.iter().position(|e| e.has_class("anomaly-marker")).expect("a marker");
    let diamond = elems[first_marker..].iter().find(|e| e.name == "path").expect("the marker's shape");
    let x: f64 = diamond.attr("d")[1..].split(' ').next().expect("x").parse().expect("number");
    let want = 290.0 + 1040.0 * timed[0] as f64 / o.run.stop_at_ms as f64;
    assert!((x - want).abs() < 0.1, "marker at x={x}, time {} ms is x={want}", timed[0]);
    // The same x scale as the checkpoint bars: a checkpoint triggered at the same time lines up.
    let bars = with_class(&elems, "checkpoint-bar");
    for r in &o.run.checkpoints {
        let b = bars.iter().find(|b| b.attr("data-id") == r.id.to_string()).expect("bar");
        assert!((b.num("x") - (290.0 + 1040.0 * r.trigger_ms as f64 / o.run.stop_at_ms as f64)).abs() < 0.1);
    }
}

#[test]
fn dense_runs_are_summarised_with_counts() {
    let spec =
        load::load_spec(&Path::new(env!("CARGO_MANIFEST_DIR")).join("scenarios/seeds/004-wordcount-restore.toml"))
            .expect("seed 004 loads");
    let o = outcome::run(&spec, spec.default_seed);
    let opts = report::ReportOptions {
        max_checkpoint_bars: 5,
        max_lane_phases: 10,
        max_output_rows: 4,
        max_checkpoint_rows: 8,
        max_anomalies_per_checker: 5,
    };
    let html = report::render_html(&spec, &o, &opts);
    let elems = parse(&html);
    check_anchors(&elems);
    let total = o.run.checkpoints.len();
    assert!(total > 5);
    let bars = with_class(&elems, "checkpoint-bar");
    let buckets = with_class(&elems, "checkpoint-bucket");
    let bucketed: usize = buckets.iter().map(|b| b.attr("data-count").parse::<usize>().expect("count")).sum();
    assert!(bars.len() <= 5);
    assert!(!buckets.is_empty());
    assert_eq!(bars.len() + bucketed, total, "every checkpoint is drawn alone or counted in a bucket");
    let dur_buckets: usize =
        with_class(&elems, "duration-bucket").iter().map(|b| b.attr("data-count").parse::<usize>().expect("n")).sum();
    assert_eq!(dur_buckets, total, "the duration chart counts every checkpoint");
    // Busy lanes become density buckets whose counts add up to the snapshots taken.
    let phase_buckets: usize =
        with_class(&elems, "phase-bucket").iter().map(|b| b.attr("data-count").parse::<usize>().expect("n")).sum();
    let phases: usize = report::Timeline::build(&o.run, &o.verdicts).tasks.iter().map(|t| t.phases.len()).sum();
    assert_eq!(phase_buckets, phases);
    assert!(with_class(&elems, "phase").is_empty());
    // Tables are truncated with a count of what was left out.
    let out_rows = elems.iter().filter(|e| e.name == "tr" && (e.has_class("row") || e.has_class("dup"))).count();
    assert!(out_rows <= 4);
    assert!(html.contains(&format!("Showing {out_rows} of {} rows", o.run.print_rows.len())));
    assert!(with_class(&elems, "gap").len() >= 2, "gap rows mark what was left out");
}

/// A one-hour job built in code: seed 003's unaligned pipeline with a steady input for the whole
/// hour, a checkpoint every second, two task failures and a one-minute storage outage.
fn one_hour_spec() -> JobSpec {
    let mut spec =
        load::load_spec(&Path::new(env!("CARGO_MANIFEST_DIR")).join("scenarios/seeds/003-unaligned-backpressure.toml"))
            .expect("seed 003 loads");
    spec.name = "one-hour".into();
    spec.stop_at_ms = 3_600_000;
    spec.input = InputSpec::Log {
        partitions: 2,
        records: (0..18_000u64).map(|i| (i * 200, (i % 2) as u32, format!("k{}", i % 8))).collect::<Vec<_>>().into(),
    };
    spec.restart = RestartStrategyConfig::FixedDelay { attempts: 100, delay_ms: 2_000 };
    spec.restart_configured = true;
    spec.checkpoint.tolerable_failures = 1_000;
    spec.faults.push(Fault {
        at: FaultAt::Time(600_000),
        duration_ms: None,
        kind: FaultKind::TaskFailure { task: "Sum[0]".into() },
    });
    spec.faults.push(Fault {
        at: FaultAt::Time(1_200_000),
        duration_ms: Some(60_000),
        kind: FaultKind::StorageFailure,
    });
    spec.faults.push(Fault {
        at: FaultAt::Time(2_400_000),
        duration_ms: None,
        kind: FaultKind::TaskFailure { task: "Sum[1]".into() },
    });
    spec.expect = Default::default();
    spec
}

#[test]
fn a_one_hour_job_gives_a_small_usable_report() {
    let spec = one_hour_spec();
    let o = outcome::run(&spec, 1);
    let run = &o.run;
    assert!(run.checkpoints.len() > 3_000, "a checkpoint a second for an hour");
    let html = report::render_html(&spec, &o, &report::ReportOptions::default());
    eprintln!(
        "one-hour report: {} bytes, {} checkpoints, {} trace events",
        html.len(),
        run.checkpoints.len(),
        run.trace.events().len()
    );
    assert!(html.len() < 3_000_000, "report of a one-hour job is {} bytes", html.len());
    let elems = parse(&html);
    check_anchors(&elems);
    assert_eq!(with_class(&elems, "lane").len(), run.task_names.len());
    let bars = with_class(&elems, "checkpoint-bar");
    let bucketed: usize =
        with_class(&elems, "checkpoint-bucket").iter().map(|b| b.attr("data-count").parse::<usize>().expect("n")).sum();
    assert!(bars.len() <= 300);
    assert_eq!(bars.len() + bucketed, run.checkpoints.len());
    // The failed checkpoints (storage outage) stay individual.
    let failed = run.checkpoints.iter().filter(|r| r.outcome != "COMPLETED").count();
    assert!(failed > 0);
    assert_eq!(bars.iter().filter(|b| b.attr("data-outcome") != "COMPLETED").count(), failed.min(300));
    assert_eq!(spec.faults.len(), 5, "seed 003's two faults and three more");
    assert_eq!(with_class(&elems, "fault-marker").len(), 5, "one marker per fault");
    let out_rows = elems.iter().filter(|e| e.name == "tr" && (e.has_class("row") || e.has_class("dup"))).count();
    assert!(out_rows <= 300 && run.committed.len() > 10_000);
}

/// Every complete event on a track nests in the ones it starts inside.
fn check_nesting(events: &[serde_json::Value]) {
    let mut per_tid: BTreeMap<u64, Vec<(u64, u64)>> = BTreeMap::new();
    for e in events.iter().filter(|e| e["ph"] == "X") {
        let ts = e["ts"].as_u64().expect("ts in µs");
        let dur = e["dur"].as_u64().expect("dur in µs");
        per_tid.entry(e["tid"].as_u64().expect("tid")).or_default().push((ts, ts + dur));
    }
    for (tid, mut v) in per_tid {
        v.sort_by_key(|(s, e)| (*s, std::cmp::Reverse(*e)));
        let mut stack: Vec<u64> = vec![];
        for (s, e) in v {
            while stack.last().is_some_and(|end| *end <= s) {
                stack.pop();
            }
            if let Some(parent_end) = stack.last() {
                assert!(e <= *parent_end, "tid {tid}: [{s}, {e}] overlaps its parent ending at {parent_end}");
            }
            stack.push(e);
        }
    }
}

#[test]
fn chrome_trace_of_004_is_json_with_one_named_track_per_task() {
    let spec =
        load::load_spec(&Path::new(env!("CARGO_MANIFEST_DIR")).join("scenarios/seeds/004-wordcount-restore.toml"))
            .expect("seed 004 loads");
    let o = outcome::run(&spec, spec.default_seed);
    let text = chrome::chrome_trace_json(&spec, &o);
    let v: serde_json::Value = serde_json::from_str(&text).expect("valid JSON");
    let events = v["traceEvents"].as_array().expect("traceEvents array");
    let names: Vec<(u64, &str)> = events
        .iter()
        .filter(|e| e["ph"] == "M" && e["name"] == "thread_name")
        .map(|e| (e["tid"].as_u64().expect("tid"), e["args"]["name"].as_str().expect("name")))
        .collect();
    for task in &o.run.task_names {
        assert_eq!(names.iter().filter(|(_, n)| n == task).count(), 1, "one track named {task}");
    }
    for node in ["jm", "chaos", "client", "checkpoints"] {
        assert_eq!(names.iter().filter(|(_, n)| *n == node).count(), 1, "a {node} track");
    }
    let tids: BTreeSet<u64> = names.iter().map(|(t, _)| *t).collect();
    assert_eq!(tids.len(), names.len(), "distinct tids");
    // Checkpoints are complete events in microseconds of virtual time.
    let cps: Vec<&serde_json::Value> = events.iter().filter(|e| e["ph"] == "X" && e["cat"] == "checkpoint").collect();
    assert_eq!(cps.len(), o.run.checkpoints.len());
    let first = &o.run.checkpoints[0];
    let ev = cps.iter().find(|e| e["name"] == format!("checkpoint {}", first.id)).expect("checkpoint 1");
    assert_eq!(ev["ts"].as_u64(), Some(first.trigger_ms * 1000));
    assert_eq!(ev["dur"].as_u64(), Some((first.end_ms.expect("completed") - first.trigger_ms) * 1000));
    // Snapshots are complete events on the task tracks; exceptions are instants there.
    let task_tids: BTreeSet<u64> =
        names.iter().filter(|(_, n)| o.run.task_names.iter().any(|t| t == n)).map(|(t, _)| *t).collect();
    let snaps = events.iter().filter(|e| e["ph"] == "X" && e["cat"] == "snapshot").count();
    assert!(snaps >= o.run.snapshot_spans.len());
    assert!(events
        .iter()
        .filter(|e| e["cat"] == "snapshot")
        .all(|e| task_tids.contains(&e["tid"].as_u64().expect("tid"))));
    let exceptions = events.iter().filter(|e| e["ph"] == "i" && e["cat"] == "exception").count();
    assert_eq!(exceptions, o.run.trace.events().iter().filter(|e| e.kind == "exception").count());
    assert!(exceptions >= 4, "seed 004 throws on every ERROR");
    check_nesting(events);
}

#[test]
fn chrome_traces_of_every_seed_nest_and_mark_every_fault() {
    for f in seed_files() {
        let spec = load::load_spec(&f).expect("loads");
        let o = outcome::run(&spec, spec.default_seed);
        let text = chrome::chrome_trace_json(&spec, &o);
        assert_eq!(text, chrome::chrome_trace_json(&spec, &outcome::run(&spec, spec.default_seed)), "deterministic");
        let v: serde_json::Value = serde_json::from_str(&text).expect("valid JSON");
        let events = v["traceEvents"].as_array().expect("array");
        check_nesting(events);
        let fault_starts = events
            .iter()
            .filter(|e| e["ph"] == "i" && e["name"].as_str().is_some_and(|n| n.starts_with("fault start")))
            .count();
        assert_eq!(fault_starts, count_trace(&o.run, "chaos", "fault", "start "), "{}", spec.name);
    }
}
