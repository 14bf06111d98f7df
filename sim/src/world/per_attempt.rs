//! Per task-attempt state indexed by task (`PerAttempt`): a vector by task index of the few attempts with an entry, instead of a B-tree keyed by `(TaskId, Attempt)` that every task-loop round searched.
//!
//! Only for maps the world looks up by exact key and never iterates (where an entry sits then
//! changes nothing): a task loop's mailbox, its RPC timeout and whether it was cancelled are read
//! in every round (`tasks.rs`, steps 1 and 7). BENCHMARKS.md, "Speed (session 27)".

use ckptsim::ids::{Attempt, TaskId};

/// A map from `(TaskId, Attempt)` to `V` without iteration.
pub(super) struct PerAttempt<V> {
    /// Indexed by task: its attempts with an entry, searched from the newest.
    by_task: Vec<Vec<(Attempt, V)>>,
}

impl<V> Default for PerAttempt<V> {
    fn default() -> Self {
        PerAttempt { by_task: Vec::new() }
    }
}

impl<V> PerAttempt<V> {
    fn attempts(&self, task: TaskId) -> &[(Attempt, V)] {
        self.by_task.get(task.0 as usize).map_or(&[], |v| v.as_slice())
    }

    fn position(&self, key: &(TaskId, Attempt)) -> Option<usize> {
        self.attempts(key.0).iter().rposition(|(a, _)| *a == key.1)
    }

    pub(super) fn get(&self, key: &(TaskId, Attempt)) -> Option<&V> {
        self.position(key).map(|i| &self.attempts(key.0)[i].1)
    }

    pub(super) fn get_mut(&mut self, key: &(TaskId, Attempt)) -> Option<&mut V> {
        let i = self.position(key)?;
        Some(&mut self.by_task[key.0 .0 as usize][i].1)
    }

    pub(super) fn contains_key(&self, key: &(TaskId, Attempt)) -> bool {
        self.position(key).is_some()
    }

    /// `key`'s value, `make()` inserted first if it had none (`entry(key).or_insert_with`).
    pub(super) fn entry_or_insert_with(&mut self, key: (TaskId, Attempt), make: impl FnOnce() -> V) -> &mut V {
        let t = key.0 .0 as usize;
        let i = match self.position(&key) {
            Some(i) => i,
            None => {
                if self.by_task.len() <= t {
                    self.by_task.resize_with(t + 1, Vec::new);
                }
                self.by_task[t].push((key.1, make()));
                self.by_task[t].len() - 1
            }
        };
        &mut self.by_task[t][i].1
    }

    /// Sets `key`'s value; the old one, if any.
    pub(super) fn insert(&mut self, key: (TaskId, Attempt), value: V) -> Option<V> {
        match self.get_mut(&key) {
            Some(v) => Some(std::mem::replace(v, value)),
            None => {
                self.entry_or_insert_with(key, || value);
                None
            }
        }
    }

    pub(super) fn remove(&mut self, key: &(TaskId, Attempt)) -> Option<V> {
        let i = self.position(key)?;
        Some(self.by_task[key.0 .0 as usize].swap_remove(i).1)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn behaves_as_a_map_by_exact_key() {
        let mut m: PerAttempt<u64> = PerAttempt::default();
        let (a, b) = ((TaskId(3), Attempt(1)), (TaskId(3), Attempt(7)));
        assert_eq!(m.insert(a, 10), None);
        assert_eq!(m.insert(b, 20), None);
        assert_eq!(m.insert(a, 11), Some(10));
        assert!(m.contains_key(&a) && !m.contains_key(&(TaskId(2), Attempt(1))));
        assert_eq!(m.get(&(TaskId(9), Attempt(1))), None);
        *m.entry_or_insert_with(b, || 0) += 1;
        *m.entry_or_insert_with((TaskId(0), Attempt(7)), || 5) += 1;
        assert_eq!((m.get(&a), m.get(&b), m.get(&(TaskId(0), Attempt(7)))), (Some(&11), Some(&21), Some(&6)));
        assert_eq!(m.remove(&a), Some(11));
        assert_eq!((m.remove(&a), m.get(&b)), (None, Some(&21)));
    }
}
