//! The `message-loss` and `control-delay` faults act on the links their `target` / `peer` name (issue 14: the loader used to drop both keys and apply the fault to every link).

use ckptsim_sim::spec::FaultKind;
use ckptsim_sim::trace::EventData;
use ckptsim_sim::{load, scenario, world};

/// A keyed sum on two TaskManagers (subtask i on tm i) with checkpoints every 200 ms, heartbeats
/// every 100 ms (so a TaskManager sends during the fault even when a certain loss keeps its
/// tasks from ever acknowledging), and one fault whose keys are `fault`.
fn spec_with(fault: &str) -> ckptsim_sim::spec::JobSpec {
    let text = format!(
        r#"
name = "message-loss-link"
profile = "flink-2.3"
stop_at_ms = 4000
[checkpoint]
interval_ms = 200
[cluster]
task_managers = 2
slots_per_tm = 1
heartbeat_interval_ms = 100
[[operators]]
kind = "log-source"
name = "Source"
parallelism = 2
startup = "earliest"
[[operators]]
kind = "map"
name = "ToPair"
parallelism = 2
function = "to_pair_one"
[[operators]]
kind = "key_by"
[[operators]]
kind = "sum"
name = "Sum"
parallelism = 2
[[operators]]
kind = "print-sink"
name = "Sink"
parallelism = 2
[input]
partitions = 2
generator = {{ count = 100, rate_per_s = 50, keys = 4, distribution = "uniform", start_ms = 100 }}
[[faults]]
at_ms = 500
duration_ms = 2000
{fault}
"#
    );
    let sc = scenario::parse("message-loss-link.toml", &text).expect("scenario parses");
    load::to_spec(&sc, "message-loss-link.toml")
}

/// The (from, to) node names of every message the run lost to message loss.
fn lost_links(spec: &ckptsim_sim::spec::JobSpec) -> Vec<(String, String)> {
    let run = world::run(spec, 1);
    run.trace
        .events()
        .iter()
        .filter(|e| e.kind == "lost" && matches!(e.data, EventData::Dropped { .. }))
        .map(|e| {
            let link = e.detail.split(':').next().expect("`from -> to: message`");
            let (from, to) = link.split_once(" -> ").expect("`from -> to`");
            (from.to_string(), to.to_string())
        })
        .collect()
}

#[test]
fn the_loader_keeps_target_and_peer() {
    let spec = spec_with("kind = \"message-loss\"\nrate = 0.5\ntarget = \"tm1\"\npeer = \"jm\"");
    assert!(matches!(
        &spec.faults[0].kind,
        FaultKind::MessageLoss { target: Some(t), peer: Some(p), .. } if t == "tm1" && p == "jm"
    ));
    let spec = spec_with("kind = \"control-delay\"\nextra_ms = 50\ntarget = \"tm0\"");
    assert!(matches!(&spec.faults[0].kind, FaultKind::ControlDelay { target: Some(t), .. } if t == "tm0"));
}

/// Fails without the fix: the loss then struck tm0's links too.
#[test]
fn a_loss_with_a_target_and_peer_drops_only_that_link() {
    let links = lost_links(&spec_with("kind = \"message-loss\"\nrate = 1.0\ntarget = \"tm1\"\npeer = \"jm\""));
    assert!(!links.is_empty(), "a certain loss on jm <-> tm1 drops messages");
    let on_link = |(a, b): &(String, String)| (a == "jm" && b == "tm1") || (a == "tm1" && b == "jm");
    assert!(links.iter().all(on_link), "only jm <-> tm1 is lossy: {links:?}");
    assert!(links.iter().any(|(a, _)| a == "jm") && links.iter().any(|(a, _)| a == "tm1"), "both ways: {links:?}");
}

#[test]
fn a_loss_with_a_target_drops_only_its_links_and_without_one_every_link() {
    let links = lost_links(&spec_with("kind = \"message-loss\"\nrate = 1.0\ntarget = \"tm0\""));
    assert!(!links.is_empty());
    assert!(links.iter().all(|(a, b)| a == "tm0" || b == "tm0"), "only tm0's links: {links:?}");
    let everywhere = lost_links(&spec_with("kind = \"message-loss\"\nrate = 1.0"));
    assert!(everywhere.iter().any(|(a, b)| a == "tm1" || b == "tm1"), "no target: tm1's links too");
    assert!(everywhere.iter().any(|(a, b)| a == "tm0" || b == "tm0"), "no target: tm0's links too");
}

/// The extra latency of a targeted control delay applies to its node's messages only: a
/// checkpoint's acks from tm1 are not delayed by a delay on tm0, so the trace differs from a
/// delay on every link.
#[test]
fn a_control_delay_with_a_target_is_not_a_delay_everywhere() {
    let targeted = world::run(&spec_with("kind = \"control-delay\"\nextra_ms = 300\ntarget = \"tm0\""), 1);
    let everywhere = world::run(&spec_with("kind = \"control-delay\"\nextra_ms = 300"), 1);
    assert_ne!(targeted.trace.hash(), everywhere.trace.hash());
}
