//! CPU time of the calling thread, shared by the bench and the sweep's per-seed accounting.

/// CPU seconds this thread has run (`/proc/thread-self/schedstat`), 0 when unknown.
pub fn thread_cpu_s() -> f64 {
    std::fs::read_to_string("/proc/thread-self/schedstat")
        .ok()
        .and_then(|s| s.split_whitespace().next().and_then(|n| n.parse::<u64>().ok()))
        .map_or(0.0, |ns| ns as f64 / 1e9)
}
