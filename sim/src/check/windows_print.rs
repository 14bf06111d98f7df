//! Print-sink windows (session 36): some printed firing of a window holds every surely-on-time element.
//!
//! A print sink shows every firing of every attempt, replays included, so the `windows` checker
//! judged its rows only for values that no subset of the window's elements gives. That let a
//! window that lost surely-on-time elements pass: a planted sliding assigner that gives an
//! element one window too few (`sliding-windows-floor-count`) printed counts of 1 where the
//! window held 4, and nothing was named.
//!
//! What holds on a print sink all the same (without at-least-once replays): the *first* firing
//! of a window in any history holds every surely-on-time element of it. The attempt that fires
//! it restored a checkpoint taken before the window fired anywhere in that history (else the
//! window's state would be gone and its firing not the first), and replays every element after
//! that checkpoint's offsets; a surely-on-time element reaches the window before the watermark
//! passes it (`windows.rs`, module doc). Later firings of the window may hold fewer (a restore
//! after the firing replays elements that were late before and are on time now, and fires the
//! window with them alone), so the rule asks for *one* printed value that a firing with every
//! surely-on-time element (and any of the others) gives: the bounds the exact judgment uses.

use super::Element;

/// `Some(what)` when a print sink's `values` for a window with a surely-on-time element hold no
/// value within `(low, high)` (the aggregate of every surely-on-time element and any subset of
/// the others); `None` when one does, or when the rule does not apply (no firing printed yet,
/// no surely-on-time element, at-least-once checkpoints that may count a replay twice).
pub(super) fn no_full_firing(
    values: &[i128],
    (low, high): (i128, i128),
    elems: &[Element],
    at_least_once: bool,
) -> Option<String> {
    if at_least_once || values.is_empty() || !elems.iter().any(|e| e.on_time) {
        return None;
    }
    if values.iter().any(|v| (low..=high).contains(v)) {
        return None;
    }
    Some(format!("printed {values:?}, none of them a firing with every surely-on-time element"))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn elem(input_seq: u64, on_time: bool) -> Element {
        Element { input_seq, number: 1, on_time }
    }

    /// A count window of three surely-on-time elements and one that may be late: a firing
    /// with all three (3 or 4) is required among the printed values; a re-firing with fewer
    /// beside it is accepted; at-least-once and a window without a sure element are not judged.
    #[test]
    fn a_print_sink_needs_one_full_firing() {
        let elems = [elem(0, true), elem(1, true), elem(2, true), elem(3, false)];
        let b = (3, 4);
        assert!(no_full_firing(&[1], b, &elems, false).is_some(), "only a partial firing printed");
        assert!(no_full_firing(&[2, 1], b, &elems, false).is_some(), "two partial firings");
        assert!(no_full_firing(&[3], b, &elems, false).is_none(), "the full firing");
        assert!(no_full_firing(&[4, 1], b, &elems, false).is_none(), "a full firing and a re-firing");
        assert!(no_full_firing(&[1], b, &elems, true).is_none(), "at-least-once is not judged");
        assert!(no_full_firing(&[], b, &elems, false).is_none(), "nothing printed: the lost rule's");
        let maybe_only = [elem(0, false), elem(1, false)];
        assert!(no_full_firing(&[1], (0, 2), &maybe_only, false).is_none(), "no surely-on-time element");
    }
}
