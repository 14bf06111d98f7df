//! What this process uses, read from `/proc`: CPU time of the calling thread (the bench and the sweep's per-seed accounting) and resident memory (the bench and the `CKPTSIM_DEBUG_RSS=1` prints of `check_all` and `outcome`).

/// CPU seconds this thread has run (`/proc/thread-self/schedstat`), 0 when unknown.
pub fn thread_cpu_s() -> f64 {
    std::fs::read_to_string("/proc/thread-self/schedstat")
        .ok()
        .and_then(|s| s.split_whitespace().next().and_then(|n| n.parse::<u64>().ok()))
        .map_or(0.0, |ns| ns as f64 / 1e9)
}

/// Resident memory of this process, KiB (`VmRSS`), 0 when unknown.
pub fn rss_kib() -> u64 {
    status_kib("VmRSS:")
}

/// The peak resident memory of this process since it started or since the last
/// [`reset_peak_rss`], KiB (`VmHWM`), 0 when unknown.
pub fn peak_rss_kib() -> u64 {
    status_kib("VmHWM:")
}

/// Resets the peak resident memory ([`peak_rss_kib`]) to the current resident set (Linux: `5`
/// written to `/proc/self/clear_refs`), so that a phase's peak can be read on its own (session
/// 40: the throughput job's peak without the floor's, which runs after it). False when the
/// kernel refuses it.
pub fn reset_peak_rss() -> bool {
    std::fs::write("/proc/self/clear_refs", "5").is_ok()
}

/// A `kB` field of `/proc/self/status`, 0 when unknown.
fn status_kib(field: &str) -> u64 {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| {
            s.lines()
                .find_map(|l| l.strip_prefix(field))
                .and_then(|v| v.trim().trim_end_matches("kB").trim().parse::<u64>().ok())
        })
        .unwrap_or(0)
}
