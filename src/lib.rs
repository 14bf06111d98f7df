//! ckptsim's system under test: a sans-IO model of Flink's checkpointing, restart and exactly-once machinery.
//!
//! Every state machine here follows quinn-proto's shape: inputs are `handle_*(now_ms, ..)`
//! calls, outputs are drained with `poll_output()` in the documented order, and the next timer
//! deadline is `poll_timeout()`. Nothing here reads a clock, does I/O, spawns, or draws random
//! numbers: randomness (initial trigger delay, backoff jitter) is passed in as input. Each
//! machine checks its `invariants()` after every handler.
//!
//! The simulated world (package `ckptsim`, library `ckptsim_sim`, in `sim/`) hosts these machines on madsim; proptest and
//! cargo-fuzz drive them directly.
//!
//! A comment that cites `semantics §x.y` (or just `§x.y`) refers to section x.y of
//! `docs/semantics.md`, which states each Flink rule the model implements and its Flink class.

#![warn(missing_docs)]

pub mod announce;
pub mod barrier;
pub mod broadcast_process;
pub mod checkpoint_gate;
pub mod config;
pub mod coordinator;
pub mod failure_manager;
/// Fuzz bodies (byte strings → legal operation sequences); only with the `fuzzing` feature,
/// which the cargo-fuzz crate and the workspace's tests enable, so no ordinary build of the
/// core carries them.
#[cfg(feature = "fuzzing")]
pub mod fuzzing;
pub mod ids;
pub mod java_hash;
pub mod job;
mod job_io;
pub mod join;
pub mod key_group;
pub mod list_state_ops;
pub mod named_state_ops;
mod names;
pub mod operator;
pub mod profile;
pub mod reason;
pub mod record;
pub mod region;
pub mod rescale;
pub mod restart;
pub mod sink;
pub mod source;
pub mod state;
pub mod status;
pub mod store;
pub mod task;
pub mod two_input;
mod udf;
pub mod user;
pub mod variant;
pub mod watermark;
pub mod window;

pub use ids::{Attempt, ChannelId, CheckpointId, Offset, PartitionId, TaskId, TmId};
pub use profile::Profile;
pub use variant::Variant;
