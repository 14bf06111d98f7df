//! What this process uses, read from `/proc`: CPU time of the calling thread (the bench and the sweep's per-seed accounting) and resident memory (the bench and the `CKPTSIM_DEBUG_RSS=1` prints of `check_all` and `outcome`); the `CKPTSIM_DEBUG_*` switches, read once per process.

/// The `CKPTSIM_DEBUG_*` switches of the environment (each on when the variable is set),
/// read once per process ([`debug_env`]): a run used to look five of them up (a lock and a
/// scan of the environment each, ~2,200 instructions of a short run's ~160,000). They only
/// print to stderr; no result depends on them.
#[derive(Debug, Clone, Copy, Default)]
pub struct DebugEnv {
    /// `CKPTSIM_DEBUG_RSS`: the resident set after the world and after each checker.
    pub rss: bool,
    /// `CKPTSIM_DEBUG_BUDGET`: the events a run used of its budget.
    pub budget: bool,
    /// `CKPTSIM_DEBUG_COUNTS`: how often a run used each per-event mechanism.
    pub counts: bool,
    /// `CKPTSIM_DEBUG_CHANNELS`: every data channel's queue at a run's end.
    pub channels: bool,
}

/// The process's [`DebugEnv`], read from the environment at the first call.
pub fn debug_env() -> DebugEnv {
    static ENV: std::sync::OnceLock<DebugEnv> = std::sync::OnceLock::new();
    *ENV.get_or_init(|| {
        let on = |name: &str| std::env::var_os(name).is_some();
        DebugEnv {
            rss: on("CKPTSIM_DEBUG_RSS"),
            budget: on("CKPTSIM_DEBUG_BUDGET"),
            counts: on("CKPTSIM_DEBUG_COUNTS"),
            channels: on("CKPTSIM_DEBUG_CHANNELS"),
        }
    })
}

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
///
/// The heap's free pages are returned to the operating system first
/// ([`release_free_memory`]): otherwise what an earlier phase freed stays resident and counts
/// toward the next phase's peak.
pub fn reset_peak_rss() -> bool {
    release_free_memory();
    std::fs::write("/proc/self/clear_refs", "5").is_ok()
}

/// Returns the memory the heap holds free to the operating system (mimalloc's `mi_collect`,
/// forced). mimalloc keeps freed pages resident for reuse, so a phase that freed much (the floor
/// of the bench's throughput job, which keeps every committed record) left its memory inside
/// the next job's measured peak: session 43 measured the 10^6-record unaligned job at a 219 MiB
/// peak in the bench, 105 MiB (`ckptsim run`, full trace) in a process of its own. Changes no
/// run. Under the `system-alloc` feature, and in test binaries (they keep the system
/// allocator), mimalloc's heap holds nothing and this does nothing.
pub fn release_free_memory() {
    // SAFETY: `mi_collect` takes a flag by value and works on mimalloc's own heap state only;
    // it frees no block a caller holds (only pages with no live block are returned).
    unsafe { mi_collect(true) }
}

// The static mimalloc library that `libmimalloc-sys` builds and links has `mi_collect`; the
// crate declares it only under its `extended` feature, which needs one more dependency.
extern crate libmimalloc_sys as _;
extern "C" {
    fn mi_collect(force: bool);
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
