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
use std::ops::{Deref, DerefMut};
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

/// A shared, copy-on-write `T` with a cached fingerprint: the state's maps of parts, its sink
/// store and its other collections (session 29). Cloning a state clones these by a reference
/// count, and a step copies only a collection it changes: any `&mut` access ([`DerefMut`],
/// `&mut` iteration) copies it first when another state shares it, and forgets its
/// fingerprint, so a stale one can never be read ([`FpHash`] says how each kind is hashed).
pub(super) struct Shared<T>(Rc<(T, Cell<Option<u64>>)>);

/// How a [`Shared`] collection feeds its fingerprint: a map of parts by each part's cached
/// fingerprint, anything else by its derived `Hash`.
pub(super) trait FpHash {
    fn fp_hash(&self, h: &mut Fingerprint);
}

impl<K: Hash, V: Clone + Hash> FpHash for super::vecmap::VecMap<K, Part<V>> {
    fn fp_hash(&self, h: &mut Fingerprint) {
        self.len().hash(h);
        for (k, part) in self {
            k.hash(h);
            h.word(part.fp());
        }
    }
}

impl<K: Hash, V: Hash> FpHash for std::collections::BTreeMap<K, V> {
    fn fp_hash(&self, h: &mut Fingerprint) {
        self.hash(h);
    }
}

impl FpHash for ckptsim::sink::TxnStore {
    fn fp_hash(&self, h: &mut Fingerprint) {
        self.hash(h);
    }
}

impl<T> Shared<T> {
    pub(super) fn new(value: T) -> Self {
        Shared(Rc::new((value, Cell::new(None))))
    }
}

impl<T: Clone> Shared<T> {
    /// A copy shared with no state, its fingerprint not computed yet.
    pub(super) fn fresh(&self) -> Self {
        Shared::new(self.0 .0.clone())
    }
}

impl<T: FpHash> Shared<T> {
    /// The collection's fingerprint (cached until the next `&mut` access).
    pub(super) fn fp(&self) -> u64 {
        if let Some(fp) = self.0 .1.get() {
            return fp;
        }
        let mut h = Fingerprint::new();
        self.0 .0.fp_hash(&mut h);
        let fp = h.finish();
        self.0 .1.set(Some(fp));
        fp
    }
}

impl<T: Default> Default for Shared<T> {
    fn default() -> Self {
        Shared::new(T::default())
    }
}

impl<T> Clone for Shared<T> {
    fn clone(&self) -> Self {
        Shared(Rc::clone(&self.0))
    }
}

impl<T> Deref for Shared<T> {
    type Target = T;
    fn deref(&self) -> &T {
        &self.0 .0
    }
}

impl<T: Clone> DerefMut for Shared<T> {
    fn deref_mut(&mut self) -> &mut T {
        let inner = Rc::make_mut(&mut self.0);
        inner.1.set(None);
        &mut inner.0
    }
}

impl<T: fmt::Debug> fmt::Debug for Shared<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.0 .0.fmt(f)
    }
}

impl<'a, T> IntoIterator for &'a Shared<T>
where
    &'a T: IntoIterator,
{
    type Item = <&'a T as IntoIterator>::Item;
    type IntoIter = <&'a T as IntoIterator>::IntoIter;
    fn into_iter(self) -> Self::IntoIter {
        (&self.0 .0).into_iter()
    }
}

impl<'a, T: Clone> IntoIterator for &'a mut Shared<T>
where
    &'a mut T: IntoIterator,
{
    type Item = <&'a mut T as IntoIterator>::Item;
    type IntoIter = <&'a mut T as IntoIterator>::IntoIter;
    fn into_iter(self) -> Self::IntoIter {
        (&mut **self).into_iter()
    }
}
