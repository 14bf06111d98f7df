//! The report's main SVG: the time axis, job and checkpoint rows, markers, and one lane per task with its phases.

use super::*;

/// A time-axis step that reads well on a clock: 1-2-5 ms/s, 10/15/30 s, 1/2/5/10/15/30 min, hours.
pub(super) fn time_step(range: u64, max: u64) -> u64 {
    const STEPS: [u64; 27] = [
        1, 2, 5, 10, 20, 50, 100, 200, 500, 1_000, 2_000, 5_000, 10_000, 15_000, 30_000, 60_000, 120_000, 300_000,
        600_000, 900_000, 1_800_000, 3_600_000, 7_200_000, 10_800_000, 21_600_000, 43_200_000, 86_400_000,
    ];
    let raw = range.div_ceil(max.max(1)).max(1);
    STEPS.iter().copied().find(|s| *s >= raw).unwrap_or_else(|| nice_step(range, max))
}

pub(super) fn axis(h: &mut String, scale: &Scale, y_label: f64, y0: f64, y1: f64) {
    let long = scale.stop >= 600_000;
    let step = time_step(scale.stop, 12);
    let mut t = 0;
    while t <= scale.stop {
        let x = px(scale.x(t));
        let _ = write!(h, "<line class=\"grid\" x1=\"{x}\" y1=\"{}\" x2=\"{x}\" y2=\"{}\"/>", px(y0), px(y1));
        let _ = write!(
            h,
            "<text class=\"axis\" x=\"{x}\" y=\"{}\" text-anchor=\"middle\">{}</text>",
            px(y_label),
            tick_label(t, long)
        );
        t += step;
    }
    h.push('\n');
}

/// A triangle pointing down with its tip at (x, y).
pub(super) fn triangle(x: f64, y: f64, s: f64) -> String {
    format!("M{} {}L{} {}L{} {}Z", px(x - s), px(y - s * 1.6), px(x + s), px(y - s * 1.6), px(x), px(y))
}

pub(super) fn diamond(x: f64, y: f64, s: f64) -> String {
    format!("M{} {}L{} {}L{} {}L{} {}Z", px(x), px(y - s), px(x + s), px(y), px(x), px(y + s), px(x - s), px(y))
}

pub(super) fn row_label(h: &mut String, y: f64, text: &str, title: Option<&str>) {
    let _ = write!(h, "<text class=\"lbl\" x=\"{}\" y=\"{}\">", px(LABEL_W - 6.0), px(y));
    if let Some(t) = title {
        let _ = write!(h, "<title>{}</title>", esc(t));
    }
    let _ = writeln!(h, "{}</text>", esc(text));
}

/// Greedy packing of intervals into rows: each goes into the first row that is free at its start.
pub(super) fn pack(intervals: &[(u64, u64)], max_rows: usize) -> (Vec<usize>, usize) {
    let mut ends: Vec<u64> = vec![];
    let mut rows = vec![];
    for &(s, e) in intervals {
        let r = match ends.iter().position(|&end| end <= s) {
            Some(r) => r,
            None if ends.len() < max_rows => {
                ends.push(0);
                ends.len() - 1
            }
            None => {
                // Every row is busy: take the one that frees first.
                ends.iter().enumerate().min_by_key(|(_, e)| **e).map(|(i, _)| i).unwrap_or(0)
            }
        };
        ends[r] = ends[r].max(e);
        rows.push(r);
    }
    (rows, ends.len())
}

/// Which checkpoints are drawn one by one; the rest go into per-bucket summaries.
pub(super) fn individual_checkpoints(tl: &Timeline, opts: &ReportOptions) -> Vec<bool> {
    if tl.checkpoints.len() <= opts.max_checkpoint_bars {
        return vec![true; tl.checkpoints.len()];
    }
    let mut budget = opts.max_checkpoint_bars;
    tl.checkpoints
        .iter()
        .map(|c| {
            let interesting = c.row.outcome != "COMPLETED" || c.row.savepoint;
            if interesting && budget > 0 {
                budget -= 1;
                true
            } else {
                false
            }
        })
        .collect()
}

pub(super) fn checkpoint_title(c: &CheckpointBar) -> String {
    let r = &c.row;
    format!(
        "{} {}: {} — triggered at {}, {} {}, alignment {} ms, size {} B{}",
        if r.savepoint { "savepoint" } else { "checkpoint" },
        r.id,
        r.outcome,
        secs(r.trigger_ms),
        match r.end_ms {
            Some(_) if r.outcome == "COMPLETED" => "completed after",
            Some(_) => "ended after",
            None => "pending for",
        },
        dur(c.end_ms.saturating_sub(r.trigger_ms)),
        r.alignment_ms,
        r.size_bytes,
        if r.unaligned { ", unaligned" } else { "" }
    )
}

pub(super) fn timeline_svg(
    h: &mut String,
    tl: &Timeline,
    scale: &Scale,
    opts: &ReportOptions,
    listed: &[(usize, &Anomaly)],
) {
    // Layout: compute every row's y first, then draw.
    let top = 20.0;
    let job_y = top + 4.0;
    let restart_y = job_y + 20.0;
    let fault_intervals: Vec<(u64, u64)> =
        tl.faults.iter().map(|f| (f.start_ms, f.end_ms.unwrap_or(f.start_ms + 1).max(f.start_ms + 1))).collect();
    let (fault_rows, n_fault_rows) = pack(&fault_intervals, 4);
    let fault_y = restart_y + 20.0;
    let fault_h = 16.0 * n_fault_rows.max(1) as f64;
    let action_y = fault_y + fault_h + 4.0;
    let cluster_y = action_y + 20.0;
    let lanes_y = cluster_y + 20.0;
    let lane_h = 22.0;
    let cp_y = lanes_y + lane_h * tl.tasks.len() as f64 + 6.0;
    let individual = individual_checkpoints(tl, opts);
    let drawn: Vec<(usize, &CheckpointBar)> =
        tl.checkpoints.iter().enumerate().filter(|(i, _)| individual[*i]).collect();
    let cp_intervals: Vec<(u64, u64)> =
        drawn.iter().map(|(_, c)| (c.row.trigger_ms, c.end_ms.max(c.row.trigger_ms + 1))).collect();
    let (cp_rows, n_cp_rows) = pack(&cp_intervals, 6);
    let cp_h = 12.0;
    let any_bucket = individual.iter().any(|b| !b);
    let bucket_y = cp_y + cp_h * n_cp_rows.max(1) as f64 + 2.0;
    let anomaly_y = bucket_y + if any_bucket { cp_h + 4.0 } else { 0.0 } + 4.0;
    let bottom = anomaly_y + if listed.is_empty() { 0.0 } else { 18.0 };
    let height = bottom + 18.0;

    let _ = writeln!(
        h,
        "<svg xmlns=\"http://www.w3.org/2000/svg\" id=\"timeline-svg\" width=\"{}\" height=\"{}\" viewBox=\"0 0 {} {}\">",
        px(SVG_W),
        px(height),
        px(SVG_W),
        px(height)
    );
    h.push_str("<defs><pattern id=\"hatch\" width=\"4\" height=\"4\" patternUnits=\"userSpaceOnUse\" patternTransform=\"rotate(45)\"><rect width=\"4\" height=\"4\" fill=\"#85c1e9\"/><line x1=\"0\" y1=\"0\" x2=\"0\" y2=\"4\" stroke=\"#1f618d\" stroke-width=\"2\"/></pattern></defs>\n");
    axis(h, scale, 12.0, top, bottom);
    axis_bottom_labels(h, scale, bottom + 13.0);

    job_row(h, tl, scale, job_y);

    restart_row(h, tl, scale, restart_y);

    fault_row(h, tl, scale, fault_y, &fault_rows, cp_y);

    action_row(h, tl, scale, action_y, bottom);

    cluster_row(h, tl, scale, cluster_y);

    // Task lanes.
    for lane in &tl.tasks {
        let y = lanes_y + lane_h * lane.index as f64;
        task_lane(h, lane, scale, y, lane_h - 3.0, opts);
    }

    checkpoint_rows(h, scale, &drawn, &cp_rows, cp_y, cp_h);
    if any_bucket {
        bucket_row(h, tl, scale, &individual, bucket_y, cp_h);
    }

    anomaly_row(h, listed, scale, anomaly_y);
    h.push_str("</svg>\n");
}

/// The job status row: one segment per status.
fn job_row(h: &mut String, tl: &Timeline, scale: &Scale, job_y: f64) {
    // Job status.
    row_label(h, job_y + 12.0, "job status", None);
    h.push_str("<g id=\"job-status\">");
    for s in &tl.job {
        let x0 = scale.x(s.start_ms);
        let w = (scale.x(s.end_ms) - x0).max(0.6);
        let _ = write!(
            h,
            "<rect class=\"job-segment {}\" x=\"{}\" y=\"{}\" width=\"{}\" height=\"14\"><title>{} from {} to {}</title></rect>",
            job_class(s.status),
            px(x0),
            px(job_y),
            px(w),
            s.status,
            secs(s.start_ms),
            secs(s.end_ms)
        );
        if w > 60.0 {
            let _ = write!(
                h,
                "<text class=\"small\" x=\"{}\" y=\"{}\">{}</text>",
                px(x0 + 3.0),
                px(job_y + 10.5),
                s.status
            );
        }
    }
    h.push_str("</g>\n");
}

/// The restarts row: each restart with its delay.
fn restart_row(h: &mut String, tl: &Timeline, scale: &Scale, restart_y: f64) {
    // Restarts with their delay.
    row_label(h, restart_y + 11.0, "restarts (delay)", None);
    for (i, r) in tl.restarts.iter().enumerate() {
        let x0 = scale.x(r.at_ms);
        let x1 = scale.x(r.restored_at_ms.unwrap_or(r.at_ms + r.backoff_ms));
        let _ = write!(
            h,
            "<g class=\"restart-marker\" id=\"restart-{i}\"><title>failure #{} at {}: restart after {} ms{}</title><rect class=\"restart-span\" x=\"{}\" y=\"{}\" width=\"{}\" height=\"12\"/>",
            r.failure,
            secs(r.at_ms),
            r.backoff_ms,
            match (r.restored_at_ms, r.restored_from) {
                (Some(t), Some(cp)) => format!(", restored at {} from checkpoint {cp}", secs(t)),
                (Some(t), None) => format!(", restarted at {} without a checkpoint", secs(t)),
                _ => ", not restarted before the end".into(),
            },
            px(x0),
            px(restart_y),
            px((x1 - x0).max(1.5))
        );
        if x1 - x0 > 34.0 {
            let _ = write!(
                h,
                "<text class=\"small\" x=\"{}\" y=\"{}\">#{} {}</text>",
                px(x0 + 2.0),
                px(restart_y + 9.5),
                r.failure,
                dur(r.backoff_ms)
            );
        }
        h.push_str("</g>\n");
    }
}

/// The faults rows: spans packed into rows, a triangle at each start, a faint line down to `cp_y`.
fn fault_row(h: &mut String, tl: &Timeline, scale: &Scale, fault_y: f64, fault_rows: &[usize], cp_y: f64) {
    // Faults: spans packed into rows, a triangle at each start, a faint line across.
    row_label(h, fault_y + 12.0, "faults", None);
    for (i, f) in tl.faults.iter().enumerate() {
        let y = fault_y + 16.0 * fault_rows[i] as f64;
        let x0 = scale.x(f.start_ms);
        let _ = write!(
            h,
            "<g class=\"fault-marker\" id=\"fault-{i}\"><title>fault {} at {}{}</title>",
            esc(&f.label),
            secs(f.start_ms),
            match f.end_ms {
                Some(e) => format!(" until {} ({})", secs(e), dur(e - f.start_ms)),
                None => String::new(),
            }
        );
        if let Some(e) = f.end_ms {
            let _ = write!(
                h,
                "<rect class=\"fault-span\" x=\"{}\" y=\"{}\" width=\"{}\" height=\"12\"/>",
                px(x0),
                px(y + 2.0),
                px((scale.x(e) - x0).max(1.0))
            );
        }
        let _ = write!(
            h,
            "<line class=\"fault-line\" x1=\"{}\" y1=\"{}\" x2=\"{}\" y2=\"{}\"/><path class=\"tri-fault\" d=\"{}\"/>",
            px(x0),
            px(y + 14.0),
            px(x0),
            px(cp_y),
            triangle(x0, y + 13.0, 4.5)
        );
        let room = f.end_ms.map(|e| scale.x(e) - x0).unwrap_or(LABEL_W + PLOT_W - x0);
        if room > 70.0 {
            let _ = write!(
                h,
                "<text class=\"small\" x=\"{}\" y=\"{}\">{}</text>",
                px(x0 + 6.0),
                px(y + 11.0),
                esc(&shorten(&f.label, (room / 5.2) as usize))
            );
        }
        h.push_str("</g>\n");
    }
}

/// The user actions and re-tunes row (a re-tune's line runs down to `bottom`).
fn action_row(h: &mut String, tl: &Timeline, scale: &Scale, action_y: f64, bottom: f64) {
    // User actions and re-tunes.
    row_label(h, action_y + 12.0, "actions / re-tunes", None);
    for (i, a) in tl.actions.iter().enumerate() {
        let x = scale.x(a.time_ms);
        let _ = writeln!(
            h,
            "<g class=\"action-marker\" id=\"action-{i}\"><title>action at {}: {}</title><path class=\"tri-action\" d=\"{}\"/></g>",
            secs(a.time_ms),
            esc(&a.label),
            triangle(x, action_y + 14.0, 4.5)
        );
    }
    for (i, r) in tl.retunes.iter().enumerate() {
        let x = scale.x(r.time_ms);
        let text = r.compact();
        let _ = write!(
            h,
            "<g class=\"retune-marker\" id=\"retune-{i}\"><title>{} at {}</title><line class=\"retune-line\" x1=\"{}\" y1=\"{}\" x2=\"{}\" y2=\"{}\"/><path class=\"dia-retune\" d=\"{}\"/>",
            esc(&text),
            secs(r.time_ms),
            px(x),
            px(action_y),
            px(x),
            px(bottom),
            diamond(x, action_y + 8.0, 6.0)
        );
        if LABEL_W + PLOT_W - x > 160.0 {
            let _ = write!(
                h,
                "<text class=\"small\" x=\"{}\" y=\"{}\">{}</text>",
                px(x + 8.0),
                px(action_y + 11.0),
                esc(&shorten(&text, 70))
            );
        }
        h.push_str("</g>\n");
    }
}

/// The cluster events row.
fn cluster_row(h: &mut String, tl: &Timeline, scale: &Scale, cluster_y: f64) {
    // Cluster events.
    row_label(h, cluster_y + 12.0, "cluster", None);
    for (i, c) in tl.cluster.iter().enumerate() {
        let x = scale.x(c.time_ms);
        let _ = writeln!(
            h,
            "<g class=\"event-marker\" id=\"event-{i}\"><title>{} {}: {}</title><path class=\"tri-event\" d=\"{}\"/></g>",
            secs(c.time_ms),
            esc(&c.node),
            esc(&c.label),
            triangle(x, cluster_y + 14.0, 4.0)
        );
    }
}

/// The checkpoint rows: one bar per individually drawn checkpoint.
fn checkpoint_rows(
    h: &mut String,
    scale: &Scale,
    drawn: &[(usize, &CheckpointBar)],
    cp_rows: &[usize],
    cp_y: f64,
    cp_h: f64,
) {
    // Checkpoints.
    row_label(h, cp_y + 10.0, "checkpoints", Some("one bar per checkpoint: trigger → completion/abort"));
    h.push_str("<g id=\"checkpoints\">\n");
    for (k, (_, c)) in drawn.iter().enumerate() {
        let y = cp_y + cp_h * cp_rows[k] as f64;
        let x0 = scale.x(c.row.trigger_ms);
        let w = (scale.x(c.end_ms) - x0).max(1.5);
        let _ = writeln!(
            h,
            "<a href=\"#cp-row-{id}\"><rect class=\"checkpoint-bar {}{}\" id=\"cp-{id}\" data-id=\"{id}\" data-outcome=\"{}\" x=\"{}\" y=\"{}\" width=\"{}\" height=\"{}\"><title>{}</title></rect></a>",
            outcome_class(&c.row.outcome),
            if c.row.savepoint { " savepoint" } else { "" },
            esc(&c.row.outcome),
            px(x0),
            px(y + 1.0),
            px(w),
            px(cp_h - 2.0),
            esc(&checkpoint_title(c)),
            id = c.row.id
        );
    }
    h.push_str("</g>\n");
}

/// The checkpoint summary row: checkpoints not drawn one by one, per time bucket.
fn bucket_row(h: &mut String, tl: &Timeline, scale: &Scale, individual: &[bool], bucket_y: f64, cp_h: f64) {
    row_label(h, bucket_y + 10.0, "checkpoints (summary)", Some("checkpoints not drawn one by one, per time bucket"));
    h.push_str("<g id=\"checkpoint-buckets\">\n");
    let mut buckets: BTreeMap<usize, Vec<&CheckpointBar>> = BTreeMap::new();
    for (i, c) in tl.checkpoints.iter().enumerate() {
        if !individual[i] {
            buckets.entry(scale.bucket_of(c.row.trigger_ms)).or_default().push(c);
        }
    }
    let most = buckets.values().map(|v| v.len()).max().unwrap_or(1);
    for (b, cps) in &buckets {
        let (t0, t1) = scale.bucket_range(*b);
        let worst = cps.iter().map(|c| outcome_class(&c.row.outcome)).max_by_key(|c| outcome_rank(c)).unwrap_or("");
        let durs: Vec<u64> = cps.iter().map(|c| c.end_ms.saturating_sub(c.row.trigger_ms)).collect();
        let done = cps.iter().filter(|c| c.row.outcome == "COMPLETED").count();
        let x0 = scale.x(t0);
        let _ = writeln!(
            h,
            "<rect class=\"checkpoint-bucket {worst}\" data-count=\"{}\" x=\"{}\" y=\"{}\" width=\"{}\" height=\"{}\" fill-opacity=\"{:.2}\"><title>{} checkpoints triggered {} – {} (ids {}–{}): {} completed; duration mean {} max {}</title></rect>",
            cps.len(),
            px(x0),
            px(bucket_y + 1.0),
            px((scale.x(t1) - x0).max(1.0)),
            px(cp_h - 2.0),
            0.35 + 0.65 * cps.len() as f64 / most as f64,
            cps.len(),
            secs(t0),
            secs(t1),
            cps.first().map(|c| c.row.id.0).unwrap_or(0),
            cps.last().map(|c| c.row.id.0).unwrap_or(0),
            done,
            dur(durs.iter().sum::<u64>() / durs.len().max(1) as u64),
            dur(durs.iter().copied().max().unwrap_or(0))
        );
    }
    h.push_str("</g>\n");
}

/// The anomalies row: a marker per timed anomaly, linked to its finding.
fn anomaly_row(h: &mut String, listed: &[(usize, &Anomaly)], scale: &Scale, anomaly_y: f64) {
    // Anomalies.
    if !listed.is_empty() {
        row_label(h, anomaly_y + 12.0, "anomalies", Some("click a marker to jump to the checker's finding"));
        for (n, a) in listed {
            let Some(t) = a.time_ms else { continue };
            let x = scale.x(t);
            let _ = writeln!(
                h,
                "<g class=\"anomaly-marker\" id=\"anomaly-{n}\" data-time-ms=\"{t}\"><a href=\"#anomaly-item-{n}\"><title>{} at {}: {}</title><path class=\"anomaly\" d=\"{}\"/></a></g>",
                a.checker,
                secs(t),
                esc(&a.text),
                diamond(x, anomaly_y + 8.0, 5.5)
            );
        }
    }
}

pub(super) fn axis_bottom_labels(h: &mut String, scale: &Scale, y: f64) {
    let long = scale.stop >= 600_000;
    let step = time_step(scale.stop, 12);
    let mut t = 0;
    while t <= scale.stop {
        let _ = write!(
            h,
            "<text class=\"axis\" x=\"{}\" y=\"{}\" text-anchor=\"middle\">{}</text>",
            px(scale.x(t)),
            px(y),
            tick_label(t, long)
        );
        t += step;
    }
    h.push('\n');
}

pub(super) fn task_lane(h: &mut String, lane: &TaskLane, scale: &Scale, y: f64, lh: f64, opts: &ReportOptions) {
    let label = match &lane.tm {
        Some(tm) => format!("{} · {tm}", lane.name),
        None => lane.name.clone(),
    };
    let _ = writeln!(h, "<g id=\"lane-{}\" class=\"lane\" data-task=\"{}\">", lane.index, esc(&lane.name));
    row_label(h, y + lh / 2.0 + 4.0, &shorten(&label, 46), Some(&label));
    let _ = write!(
        h,
        "<rect class=\"lanebg\" x=\"{}\" y=\"{}\" width=\"{}\" height=\"{}\"/>",
        px(LABEL_W),
        px(y),
        px(PLOT_W),
        px(lh)
    );
    // Execution states (sub-pixel segments are left out; the lane background shows through).
    for s in &lane.segments {
        let x0 = scale.x(s.start_ms);
        let w = scale.x(s.end_ms) - x0;
        if w < 0.3 {
            continue;
        }
        let title = match s.restore_from {
            Some(cp) => {
                format!("{} {} – {}: restoring state from checkpoint {cp}", s.state, secs(s.start_ms), secs(s.end_ms))
            }
            None => format!("{} {} – {}", s.state, secs(s.start_ms), secs(s.end_ms)),
        };
        let _ = write!(
            h,
            "<rect class=\"{}{}\" x=\"{}\" y=\"{}\" width=\"{}\" height=\"{}\"><title>{}</title></rect>",
            state_class(s.state),
            if s.restore_from.is_some() { " restoring" } else { "" },
            px(x0),
            px(y),
            px(w.max(0.6)),
            px(lh),
            esc(&title)
        );
    }
    // Snapshot phases in the lower half: one by one, or as per-bucket density.
    let py = y + lh * 0.45;
    let ph = lh * 0.55;
    if lane.phases.len() <= opts.max_lane_phases {
        for p in &lane.phases {
            let x0 = scale.x(p.start_ms);
            let w = (scale.x(p.end_ms) - x0).max(0.8);
            let _ = write!(
                h,
                "<rect class=\"phase ph-{}\" data-checkpoint=\"{}\" x=\"{}\" y=\"{}\" width=\"{}\" height=\"{}\"><title>{}</title></rect>",
                p.kind.name(),
                p.checkpoint,
                px(x0),
                px(py),
                px(w),
                px(ph),
                esc(&p.detail)
            );
        }
    } else {
        phase_density(h, lane, scale, py, ph);
    }
    // Exceptions, injected failures, declines.
    for m in &lane.marks {
        let x = scale.x(m.time_ms);
        let _ = write!(
            h,
            "<path class=\"task-mark mark-{}\" d=\"{}\"><title>{} {}: {}</title></path>",
            m.kind,
            triangle(x, y + lh * 0.55, 4.0),
            secs(m.time_ms),
            m.kind,
            esc(&m.text)
        );
    }
    h.push_str("</g>\n");
}

/// Snapshot phases of a busy lane as density: per bucket of `PHASE_BUCKET_PX` pixels, one group
/// (class `phase-bucket`, `data-count` phases starting in it) with a bar per phase kind whose
/// height is the share of the bucket's time spent in that phase.
pub(super) fn phase_density(h: &mut String, lane: &TaskLane, scale: &Scale, py: f64, ph: f64) {
    const PHASE_BUCKET_PX: f64 = 8.0;
    let n = (PLOT_W / PHASE_BUCKET_PX) as u128;
    let stop = scale.stop.max(1) as u128;
    let bucket_of = |t: u64| ((t.min(scale.stop) as u128 * n / stop).min(n - 1)) as usize;
    let range = |b: usize| ((b as u128 * stop / n) as u64, ((b as u128 + 1) * stop / n) as u64);
    // bucket → (phases starting in it, covered ms per kind)
    let mut cover: BTreeMap<usize, (usize, [u64; 3])> = BTreeMap::new();
    for p in &lane.phases {
        let k = match p.kind {
            PhaseKind::Align => 0,
            PhaseKind::Sync => 1,
            PhaseKind::Upload => 2,
        };
        let (b0, b1) = (bucket_of(p.start_ms), bucket_of(p.end_ms));
        cover.entry(b0).or_default().0 += 1;
        for b in b0..=b1 {
            let (t0, t1) = range(b);
            cover.entry(b).or_default().1[k] += p.end_ms.min(t1).saturating_sub(p.start_ms.max(t0));
        }
    }
    for (b, (count, covered)) in cover {
        let (t0, t1) = range(b);
        let span = (t1 - t0).max(1);
        let x0 = scale.x(t0);
        let w = px((scale.x(t1) - x0).max(0.8));
        let _ = write!(
            h,
            "<g class=\"phase-bucket\" data-count=\"{count}\"><title>{} – {}: {count} snapshots; aligning {}, sync {}, upload {}</title>",
            secs(t0),
            secs(t1),
            dur(covered[0]),
            dur(covered[1]),
            dur(covered[2])
        );
        // Stacked from the lane's bottom: the height of each kind is its share of the bucket's
        // time (at least 1.5 px when present), so sparse snapshots stay thin lines.
        let mut top = py + ph;
        for k in [2, 0, 1] {
            if covered[k] == 0 {
                continue;
            }
            let name = ["align", "snapshot", "upload"][k];
            let hh = (ph * covered[k] as f64 / span as f64).clamp(1.5, ph);
            top -= hh;
            let _ = write!(
                h,
                "<rect class=\"ph-{name}\" x=\"{}\" y=\"{}\" width=\"{w}\" height=\"{}\"/>",
                px(x0),
                px(top.max(py)),
                px(hh)
            );
        }
        h.push_str("</g>");
    }
    h.push('\n');
}
