//! Copy-on-write parts of an explored state (the JobMaster, each task) with a cached fingerprint: cloning a state shares them, a step copies only the part it changes, and a part's fingerprint is computed once per version.
//!
//! A breadth-first level holds tens of thousands of states that differ in one task or in the
//! JobMaster only; copying every machine for every child and formatting all of them for the
//! fingerprint was most of the explorer's time (BENCHMARKS.md "Exploration"). The only way to
//! change a part is [`Part::make_mut`], which clears the cached fingerprint, so a stale one
//! can never be read: the fingerprint stays a function of the part's derived `Hash` (every
//! field, as its `Debug` text was before session 10), exactly as when the whole state was hashed.

use super::Fingerprint;
use std::cell::Cell;
use std::fmt;
use std::hash::{Hash, Hasher as _};
use std::ops::Deref;
use std::rc::Rc;

/// A shared, copy-on-write `T` with its fingerprint computed on demand.
pub(super) struct Part<T> {
    inner: Rc<(T, Cell<Option<u64>>)>,
}

impl<T: Clone + Hash> Part<T> {
    pub(super) fn new(value: T) -> Self {
        Part { inner: Rc::new((value, Cell::new(None))) }
    }

    /// The part for changing: copied first when another state shares it; its fingerprint is
    /// forgotten.
    pub(super) fn make_mut(&mut self) -> &mut T {
        let inner = Rc::make_mut(&mut self.inner);
        inner.1.set(None);
        &mut inner.0
    }

    /// A copy of the part shared with no state, its fingerprint not computed yet.
    pub(super) fn fresh(&self) -> Self {
        Part::new(self.inner.0.clone())
    }

    /// The fingerprint of the part's derived `Hash` (cached until the next `make_mut`).
    pub(super) fn fp(&self) -> u64 {
        if let Some(fp) = self.inner.1.get() {
            return fp;
        }
        let mut h = Fingerprint::new();
        self.inner.0.hash(&mut h);
        let fp = h.finish();
        self.inner.1.set(Some(fp));
        fp
    }
}

impl<T: Clone + Hash + Default> Default for Part<T> {
    fn default() -> Self {
        Part::new(T::default())
    }
}

impl<T> Clone for Part<T> {
    fn clone(&self) -> Self {
        Part { inner: Rc::clone(&self.inner) }
    }
}

impl<T> Deref for Part<T> {
    type Target = T;
    fn deref(&self) -> &T {
        &self.inner.0
    }
}

impl<T: fmt::Debug> fmt::Debug for Part<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.inner.0.fmt(f)
    }
}
