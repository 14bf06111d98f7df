//! The report's sections below the charts: the checkers' verdicts, the restores, the checkpoint table and the output table (truncated with counts).

use super::*;

pub(super) fn checkers_section(h: &mut String, o: &Outcome, listed: &[(usize, &Anomaly)]) {
    h.push_str("<table id=\"verdicts\"><tr><th>checker</th><th>verdict</th><th>what it found</th></tr>\n");
    for v in &o.verdicts {
        let (class, word) = match v.passed {
            None => ("na", "n/a"),
            Some(true) => ("pass", "PASS"),
            Some(false) => ("fail", "FAIL"),
        };
        let _ =
            write!(h, "<tr id=\"verdict-{}\"><td>{}</td><td class=\"{class}\">{word}</td><td>", v.checker, v.checker);
        if v.passed == Some(false) {
            let _ = write!(h, "{} anomalies<ul>", v.anomalies.len());
            let mine: Vec<&(usize, &Anomaly)> = listed.iter().filter(|(_, a)| a.checker == v.checker).collect();
            for (n, a) in &mine {
                match a.time_ms {
                    Some(t) => {
                        let _ = write!(
                            h,
                            "<li class=\"anom\" id=\"anomaly-item-{n}\"><a href=\"#anomaly-{n}\">{}</a> {}</li>",
                            secs(t),
                            esc(&a.text)
                        );
                    }
                    None => {
                        let _ = write!(h, "<li class=\"anom\" id=\"anomaly-item-{n}\">{}</li>", esc(&a.text));
                    }
                }
            }
            if v.anomalies.len() > mine.len() {
                let _ = write!(h, "<li>… {} more</li>", v.anomalies.len() - mine.len());
            }
            h.push_str("</ul>");
        } else {
            h.push_str(&esc(&v.summary));
        }
        h.push_str("</td></tr>\n");
    }
    h.push_str("</table>\n");
    if !o.expectations.is_empty() {
        h.push_str(
            "<h3>Expectations</h3>\n<table id=\"expectations\"><tr><th>expectation</th><th></th><th>detail</th></tr>\n",
        );
        for e in &o.expectations {
            let _ = writeln!(
                h,
                "<tr><td>{}</td><td class=\"{}\">{}</td><td>{}</td></tr>",
                esc(&e.name),
                if e.held { "pass" } else { "fail" },
                if e.held { "held" } else { "FAILED" },
                esc(&shorten(&e.detail, 600))
            );
        }
        h.push_str("</table>\n");
    }
}

/// Which rows of a long table to show: the chosen indices in order (a gap row goes between runs).
pub(super) fn chosen_rows(n: usize, max: usize, wanted: impl Fn(usize) -> bool) -> Vec<usize> {
    if n <= max {
        return (0..n).collect();
    }
    let edge = max / 4;
    let mut set: BTreeSet<usize> = (0..edge).chain(n - edge..n).collect();
    for i in 0..n {
        if set.len() >= max {
            break;
        }
        if wanted(i) {
            set.insert(i);
        }
    }
    // Fill what is left of the budget with the rows after the first block.
    let mut i = edge;
    while set.len() < max && i < n {
        set.insert(i);
        i += 1;
    }
    set.into_iter().collect()
}

pub(super) fn gap_row(h: &mut String, cols: usize, skipped: usize, what: &str) {
    let _ = writeln!(h, "<tr class=\"gap\"><td colspan=\"{cols}\">… {skipped} {what} not shown …</td></tr>");
}

pub(super) fn checkpoint_table(h: &mut String, run: &RunResult, opts: &ReportOptions) {
    let rows = &run.checkpoints;
    let shown =
        chosen_rows(rows.len(), opts.max_checkpoint_rows, |i| rows[i].outcome != "COMPLETED" || rows[i].savepoint);
    if shown.len() < rows.len() {
        let _ = writeln!(
            h,
            "<p class=\"meta\">{} checkpoints; showing {} (first, last, failed ones that fit).</p>",
            rows.len(),
            shown.len()
        );
    }
    h.push_str("<table><tr><th>id</th><th>kind</th><th>trigger</th><th>duration</th><th>alignment</th><th>size (B)</th><th>outcome</th></tr>\n");
    let mut prev: Option<usize> = None;
    for &i in &shown {
        if let Some(p) = prev {
            if i > p + 1 {
                gap_row(h, 7, i - p - 1, "checkpoints");
            }
        } else if i > 0 {
            gap_row(h, 7, i, "checkpoints");
        }
        prev = Some(i);
        let r = &rows[i];
        let kind = if r.savepoint {
            "savepoint"
        } else if r.unaligned {
            "unaligned"
        } else {
            "aligned"
        };
        let _ = writeln!(
            h,
            "<tr id=\"cp-row-{}\"><td class=\"num\">{}</td><td>{kind}</td><td class=\"num\">{}</td><td class=\"num\">{}</td><td class=\"num\">{} ms</td><td class=\"num\">{}</td><td><span class=\"sw {}\" style=\"background:{}\"></span>{}</td></tr>",
            r.id,
            r.id,
            secs(r.trigger_ms),
            r.end_ms.map(|e| format!("{} ms", e - r.trigger_ms)).unwrap_or_else(|| "pending".into()),
            r.alignment_ms,
            r.size_bytes,
            outcome_class(&r.outcome),
            match outcome_class(&r.outcome) {
                "o-completed" => "#27ae60",
                "o-expired" => "#e67e22",
                "o-pending" => "#95a5a6",
                _ => "#c0392b",
            },
            esc(&r.outcome)
        );
    }
    if let Some(p) = prev {
        if p + 1 < rows.len() {
            gap_row(h, 7, rows.len() - p - 1, "checkpoints");
        }
    }
    h.push_str("</table>\n");
}

pub(super) fn output_table(h: &mut String, spec: &JobSpec, run: &RunResult, opts: &ReportOptions) {
    let two_pc = spec.operators.iter().any(|o| o.kind == OpKind::TwoPhaseCommitSink);
    let rows: &[OutputRow] = &(if two_pc { &run.committed } else { &run.print_rows }).to_vec();
    let inputs: Vec<String> = match &spec.input {
        InputSpec::Lines(l) => l.iter().map(|(_, s)| s.clone()).collect(),
        InputSpec::Log { records, .. } => records.iter().map(|(_, p, v)| format!("{v} (p{p})")).collect(),
    };
    let mut counts: BTreeMap<(u64, u32), usize> = BTreeMap::new();
    for r in rows {
        *counts.entry((r.lineage.input_seq, r.lineage.sub)).or_default() += 1;
    }
    let is_dup = |r: &OutputRow| counts.get(&(r.lineage.input_seq, r.lineage.sub)).copied().unwrap_or(0) > 1;
    let dups = rows.iter().filter(|r| is_dup(r)).count();
    let _ = writeln!(
        h,
        "<p class=\"meta\">{} {} rows; {} rows belong to an input that produced the same output more than once (highlighted).</p>",
        rows.len(),
        if two_pc { "committed (two-phase-commit sink)" } else { "printed" },
        dups
    );
    let shown = chosen_rows(rows.len(), opts.max_output_rows, |i| is_dup(&rows[i]));
    if shown.len() < rows.len() {
        let _ = writeln!(
            h,
            "<p class=\"meta\">Showing {} of {} rows (first, last and duplicates that fit).</p>",
            shown.len(),
            rows.len()
        );
    }
    h.push_str("<table id=\"output-table\"><tr><th>#</th><th>at</th><th>task</th><th>attempt</th><th>output</th><th>from input</th><th>note</th></tr>\n");
    let mut prev: Option<usize> = None;
    for &i in &shown {
        if let Some(p) = prev {
            if i > p + 1 {
                gap_row(h, 7, i - p - 1, "rows");
            }
        } else if i > 0 {
            gap_row(h, 7, i, "rows");
        }
        prev = Some(i);
        let r = &rows[i];
        let n = counts.get(&(r.lineage.input_seq, r.lineage.sub)).copied().unwrap_or(0);
        let input = inputs.get(r.lineage.input_seq as usize).cloned().unwrap_or_default();
        let _ = writeln!(
            h,
            "<tr class=\"{}\"><td class=\"num\">{}</td><td class=\"num\">{}</td><td>{}</td><td>{}</td><td>{}</td><td>#{} {}</td><td>{}</td></tr>",
            if n > 1 { "dup" } else { "row" },
            i + 1,
            secs(r.time_ms),
            if two_pc { "-".to_string() } else { r.task.to_string() },
            if two_pc { "-".to_string() } else { r.attempt.0.to_string() },
            esc(&r.value.to_string()),
            r.lineage.input_seq,
            esc(&input),
            if n > 1 { format!("duplicate: output {n} times") } else { String::new() }
        );
    }
    if let Some(p) = prev {
        if p + 1 < rows.len() {
            gap_row(h, 7, rows.len() - p - 1, "rows");
        }
    }
    h.push_str("</table>\n");
}

/// One row per restore of the job's tasks (a restart, a JobManager failover, a job started from
/// a retained checkpoint): when, why, the checkpoint restored and what it held — source offsets
/// per partition and keyed state per operator (at most 24 keys shown per operator).
pub(super) fn restores_table(h: &mut String, run: &RunResult) {
    if run.restores.is_empty() {
        h.push_str("<p class=\"meta\" id=\"no-restores\">No restore: the tasks ran from their first deployment.</p>\n");
        return;
    }
    h.push_str(
        "<table id=\"restore-table\"><tr><th>time</th><th>cause</th><th>checkpoint</th><th>source offsets</th><th>keyed state</th></tr>\n",
    );
    for (i, r) in run.restores.iter().enumerate() {
        let checkpoint = r.checkpoint.map_or("none: empty state".to_string(), |c| c.to_string());
        let offsets: Vec<String> = r.offsets.iter().map(|(p, o)| format!("p{}={}", p.0, o.0)).collect();
        let mut keyed = String::new();
        for (op, m) in &r.keyed {
            let shown: Vec<String> = m.iter().take(24).map(|(k, v)| format!("{k}={v}")).collect();
            let more = if m.len() > 24 { format!(" … {} more", m.len() - 24) } else { String::new() };
            let _ = write!(keyed, "<div><b>{}</b> {}{more}</div>", esc(op), esc(&shown.join(", ")));
        }
        let _ = writeln!(
            h,
            "<tr class=\"restore\" id=\"restore-{i}\" data-checkpoint=\"{}\"><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{keyed}</td></tr>",
            r.checkpoint.map_or(String::new(), |c| c.to_string()),
            secs(r.at_ms),
            esc(&r.cause.to_string()),
            esc(&checkpoint),
            esc(&offsets.join(" "))
        );
    }
    h.push_str("</table>\n");
}
