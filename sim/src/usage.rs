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
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| {
            s.lines()
                .find_map(|l| l.strip_prefix("VmRSS:"))
                .and_then(|v| v.trim().trim_end_matches("kB").trim().parse::<u64>().ok())
        })
        .unwrap_or(0)
}
