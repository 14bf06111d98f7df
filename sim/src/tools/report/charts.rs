//! The report's charts under the timeline: checkpoint durations and alignment, and source offsets over time.

use super::*;

/// The duration chart (or, with `alignment`, the alignment-time chart).
pub(super) fn duration_chart(h: &mut String, tl: &Timeline, scale: &Scale, opts: &ReportOptions, alignment: bool) {
    let chart_h = if alignment { 110.0 } else { 190.0 };
    let top = 16.0;
    let base = top + chart_h;
    let height = base + 22.0;
    let mut chart = BarChart { alignment, chart_h, base, ymax: 1, name: "" };
    let max = tl.checkpoints.iter().map(|c| chart.value(c)).max().unwrap_or(0).max(1);
    let step = nice_step(max, 5);
    chart.ymax = max.div_ceil(step) * step;
    let (id, name, class) = if alignment {
        ("alignment-chart", "alignment time", "alignment-bar")
    } else {
        ("duration-chart", "checkpoint duration", "duration-bar")
    };
    chart.name = name;
    let _ = writeln!(
        h,
        "<svg xmlns=\"http://www.w3.org/2000/svg\" id=\"{id}\" width=\"{}\" height=\"{}\" viewBox=\"0 0 {} {}\">",
        px(SVG_W),
        px(height),
        px(SVG_W),
        px(height)
    );
    axis(h, scale, base + 14.0, top, base);
    let _ = write!(
        h,
        "<text class=\"lbl\" x=\"{}\" y=\"{}\" font-weight=\"bold\">{name}</text>",
        px(LABEL_W - 70.0),
        px(top + chart_h / 2.0)
    );
    chart.grid(h, step);
    h.push('\n');
    marker_lines(h, tl, scale, top, base);
    if tl.checkpoints.len() <= opts.max_checkpoint_bars {
        chart.bars(h, tl, scale, class);
    } else {
        chart.buckets(h, tl, scale);
    }
    h.push_str("</svg>\n");
}

/// Re-tunes and job failures as vertical lines across a chart (from `top` to `base`).
fn marker_lines(h: &mut String, tl: &Timeline, scale: &Scale, top: f64, base: f64) {
    for r in &tl.retunes {
        let x = scale.x(r.time_ms);
        let _ = write!(
            h,
            "<line class=\"retune-line\" x1=\"{}\" y1=\"{}\" x2=\"{}\" y2=\"{}\"/><text class=\"small\" x=\"{}\" y=\"{}\">re-tune</text>",
            px(x),
            px(top - 4.0),
            px(x),
            px(base),
            px(x + 3.0),
            px(top + 6.0)
        );
    }
    for r in &tl.restarts {
        let x = scale.x(r.at_ms);
        let _ = write!(
            h,
            "<line class=\"fault-line\" x1=\"{}\" y1=\"{}\" x2=\"{}\" y2=\"{}\"><title>failure #{} at {}</title></line>",
            px(x),
            px(top),
            px(x),
            px(base),
            r.failure,
            secs(r.at_ms)
        );
    }
}

/// A bar chart of one value per checkpoint: its duration, or its alignment time.
struct BarChart {
    alignment: bool,
    chart_h: f64,
    /// The y of the value 0.
    base: f64,
    /// The value at the top of the chart.
    ymax: u64,
    name: &'static str,
}

impl BarChart {
    fn value(&self, c: &CheckpointBar) -> u64 {
        if self.alignment {
            c.row.alignment_ms
        } else {
            c.end_ms.saturating_sub(c.row.trigger_ms)
        }
    }

    fn y(&self, v: u64) -> f64 {
        self.base - v as f64 * self.chart_h / self.ymax as f64
    }

    /// A grid line and its label every `step`.
    fn grid(&self, h: &mut String, step: u64) {
        let mut v = 0;
        while v <= self.ymax {
            let yy = self.y(v);
            let _ = write!(
                h,
                "<line class=\"grid\" x1=\"{}\" y1=\"{}\" x2=\"{}\" y2=\"{}\"/><text class=\"axis\" x=\"{}\" y=\"{}\" text-anchor=\"end\">{}</text>",
                px(LABEL_W),
                px(yy),
                px(LABEL_W + PLOT_W),
                px(yy),
                px(LABEL_W - 4.0),
                px(yy + 3.0),
                dur(v)
            );
            v += step;
        }
    }

    /// One bar per checkpoint (few checkpoints).
    fn bars(&self, h: &mut String, tl: &Timeline, scale: &Scale, class: &str) {
        let n = tl.checkpoints.len();
        let bw = (PLOT_W / n.max(1) as f64 * 0.6).clamp(2.0, 14.0);
        for c in &tl.checkpoints {
            let v = self.value(c);
            let x = scale.x(c.row.trigger_ms);
            let top_y = self.y(v).min(self.base - 1.0);
            let color = if self.alignment { "" } else { outcome_class(&c.row.outcome) };
            let _ = write!(
                h,
                "<rect class=\"{class} {color}\" data-id=\"{}\" x=\"{}\" y=\"{}\" width=\"{}\" height=\"{}\"><title>checkpoint {}: {} {} ({})</title></rect>",
                c.row.id,
                px(x - bw / 2.0),
                px(top_y),
                px(bw),
                px(self.base - top_y),
                c.row.id,
                self.name,
                dur(v),
                esc(&c.row.outcome)
            );
            if n <= 16 && v > 0 {
                let _ = write!(
                    h,
                    "<text class=\"small\" x=\"{}\" y=\"{}\" text-anchor=\"middle\">{}</text>",
                    px(x),
                    px(top_y - 2.0),
                    dur(v)
                );
            }
        }
    }

    /// One bar per time bucket: the largest value in it, with count and mean in its title.
    fn buckets(&self, h: &mut String, tl: &Timeline, scale: &Scale) {
        let mut buckets: BTreeMap<usize, Vec<&CheckpointBar>> = BTreeMap::new();
        for c in &tl.checkpoints {
            buckets.entry(scale.bucket_of(c.row.trigger_ms)).or_default().push(c);
        }
        let bucket_class = if self.alignment { "alignment-bucket" } else { "duration-bucket" };
        for (b, cps) in &buckets {
            let (t0, t1) = scale.bucket_range(*b);
            let vals: Vec<u64> = cps.iter().map(|c| self.value(c)).collect();
            let vmax = vals.iter().copied().max().unwrap_or(0);
            let worst = if self.alignment {
                ""
            } else {
                cps.iter().map(|c| outcome_class(&c.row.outcome)).max_by_key(|c| outcome_rank(c)).unwrap_or("")
            };
            let x0 = scale.x(t0);
            let top_y = self.y(vmax).min(self.base - 1.0);
            let _ = write!(
                h,
                "<rect class=\"{bucket_class} {worst}\" data-count=\"{}\" x=\"{}\" y=\"{}\" width=\"{}\" height=\"{}\"><title>{} – {}: {} checkpoints, {} mean {} max {}</title></rect>",
                cps.len(),
                px(x0),
                px(top_y),
                px((scale.x(t1) - x0 - 0.5).max(0.8)),
                px(self.base - top_y),
                secs(t0),
                secs(t1),
                cps.len(),
                self.name,
                dur(vals.iter().sum::<u64>() / vals.len().max(1) as u64),
                dur(vmax)
            );
        }
    }
}

pub(super) fn offsets_chart(h: &mut String, spec: &JobSpec, run: &RunResult, scale: &Scale) {
    let InputSpec::Log { partitions, records } = &spec.input else {
        h.push_str("<p class=\"meta\">No partitioned-log source: no offsets.</p>\n");
        return;
    };
    let has_log_source = spec.operators.iter().any(|o| matches!(o.kind, OpKind::LogSource { .. }));
    if !has_log_source {
        h.push_str("<p class=\"meta\">No partitioned-log source: no offsets.</p>\n");
        return;
    }
    h.push_str("<p class=\"meta\">Solid: the offset (next to read) committed to the broker on checkpoint completion. Dashed: the end of the log (records appended so far). The gap is what a restore from the committed offsets would re-read. Red crosses: commits the broker rejected.</p>\n");
    let (ends, commits) = offset_series(*partitions, records, run);
    let max = ends.iter().chain(commits.iter()).flat_map(|v| v.iter().map(|x| x.1)).max().unwrap_or(0).max(1);
    let chart_h = 150.0;
    let top = 12.0;
    let base = top + chart_h;
    let height = base + 22.0 + 14.0 * ((*partitions as f64) / 6.0).ceil();
    let step = nice_step(max, 4);
    let ymax = max.div_ceil(step) * step;
    let y = |v: u64| base - v as f64 * chart_h / ymax as f64;
    let _ = writeln!(
        h,
        "<svg xmlns=\"http://www.w3.org/2000/svg\" id=\"offsets-chart\" width=\"{}\" height=\"{}\" viewBox=\"0 0 {} {}\">",
        px(SVG_W),
        px(height),
        px(SVG_W),
        px(height)
    );
    axis(h, scale, base + 14.0, top, base);
    let _ = write!(
        h,
        "<text class=\"lbl\" x=\"{}\" y=\"{}\" font-weight=\"bold\">committed offset</text>",
        px(LABEL_W - 50.0),
        px(top + chart_h / 2.0)
    );
    let mut v = 0;
    while v <= ymax {
        let _ = write!(
            h,
            "<line class=\"grid\" x1=\"{}\" y1=\"{}\" x2=\"{}\" y2=\"{}\"/><text class=\"axis\" x=\"{}\" y=\"{}\" text-anchor=\"end\">{v}</text>",
            px(LABEL_W),
            px(y(v)),
            px(LABEL_W + PLOT_W),
            px(y(v)),
            px(LABEL_W - 4.0),
            px(y(v) + 3.0)
        );
        v += step;
    }
    h.push('\n');
    for p in 0..*partitions as usize {
        let pc = format!("p{}", p % 8);
        let _ = writeln!(
            h,
            "<path class=\"logend-line {pc}\" data-partition=\"{p}\" d=\"{}\"><title>partition {p}: log end</title></path>",
            step_path(&ends[p], scale, &y)
        );
        let last = commits[p].last().map(|c| c.1).unwrap_or(0);
        let _ = writeln!(
            h,
            "<path class=\"offset-line {pc}\" data-partition=\"{p}\" data-commits=\"{}\" d=\"{}\"><title>partition {p}: committed offset (last {last})</title></path>",
            commits[p].len() - 1,
            step_path(&commits[p], scale, &y)
        );
        let lx = LABEL_W + 150.0 * (p % 6) as f64;
        let ly = base + 30.0 + 14.0 * (p / 6) as f64;
        let _ = writeln!(
            h,
            "<line class=\"offset-line {pc}\" x1=\"{}\" y1=\"{}\" x2=\"{}\" y2=\"{}\"/><text x=\"{}\" y=\"{}\">partition {p}</text>",
            px(lx),
            px(ly - 4.0),
            px(lx + 18.0),
            px(ly - 4.0),
            px(lx + 22.0),
            px(ly)
        );
    }
    rejected_commits(h, run, scale, &y);
    h.push_str("</svg>\n");
}

/// Per partition, (time, value) steps.
type Steps = Vec<Vec<(u64, u64)>>;

/// Per partition, the log end and the committed offset over time.
fn offset_series(partitions: u32, records: &crate::spec::LogRecords, run: &RunResult) -> (Steps, Steps) {
    // The log end per partition over time.
    let mut ends: Vec<Vec<(u64, u64)>> = vec![vec![(0, 0)]; partitions as usize];
    for seq in 0..records.len() as u64 {
        let (Some(at), Some(p)) = (records.at_ms(seq), records.partition(seq)) else { continue };
        if let Some(v) = ends.get_mut(p as usize) {
            let n = v.last().map(|x| x.1).unwrap_or(0) + 1;
            v.push((at, n));
        }
    }
    let mut commits: Vec<Vec<(u64, u64)>> = vec![vec![(0, 0)]; partitions as usize];
    for c in run.offset_commits.iter().filter(|c| c.accepted) {
        if let Some(v) = commits.get_mut(c.partition.0 as usize) {
            v.push((c.time_ms, c.offset.0));
        }
    }
    (ends, commits)
}

/// The commits the broker rejected (broker down) as red crosses.
fn rejected_commits(h: &mut String, run: &RunResult, scale: &Scale, y: &dyn Fn(u64) -> f64) {
    // At most a few hundred.
    for c in run.offset_commits.iter().filter(|c| !c.accepted).take(400) {
        let x = scale.x(c.time_ms);
        let yy = y(c.offset.0);
        let _ = writeln!(
            h,
            "<path class=\"rejected\" stroke=\"#c0392b\" d=\"M{} {}L{} {}M{} {}L{} {}\"><title>{}: commit {} {} rejected (broker down)</title></path>",
            px(x - 3.0),
            px(yy - 3.0),
            px(x + 3.0),
            px(yy + 3.0),
            px(x - 3.0),
            px(yy + 3.0),
            px(x + 3.0),
            px(yy - 3.0),
            secs(c.time_ms),
            c.partition,
            c.offset
        );
    }
}

/// A step line through (time, value) points, with points that fall on the same pixel column merged.
pub(super) fn step_path(points: &[(u64, u64)], scale: &Scale, y: &dyn Fn(u64) -> f64) -> String {
    let mut d = String::new();
    let mut last_x = f64::NAN;
    let mut last_y = f64::NAN;
    for (i, (t, v)) in points.iter().enumerate() {
        let x = (scale.x(*t) * 2.0).round() / 2.0;
        let yy = (y(*v) * 2.0).round() / 2.0;
        if i == 0 {
            let _ = write!(d, "M{} {}", px(x), px(yy));
        } else {
            if x != last_x {
                let _ = write!(d, "H{}", px(x));
            }
            if yy != last_y {
                let _ = write!(d, "V{}", px(yy));
            }
        }
        last_x = x;
        last_y = yy;
    }
    let _ = write!(d, "H{}", px(LABEL_W + PLOT_W));
    d
}
