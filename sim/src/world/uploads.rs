//! Asynchronous snapshot uploads: one long-lived uploader per TaskManager process, waking at the earliest due upload (not one madsim task per snapshot, each of which madsim keeps in the node's task list for the node's life).

use super::*;

/// A task attempt's asynchronous snapshot part on its way to checkpoint storage.
#[derive(Debug)]
pub(super) struct Upload {
    pub(super) key: (TaskId, Attempt),
    pub(super) id: CheckpointId,
    pub(super) snapshot: TaskSnapshot,
}

/// Queues an upload that finishes at `due_ms` on TaskManager `tm`'s uploader.
pub(super) fn queue_upload(w: &mut World, tm: u32, due_ms: u64, up: Upload) {
    let seq = w.tasks.upload_seq;
    w.tasks.upload_seq += 1;
    w.tasks.uploads.entry(tm).or_default().insert((due_ms, seq), up);
    w.wake_at(Sleeper::Uploader(tm), due_ms, WakeCause::Upload);
}

/// The uploader of TaskManager `tm`'s current process (spawned on the TaskManager's node, so a
/// crash kills it with the uploads in progress; the next incarnation starts with none).
pub(super) fn spawn_uploader(s: &Shared, tm: u32) {
    s.with(|w| {
        w.tasks.uploads.remove(&tm);
        w.wake.forget(Sleeper::Uploader(tm));
    });
    let s = s.clone();
    madsim::task::spawn_local(s.clone().pinned(async move {
        // Never notified: the uploader wakes at its deadline or when `queue_upload` moves it.
        loop {
            let next = s.with(|w| loop {
                let now = w.now();
                let Some(q) = w.tasks.uploads.get_mut(&tm) else { break None };
                let Some((&(due, seq), _)) = q.first_key_value() else { break None };
                if due > now {
                    break Some(due);
                }
                let up = q.remove(&(due, seq)).expect("the first upload");
                finish_upload(w, tm, up);
            });
            wait(&s, Sleeper::Uploader(tm), next, WakeCause::Upload).await;
        }
    }));
}

/// The upload is done: the acknowledgement (or, with storage down, the decline) goes to the
/// JobManager, unless the attempt is gone.
fn finish_upload(w: &mut World, tm: u32, up: Upload) {
    let Upload { key, id, snapshot } = up;
    let (task, attempt) = key;
    let now = w.now();
    let gone = w.tasks.cancelled.contains_key(&key) || !w.wake.live_tasks.contains(&key);
    // Storage down, or cut off from this TaskManager by a partition: the upload fails.
    let storage_up = w.faults.storage_up && w.reaches(tm_addr(tm), STORAGE);
    let result = if gone {
        SnapshotResult::Abandoned
    } else if storage_up {
        SnapshotResult::Acked
    } else {
        SnapshotResult::Declined
    };
    if let Some(span) = snapshot_span(w, key, id) {
        span.upload_end_ms = Some(now);
        span.result = result;
    }
    if gone {
        return;
    }
    if storage_up {
        w.send(tm_addr(tm), JM, Msg::Ack { task, attempt, id, snapshot });
    } else {
        w.tr(&tm_node(tm), "snapshot", format!("{task} id={id} upload failed: storage down"));
        w.send(
            tm_addr(tm),
            JM,
            Msg::Decline { task, attempt, id, reason: CheckpointFailureReason::CheckpointAsyncException },
        );
    }
}
