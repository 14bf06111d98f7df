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
//!
//! Session 37: with allowed lateness, "surely on time" (`maxTimestamp + allowedLateness` past the
//! bound) does not mean "before the first firing": such an element may arrive after the
//! watermark passed the window's end, and only the window's late firing holds it. A job that
//! failed (or still runs) may never print that firing (swarm seeds 7480, 7521, 7542 of the
//! session-36 merge, and 9308 of `faults/window-sliding-lateness-print`, a one-sink job: the
//! rows were the window's own sink's, not another sink's as session 36 thought). The rule now
//! asks, of a job that did not fire every window ([`first_firing`]), only for the elements
//! that surely reach the window before the watermark passes its end; of one that finished (or
//! was drained), every surely-on-time element. Every sink's job is judged again: a graph job's
//! window is judged on the rows of the sink it feeds (`graph::first_window_verdict`), so the
//! one-sink gate of session 36 is gone.

use super::Element;

/// The elements of a window as its first firing must hold them: every surely-on-time one when
/// every window fired (`finished_all`: the job finished or a stop drained it; the late firing
/// with allowed lateness happened too), else only those surely before the window's end.
pub(super) fn first_firing(elems: &[Element], finished_all: bool) -> Vec<Element> {
    elems.iter().map(|e| Element { on_time: e.on_time && (finished_all || e.before_end), ..e.clone() }).collect()
}

/// `Some(what)` when a print sink's `values` for a window with a surely-on-time element hold no
/// value within `(low, high)` (the aggregate of every surely-on-time element and any subset of
/// the others); `None` when one does, or when the rule does not apply (no firing printed yet,
/// no surely-on-time element, at-least-once checkpoints that may count a replay twice). `what`
/// is short (session 38): the values printed, the first firing expected (its bounds, the
/// inputs it must hold) and, for a count, how many of them at least are missing.
pub(super) fn no_full_firing(
    values: &[i128],
    (low, high): (i128, i128),
    elems: &[Element],
    (at_least_once, count): (bool, bool),
) -> Option<String> {
    if at_least_once || values.is_empty() || !elems.iter().any(|e| e.on_time) {
        return None;
    }
    if values.iter().any(|v| (low..=high).contains(v)) {
        return None;
    }
    let sure: Vec<u64> = elems.iter().filter(|e| e.on_time).map(|e| e.input_seq).collect();
    let mut listed: Vec<String> = sure.iter().take(5).map(|s| format!("#{s}")).collect();
    if sure.len() > 5 {
        listed.push(format!("… and {} more", sure.len() - 5));
    }
    // A count's best firing below `low` lacks at least `low - best` of the sure elements.
    let missing = match values.iter().max() {
        Some(best) if count && *best < low => format!(", at least {} of them missing", low - best),
        _ => String::new(),
    };
    Some(format!(
        "printed {values:?}, expected a first firing within [{low}, {high}] holding the surely-on-time input(s) {}{missing}",
        listed.join(", ")
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn elem(input_seq: u64, on_time: bool) -> Element {
        Element { input_seq, number: 1, on_time, before_end: on_time }
    }

    /// A count window of three surely-on-time elements and one that may be late: a firing
    /// with all three (3 or 4) is required among the printed values; a re-firing with fewer
    /// beside it is accepted; at-least-once and a window without a sure element are not judged.
    #[test]
    fn a_print_sink_needs_one_full_firing() {
        let elems = [elem(0, true), elem(1, true), elem(2, true), elem(3, false)];
        let b = (3, 4);
        assert!(no_full_firing(&[1], b, &elems, (false, true)).is_some(), "only a partial firing printed");
        assert!(no_full_firing(&[2, 1], b, &elems, (false, true)).is_some(), "two partial firings");
        // Session 38: the message names the first firing expected and its inputs, short.
        let what = no_full_firing(&[2, 1], b, &elems, (false, true)).unwrap_or_default();
        assert_eq!(
            what,
            "printed [2, 1], expected a first firing within [3, 4] holding the surely-on-time input(s) #0, #1, #2, \
             at least 1 of them missing"
        );
        assert!(no_full_firing(&[3], b, &elems, (false, true)).is_none(), "the full firing");
        assert!(no_full_firing(&[4, 1], b, &elems, (false, true)).is_none(), "a full firing and a re-firing");
        assert!(no_full_firing(&[1], b, &elems, (true, true)).is_none(), "at-least-once is not judged");
        assert!(no_full_firing(&[], b, &elems, (false, true)).is_none(), "nothing printed: the lost rule's");
        let maybe_only = [elem(0, false), elem(1, false)];
        assert!(no_full_firing(&[1], (0, 2), &maybe_only, (false, true)).is_none(), "no surely-on-time element");
    }

    /// Session 37: an element surely on time only thanks to the allowed lateness (it may arrive
    /// after the window's end) is required of the first firing only once every window fired.
    #[test]
    fn an_element_within_the_allowed_lateness_is_required_only_of_a_finished_job() {
        let mut late_but_sure = elem(2, true);
        late_but_sure.before_end = false;
        let elems = [elem(0, true), elem(1, true), late_but_sure];
        let running = first_firing(&elems, false);
        assert_eq!(running.iter().filter(|e| e.on_time).count(), 2, "{running:?}");
        assert!(no_full_firing(&[2], (2, 2), &running, (false, true)).is_none(), "the first firing, before it arrived");
        assert!(no_full_firing(&[1], (2, 2), &running, (false, true)).is_some(), "a first firing short of the two");
        let finished = first_firing(&elems, true);
        assert_eq!(finished.iter().filter(|e| e.on_time).count(), 3, "{finished:?}");
        assert!(no_full_firing(&[2], (3, 3), &finished, (false, true)).is_some(), "finished: the late firing is due");
    }
}
