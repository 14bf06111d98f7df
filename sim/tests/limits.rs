//! Bounded cost for any input: the file-size limit before parsing, and `ckptsim check`
//! validating a generator by its parameters without materialising its records.

use ckptsim_sim::scenario::{self, limits, FILE_FIELD};
use std::alloc::{GlobalAlloc, Layout, System};
use std::cell::Cell;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, Instant};

/// The system allocator, counting the bytes each thread holds and its peak, so a test can
/// measure what loading allocates without the other tests of this binary (on other threads).
struct CountingAlloc;

thread_local! {
    static LIVE_BYTES: Cell<isize> = const { Cell::new(0) };
    static PEAK_BYTES: Cell<isize> = const { Cell::new(0) };
}

fn note_bytes(delta: isize) {
    let _ = LIVE_BYTES.try_with(|live| {
        let now = live.get() + delta;
        live.set(now);
        let _ = PEAK_BYTES.try_with(|peak| peak.set(peak.get().max(now)));
    });
}

// SAFETY: every call is forwarded unchanged to `System`; the counting touches only
// const-initialised thread-locals (no allocation, no destructor).
unsafe impl GlobalAlloc for CountingAlloc {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        let p = unsafe { System.alloc(layout) };
        if !p.is_null() {
            note_bytes(layout.size() as isize);
        }
        p
    }
    unsafe fn alloc_zeroed(&self, layout: Layout) -> *mut u8 {
        let p = unsafe { System.alloc_zeroed(layout) };
        if !p.is_null() {
            note_bytes(layout.size() as isize);
        }
        p
    }
    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        unsafe { System.dealloc(ptr, layout) };
        note_bytes(-(layout.size() as isize));
    }
    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        let p = unsafe { System.realloc(ptr, layout, new_size) };
        if !p.is_null() {
            // Old and new block may both be held while the bytes are copied: count the peak so.
            note_bytes(new_size as isize);
            note_bytes(-(layout.size() as isize));
        }
        p
    }
}

#[global_allocator]
static ALLOC: CountingAlloc = CountingAlloc;

/// CPU time this thread has used (Linux `/proc/thread-self/schedstat`: its first field, ns), so
/// a time bound holds on a loaded machine where wall time does not.
fn thread_cpu() -> Duration {
    let text = std::fs::read_to_string("/proc/thread-self/schedstat").expect("Linux /proc/thread-self/schedstat");
    Duration::from_nanos(text.split_whitespace().next().and_then(|ns| ns.parse().ok()).expect("CPU ns"))
}

/// Runs `f` and returns its result with the most bytes this thread held above what it held
/// before `f` (what `f` allocated at its peak).
fn peak_bytes_of<T>(f: impl FnOnce() -> T) -> (T, u64) {
    let before = LIVE_BYTES.with(Cell::get);
    PEAK_BYTES.with(|p| p.set(before));
    let out = f();
    let peak = PEAK_BYTES.with(Cell::get);
    (out, (peak - before).max(0) as u64)
}

fn temp_dir(tag: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("ckptsim-limits-{tag}-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("temp dir");
    dir
}

const VALID: &str = "name = \"big\"\nstop_at_ms = 10000\n[[operators]]\nkind = \"log-source\"\n\
                     [[operators]]\nkind = \"print-sink\"\n[input]\nrecords = []\n";

#[test]
fn a_file_above_the_size_limit_is_refused_before_parsing() {
    let dir = temp_dir("size");
    let path = dir.join("huge.toml");
    // A valid scenario padded with comments to one byte above the limit.
    let mut text = VALID.to_string();
    while (text.len() as u64) < limits::MAX_FILE_BYTES + 1 {
        text.push_str("# padding padding padding padding padding padding padding padding padding\n");
    }
    std::fs::write(&path, &text).expect("write");
    let err = scenario::load(&path).expect_err("too large");
    assert_eq!(err.field, FILE_FIELD, "{err}");
    assert!(err.message.contains("limited to 2097152 bytes (2 MiB)"), "{err}");
    assert_eq!((err.line, err.column), (1, 1), "{err}");
    let again = scenario::parse(&path.display().to_string(), &text).expect_err("parse refuses too");
    assert_eq!(again.field, FILE_FIELD);
    // At the limit exactly the same text is accepted (comments only).
    text.truncate(limits::MAX_FILE_BYTES as usize - 1);
    text.push('\n');
    std::fs::write(&path, &text).expect("write");
    scenario::load(&path).expect("a file at the limit is read");
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn check_does_not_materialise_generated_input() {
    // At the limits: 10^7 records drawn over 10^4 uniform keys would cost seconds to expand.
    let dir = temp_dir("check");
    let path = dir.join("gen.toml");
    let text = "name = \"gen\"\nstop_at_ms = 10000\n[[operators]]\nkind = \"log-source\"\n\
                [[operators]]\nkind = \"print-sink\"\n[input]\npartitions = 1024\n\
                [input.generator]\ncount = 10000000\nrate_per_s = 1000\nkeys = 10000\n";
    std::fs::write(&path, text).expect("write");
    let mut child = Command::new(env!("CARGO_BIN_EXE_ckptsim"))
        .args(["check", path.to_str().unwrap()])
        .current_dir(Path::new(env!("CARGO_MANIFEST_DIR")).join(".."))
        .stdout(std::process::Stdio::null())
        .spawn()
        .expect("run ckptsim");
    let started = Instant::now();
    let status = loop {
        if let Some(status) = child.try_wait().expect("wait") {
            break status;
        }
        if started.elapsed() > Duration::from_secs(10) {
            child.kill().expect("kill");
            let _ = child.wait();
            panic!("check still running after 10 s: it expands the generator");
        }
        std::thread::sleep(Duration::from_millis(20));
    };
    assert_eq!(status.code(), Some(0), "the scenario at the limits is valid");
    let _ = std::fs::remove_dir_all(&dir);
}

const GEN_HEAD: &str = "name = \"g\"\nstop_at_ms = 2000\n[[operators]]\nkind = \"log-source\"\n\
                        [[operators]]\nkind = \"print-sink\"\n[input]\npartitions = 4\n";

/// A Zipf generator's draws cost up to `keys` steps each: count × keys is limited, named at
/// the generator's `count` (10^7 records over 10^4 Zipf keys ran 815 s in draws alone).
#[test]
fn zipf_draw_cost_is_limited_at_the_generator_count() {
    let text = format!(
        "{GEN_HEAD}[input.generator]\ncount = 10000000\nrate_per_s = 1000\nkeys = 10000\ndistribution = \"zipf\"\n"
    );
    let err = scenario::parse("zipf.toml", &text).expect_err("count × keys above the limit");
    assert_eq!((err.field.as_str(), err.line), ("input.generator.count", 10), "{err}");
    assert!(err.message.contains(&limits::MAX_ZIPF_COUNT_TIMES_KEYS.to_string()), "{err}");
    // At the limit it is valid, and uniform draws are not limited this way.
    let at_limit = text.replace("count = 10000000", "count = 100000");
    scenario::parse("zipf.toml", &at_limit).expect("10^5 × 10^4 is at the limit");
    scenario::parse("u.toml", &text.replace("distribution = \"zipf\"\n", "")).expect("uniform");
}

/// A source's own generator (`[inputs.<Source>]`) has the same limits as `[input]`'s.
#[test]
fn source_input_generators_have_the_generator_limits() {
    let text = "name = \"g\"\nstop_at_ms = 2000\n[[operators]]\nname = \"A\"\nkind = \"log-source\"\n\
                [[operators]]\nname = \"B\"\nkind = \"log-source\"\n[[operators]]\nkind = \"union\"\ninputs = [\"A\", \"B\"]\n\
                [[operators]]\nkind = \"print-sink\"\n[inputs.A]\ngenerator = { count = 10, rate_per_s = 10 }\n\
                [inputs.B]\ngenerator = { count = 10, rate_per_s = 10, keys = 1000000000000 }\n";
    let err = scenario::parse("two.toml", text).expect_err("keys above the limit");
    assert_eq!(err.field, "inputs.B.generator.keys", "{err}");
    assert_eq!(err.line, 17, "{err}");
}

/// Input bursts are kept as their parameters: a small file asking for 9.9 million burst records
/// loads without writing one out (it took 7 s and 654 MB before the run started).
#[test]
fn input_bursts_load_lazily() {
    let text = format!(
        "{GEN_HEAD}[input.generator]\ncount = 10\nrate_per_s = 10\n[[faults]]\nkind = \"input-burst\"\n\
         at_ms = 1000\nrecords_per_s = 100000000\nduration_ms = 99\n"
    );
    let sc = scenario::parse("burst.toml", &text).expect("valid");
    let started = Instant::now();
    let spec = ckptsim_sim::load::to_spec(&sc, "burst.toml");
    let ckptsim_sim::spec::InputSpec::Log { records, .. } = &spec.input else { panic!("a log input") };
    assert!(matches!(records, ckptsim_sim::spec::LogRecords::Merged(_)), "the burst was written out");
    assert_eq!(records.len(), 10 + 9_900_000);
    // Random access without drawing: the burst's first record follows the generator's at 1000 ms.
    assert_eq!(records.at_ms(10), Some(1000));
    assert_eq!(records.at_ms(9), Some(900));
    assert!(started.elapsed() < Duration::from_secs(2), "loading took {:?}", started.elapsed());
}

/// A blank quoted key is named as such, with its line (it was `checkpoint.: unknown field ``).
#[test]
fn blank_quoted_keys_are_named() {
    for (text, field, line) in [
        ("name = \"x\"\n\"\" = 1\n", "\"\"", 2),
        ("name = \"x\"\n[checkpoint]\n\"\" = 1\n", "checkpoint.\"\"", 3),
        ("name = \"x\"\n[checkpoint]\n\"a.b\" = 1\n", "checkpoint.\"a.b\"", 3),
        ("name = \"x\"\n[[operators]]\nkind = \"map\"\n\"\\u001b\" = 1\n", "operators[0].\"\\u001B\"", 4),
    ] {
        let err = scenario::parse("blank.toml", text).expect_err("unknown key");
        assert_eq!((err.field.as_str(), err.line), (field, line), "{err}");
        assert!(!err.to_string().chars().any(char::is_control), "{err}");
    }
}

/// Peak resident memory (KiB) and CPU time of `ckptsim check <path>`, with its exit code and
/// output, measured by `/usr/bin/time` (GNU time: `%M` is the peak RSS).
fn check_cost(path: &Path) -> (Option<i32>, String, u64, Duration) {
    let stats = path.with_extension("time");
    let out = Command::new("/usr/bin/time")
        .args(["-f", "%M %U %S", "-o"])
        .arg(&stats)
        .arg(env!("CARGO_BIN_EXE_ckptsim"))
        .arg("check")
        .arg(path)
        .output()
        .expect("run /usr/bin/time ckptsim check");
    let text = std::fs::read_to_string(&stats).expect("time's report");
    let nums: Vec<&str> = text.lines().last().unwrap_or("").split_whitespace().collect();
    assert_eq!(nums.len(), 3, "time's report: {text:?}");
    let kib: u64 = nums[0].parse().expect("peak RSS");
    let cpu_s: f64 = nums[1].parse::<f64>().expect("user") + nums[2].parse::<f64>().expect("system");
    let output = format!("{}{}", String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr));
    (out.status.code(), output, kib, Duration::from_secs_f64(cpu_s))
}

/// Bounded cost of `ckptsim check` on the largest and most hostile files: a 50 MB file (padded
/// valid text, and binary garbage) and files at the 2 MiB limit full of listed records (valid,
/// and with the error on their last record) each answer in at most 1 s of CPU (release) and
/// 200 MB peak RSS; a refused one exits 2 with `file:line:column: field`. Without GNU time at
/// `/usr/bin/time` the cost cannot be measured from here and the test says so and fails.
#[test]
fn check_answers_huge_and_hostile_files_in_bounded_time_and_memory() {
    assert!(Path::new("/usr/bin/time").exists(), "GNU time at /usr/bin/time measures the peak RSS");
    let dir = temp_dir("rss");
    let padding = "# padding padding padding padding padding padding padding padding padding\n";
    let padded = format!("{VALID}{}", padding.repeat(50_000_000 / padding.len()));
    let mut garbage = b"name = \"".to_vec();
    garbage.extend(std::iter::repeat_n([0u8, 0xff, b'\n', b'['], 12_500_000).flatten());
    // 2 MiB of listed records: ~50,000 inline tables (at 4 MiB, the limit before, the parse
    // alone peaked at 215 MB).
    let head = VALID.replace("records = []\n", "records = [\n");
    let mut listed = head.clone();
    let mut n = 0u64;
    while listed.len() < limits::MAX_FILE_BYTES as usize - 96 {
        listed.push_str(&format!("  {{ at_ms = {n}, value = \"v{n}\" }},\n"));
        n += 1;
    }
    let valid = format!("{listed}]\n");
    // The same records, the last one out of time order: an error after the whole parse.
    let late = format!("{listed}  {{ at_ms = 0, value = \"late\" }},\n]\n");
    let late_line = late.lines().count() - 1;
    // (file name, contents, the line and field a refusal names; `None`: valid).
    type Case<'a> = (&'a str, Vec<u8>, Option<(usize, &'a str)>);
    let cases: Vec<Case> = vec![
        ("padded-50mb.toml", padded.into_bytes(), Some((1, "(file)"))),
        ("garbage-50mb.toml", garbage, Some((1, "(file)"))),
        ("listed-2mib.toml", valid.into_bytes(), None),
        ("late-2mib.toml", late.into_bytes(), Some((late_line, "input.records["))),
    ];
    let cpu_limit = if cfg!(debug_assertions) { Duration::from_secs(20) } else { Duration::from_secs(1) };
    for (name, bytes, refused) in cases {
        let path = dir.join(name);
        std::fs::write(&path, &bytes).expect("write");
        let (code, output, kib, cpu) = check_cost(&path);
        assert!(kib <= 200 * 1024, "{name}: peak RSS {kib} KiB above 200 MB");
        assert!(cpu <= cpu_limit, "{name}: {cpu:?} of CPU");
        match refused {
            None => assert_eq!(code, Some(0), "{name}: {output}"),
            Some((line, field)) => {
                assert_eq!(code, Some(2), "{name}: {output}");
                let at = format!("{name}:{line}:");
                assert!(output.contains(&at) && output.contains(field), "{name}: expected {at} and {field}: {output}");
            }
        }
        eprintln!("{name}: {} bytes, peak {kib} KiB, {cpu:?} CPU", bytes.len());
    }
    let _ = std::fs::remove_dir_all(&dir);
}

/// Several log sources are merged lazily (`MergedLog::with_topics`): two sources of 5 million
/// generated records each load in well under a second without writing one out, with random
/// access by input number.
#[test]
fn several_sources_load_lazily() {
    use ckptsim_sim::spec::{InputSpec, LogRecords};
    let text = "name = \"two\"\nstop_at_ms = 10000\n[[operators]]\nname = \"A\"\nkind = \"log-source\"\n\
                [[operators]]\nname = \"B\"\nkind = \"log-source\"\n[[operators]]\nkind = \"union\"\ninputs = [\"A\", \"B\"]\n\
                [[operators]]\nkind = \"print-sink\"\n[inputs.A]\npartitions = 2\ngenerator = { count = 5000000, rate_per_s = 1000 }\n\
                [inputs.B]\npartitions = 3\ngenerator = { count = 5000000, rate_per_s = 500, start_ms = 1 }\n";
    let sc = scenario::parse("two.toml", text).expect("valid");
    let started = Instant::now();
    let (spec, peak) = peak_bytes_of(|| ckptsim_sim::load::to_spec(&sc, "two.toml"));
    // Written out, 10^7 records would hold hundreds of MB; lazily, the spec is its parameters.
    assert!(peak < 1 << 20, "loading allocated {peak} bytes at its peak");
    let InputSpec::Log { partitions, records } = &spec.input else { panic!("a log input") };
    assert_eq!(*partitions, 5);
    let LogRecords::Merged(m) = records else { panic!("the sources were written out: {records:?}") };
    assert!(
        m.base.len() == 5_000_000 && m.topics.len() == 1 && m.topics[0].0 == 2,
        "A's topic, then B's from partition 2"
    );
    assert_eq!(records.len(), 10_000_000);
    // A appends at 0, 1, 2, ... ms, B at 1, 3, 5, ...: at 1 ms A's record comes before B's.
    assert_eq!((records.at_ms(0), records.partition(0)), (Some(0), Some(0)));
    assert_eq!((records.at_ms(1), records.partition(1)), (Some(1), Some(1)));
    assert_eq!((records.at_ms(2), records.partition(2)), (Some(1), Some(2)));
    assert_eq!((records.at_ms(3), records.partition(3)), (Some(2), Some(0)));
    // The last input: B's last record (5,000,000 records at 2 ms from 1 ms), partition 2 + 4,999,999 % 3.
    assert_eq!((records.at_ms(9_999_999), records.partition(9_999_999)), (Some(9_999_999), Some(2 + 4_999_999 % 3)));
    assert!(started.elapsed() < Duration::from_secs(2), "loading took {:?}", started.elapsed());
}

/// The lazy merge of several sources is the stable sort by append time of every source's
/// records in source order (what loading wrote out before): listed and generated sources,
/// equal times, random access both ways, event timestamps per source.
#[test]
fn several_sources_merge_as_the_eager_sort() {
    use ckptsim_sim::spec::{InputSpec, LogRecords};
    let text = "name = \"two\"\nstop_at_ms = 10000\n[[operators]]\nname = \"A\"\nkind = \"log-source\"\n\
                watermarks = \"bounded-out-of-orderness\"\nmax_out_of_orderness_ms = 50\n\
                [[operators]]\nname = \"B\"\nkind = \"log-source\"\n[[operators]]\nname = \"C\"\nkind = \"log-source\"\n\
                [[operators]]\nkind = \"union\"\ninputs = [\"A\", \"B\", \"C\"]\n[[operators]]\nkind = \"print-sink\"\n\
                [inputs.A]\npartitions = 2\ngenerator = { count = 40, rate_per_s = 100, keys = 5, ts_jitter_ms = 30 }\n\
                [inputs.B]\nrecords = [ { at_ms = 0, value = \"b0\" }, { at_ms = 10, value = \"b1\" }, { at_ms = 10, value = \"b2\", partition = 0 }, { at_ms = 395, value = \"b3\" } ]\n\
                [inputs.C]\npartitions = 3\ngenerator = { count = 25, rate_per_s = 50, start_ms = 10 }\n";
    let sc = scenario::parse("three.toml", text).expect("valid");
    // (source number, its topic's first partition, its records written out).
    type Part = (usize, u32, Vec<(u64, u32, String)>);
    let mut parts: Vec<Part> = Vec::new();
    let spec = ckptsim_sim::load::to_spec(&sc, "three.toml");
    let InputSpec::Log { records, partitions } = &spec.input else { panic!("a log input") };
    assert_eq!(*partitions, 2 + 1 + 3);
    let LogRecords::Merged(m) = records else { panic!("written out") };
    parts.push((0, 0, m.base.to_listed()));
    for (k, (first, log)) in m.topics.iter().enumerate() {
        parts.push((k + 1, *first, log.to_listed()));
    }
    assert_eq!(parts.iter().map(|p| p.1).collect::<Vec<_>>(), vec![0, 2, 3], "topics' first partitions");
    let mut eager: Vec<(u64, usize, u32, String)> = parts
        .iter()
        .flat_map(|(k, first, v)| v.iter().map(move |(at, p, s)| (*at, *k, first + p, s.clone())))
        .collect();
    eager.sort_by_key(|r| (r.0, r.1));
    let eager: Vec<(u64, u32, String)> = eager.into_iter().map(|(at, _, p, v)| (at, p, v)).collect();
    assert_eq!(records.to_listed(), eager, "iteration is the stable sort");
    let times: Vec<(u64, u32)> = records.times_partitions().collect();
    assert_eq!(times, eager.iter().map(|r| (r.0, r.1)).collect::<Vec<_>>());
    // Random access, descending (binary search) and ascending (cursor).
    for seq in (0..eager.len() as u64).rev().chain(0..eager.len() as u64) {
        let r = &eager[seq as usize];
        assert_eq!((records.at_ms(seq), records.partition(seq)), (Some(r.0), Some(r.1)), "input {seq}");
    }
    assert_eq!(records.at_ms(eager.len() as u64), None);
    assert_eq!(spec.input_options.timestamps.len(), eager.len(), "one timestamp per input");
    // B and C have no event time: their records' timestamps are their append times; A's own are
    // within its jitter before the append time.
    for (seq, r) in eager.iter().enumerate() {
        let ts = spec.input_options.timestamps[seq];
        if r.1 >= 2 {
            assert_eq!(ts, r.0 as i64, "input {seq}");
        } else {
            assert!(ts <= r.0 as i64 && ts >= r.0 as i64 - 30, "input {seq}: {ts} for append time {}", r.0);
        }
    }
}

/// Event time across several sources keeps one `i64` timestamp per input (what the watermark
/// generators and the window checkers read by input number), and nothing else per record: at
/// the limit of 10^7 generated records over three sources, two with event time, loading holds at
/// most 16 bytes per input at its peak (each event-time source's own timestamps while they are
/// merged, then the merged ones) and takes under 2 s of CPU (release). Written out, a record costs at
/// least 40 bytes (append time, partition, value string) before its value's bytes, so an eager
/// merge fails here.
#[test]
fn several_event_time_sources_load_in_bounded_memory() {
    use ckptsim_sim::spec::{InputSpec, LogRecords};
    let text = "name = \"three\"\nstop_at_ms = 10000\n\
                [[operators]]\nname = \"A\"\nkind = \"log-source\"\nwatermarks = \"bounded-out-of-orderness\"\nmax_out_of_orderness_ms = 50\n\
                [[operators]]\nname = \"B\"\nkind = \"log-source\"\n\
                [[operators]]\nname = \"C\"\nkind = \"log-source\"\nwatermarks = \"bounded-out-of-orderness\"\nmax_out_of_orderness_ms = 50\n\
                [[operators]]\nkind = \"union\"\ninputs = [\"A\", \"B\", \"C\"]\n[[operators]]\nkind = \"print-sink\"\n\
                [inputs.A]\npartitions = 4\ngenerator = { count = 4000000, rate_per_s = 1000, keys = 10000, ts_jitter_ms = 30 }\n\
                [inputs.B]\npartitions = 2\ngenerator = { count = 3000000, rate_per_s = 700, keys = 10 }\n\
                [inputs.C]\npartitions = 8\ngenerator = { count = 3000000, rate_per_s = 300, start_ms = 5, ts_jitter_ms = 10 }\n";
    let sc = scenario::parse("three.toml", text).expect("valid at the limits");
    let total: u64 = 10_000_000;
    let started = thread_cpu();
    let (spec, peak) = peak_bytes_of(|| ckptsim_sim::load::to_spec(&sc, "three.toml"));
    let cpu = thread_cpu() - started;
    eprintln!("three event-time sources, {total} inputs: peak {peak} bytes ({} per input), {cpu:?} CPU", peak / total);
    assert!(peak <= 16 * total + (1 << 20), "loading allocated {peak} bytes at its peak ({} per input)", peak / total);
    let cpu_limit = if cfg!(debug_assertions) { Duration::from_secs(30) } else { Duration::from_secs(2) };
    assert!(cpu < cpu_limit, "loading took {cpu:?} of CPU");
    let InputSpec::Log { partitions, records } = &spec.input else { panic!("a log input") };
    assert_eq!(*partitions, 4 + 2 + 8);
    let LogRecords::Merged(m) = records else { panic!("the sources were written out") };
    assert!(matches!(*m.base, LogRecords::Generated(_)), "A stays a generator");
    assert!(m.topics.iter().all(|(_, t)| matches!(t, LogRecords::Generated(_))), "B and C stay generators");
    assert_eq!(records.len() as u64, total);
    assert_eq!(spec.input_options.timestamps.len() as u64, total, "one timestamp per input");
    // Spot checks by input number, ascending and descending: a record of B (no event time) has
    // its append time as timestamp; A's and C's are within their jitter before it.
    for seq in (0..total).step_by(999_983).chain((0..total).rev().step_by(1_000_003)) {
        let at = records.at_ms(seq).expect("an input") as i64;
        let p = records.partition(seq).expect("a partition");
        let ts = spec.input_options.timestamps[seq as usize];
        match p {
            4..=5 => assert_eq!(ts, at, "input {seq} of B"),
            0..=3 => assert!((at - 30..=at).contains(&ts), "input {seq} of A: {ts} at {at}"),
            _ => assert!((at - 10..=at).contains(&ts), "input {seq} of C: {ts} at {at}"),
        }
    }
}
