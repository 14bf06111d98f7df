//! Semantic validation, part 4: job graphs — operators' `inputs`, the shape rules of sources, sinks, unions, two-input operators and partitionings, cycles, reachability, and one input table per source (`[inputs.<Name>]`).

use super::*;

impl Ctx<'_> {
    /// Resolves every operator's `inputs` (names → positions) and checks the graph's shape.
    /// An operator without `inputs` reads the previous operator; a source reads nothing.
    /// Per operator also, per input, whether it reads that input's late side output (`W.late`).
    pub(super) fn graph_inputs(
        &self,
        raw: &[Option<Vec<String>>],
        ops: &[OperatorSpec],
    ) -> Res<Vec<(Vec<usize>, Vec<bool>)>> {
        let by_name: BTreeMap<&str, usize> = ops.iter().enumerate().map(|(i, o)| (o.name.as_str(), i)).collect();
        let mut inputs: Vec<Vec<usize>> = Vec::with_capacity(ops.len());
        let mut late: Vec<Vec<bool>> = Vec::with_capacity(ops.len());
        for (i, o) in ops.iter().enumerate() {
            let at = format!("operators[{i}].inputs");
            let (resolved, late_input) = self.resolve_inputs(i, &raw[i], ops, &by_name)?;
            self.input_arity(i, o, &resolved)?;
            // Errors about an operator's implicit input name its `kind`.
            let what = if raw[i].is_some() { at } else { format!("operators[{i}].kind") };
            self.input_shapes(o, &resolved, ops, &what)?;
            inputs.push(resolved);
            late.push(late_input);
        }
        self.acyclic(&inputs, ops)?;
        self.graph_ends(&inputs, ops)?;
        self.join_late_branches(raw, &inputs, &late, ops)?;
        self.join_and_window_late(&inputs, ops)?;
        self.late_branches(&inputs, &late, ops)?;
        self.after_sliding_join(&inputs, ops)?;
        Ok(inputs.into_iter().zip(late).collect())
    }

    /// A sliding window join's rows are named by (pair, window) (`windowed_pair_lineage`);
    /// the window and join checkers behind a join read a row's pair (`windows_graph`'s bounds
    /// of a window join's row), so a window or another join behind a sliding window join is
    /// refused, at the first such operator's `inputs`.
    fn after_sliding_join(&self, inputs: &[Vec<usize>], ops: &[OperatorSpec]) -> Res<()> {
        let n = ops.len();
        let sliding = |k: &OperatorKindSpec| {
            matches!(k, OperatorKindSpec::EventJoin(ckptsim::join::JoinSpec::SlidingWindow { .. }))
        };
        // Per operator, the sliding window join at or before it (topological by repeated passes).
        let mut behind: Vec<Option<usize>> = vec![None; n];
        for _ in 0..n {
            for i in 0..n {
                behind[i] = if sliding(&ops[i].kind) { Some(i) } else { inputs[i].iter().find_map(|j| behind[*j]) };
            }
        }
        for (i, o) in ops.iter().enumerate() {
            let Some(j) = inputs[i].iter().find_map(|j| behind[*j]) else { continue };
            if matches!(o.kind, OperatorKindSpec::EventWindow(_) | OperatorKindSpec::EventJoin(_)) {
                return Err(self.err(
                    &format!("operators[{i}].inputs"),
                    format!(
                        "`{}` ({}) is behind the sliding window join `{}`: a window or join after a sliding window join is not modelled (its rows are named by pair and window; the checkers of a later window or join read a row's pair alone)",
                        o.name,
                        o.kind.name(),
                        ops[j].name
                    ),
                ));
            }
        }
        Ok(())
    }

    /// An input `O.tag` that names no operator but a side output of operator `O` (Flink's
    /// `getSideOutput(OutputTag)`): the only side output is an event-time window's `late` one
    /// (`sideOutputLateData`), and only with `late_records = "side-output"`. Each malformed form
    /// gets its own error. Returns the window's position for a well-formed `W.late`, None when
    /// `name` is no side output at all (the caller reports the unknown operator).
    fn side_output_input(
        &self,
        at: &str,
        name: &str,
        ops: &[OperatorSpec],
        by_name: &BTreeMap<&str, usize>,
    ) -> Res<Option<usize>> {
        let Some((op, tag)) = name.rsplit_once('.').filter(|(op, _)| by_name.contains_key(op)) else { return Ok(None) };
        let o = &ops[by_name[op]];
        if matches!(o.kind, OperatorKindSpec::EventJoin(ckptsim::join::JoinSpec::Interval { .. })) {
            return self.join_side_output(at, name, (op, tag), o).map(|()| Some(by_name[op]));
        }
        let window = match &o.kind {
            OperatorKindSpec::EventWindow(w) if w.time != ckptsim::window::WindowTime::Processing => Some(w),
            _ => None,
        };
        let message = match window {
            None => format!(
                "`{name}`: `{op}` ({}) has no side output; only an event_window with late_records = \"side-output\" \
                 has one, its late records (`<window>.late`)",
                o.kind.name()
            ),
            Some(_) if tag != "late" => {
                format!("`{name}`: unknown side output `{tag}` of `{op}`; its side output is `late` (`{op}.late`)")
            }
            Some(w) if !w.late_side_output => format!(
                "`{name}`: `{op}` drops its late records (late_records = \"drop\", the default); set late_records = \
                 \"side-output\" on `{op}` to give it the side output `{op}.late`"
            ),
            Some(_) => return Ok(Some(by_name[op])),
        };
        Err(self.err(at, message))
    }

    /// What may stand after an interval join's side output (`J.late_left` / `J.late_right`,
    /// session 34): `map`, `filter`, `flat_map`, `rebalance`, `key_by` and one print or
    /// two-phase-commit sink per branch (the `exactly-once` / `at-least-once` late rules
    /// follow the run's record of the join's late elements through those functions), or
    /// (session 43) a union after at least one function, judged by the mixed rules of
    /// [`Self::late_branches`]. Refused at the operator's `inputs`: anything stateful, a connect
    /// or join on such a branch, and a union reading the side output straight. A job
    /// may also hold an event-time window with its own late side output (session 42) beside the
    /// join, neither upstream of the other ([`Self::join_and_window_late`]).
    fn join_late_branches(
        &self,
        raw: &[Option<Vec<String>>],
        inputs: &[Vec<usize>],
        late: &[Vec<bool>],
        ops: &[OperatorSpec],
    ) -> Res<()> {
        let n = ops.len();
        let is_join = |j: usize| matches!(ops[j].kind, OperatorKindSpec::EventJoin(_));
        // Per operator on a join's side branch: the join and the side output's name.
        let mut side: Vec<Option<String>> = vec![None; n];
        // Session 43: a union reading a join's late side branch (through a function) is judged
        // as a union with a late gate (`late_branches`, the mixed rules), so the branch ends there.
        let union_of_branch = |i: usize| {
            matches!(ops[i].kind, OperatorKindSpec::Union)
                && !(0..inputs[i].len()).any(|k| late[i][k] && is_join(inputs[i][k]))
        };
        for _ in 0..n {
            for i in 0..n {
                if union_of_branch(i) {
                    side[i] = None;
                    continue;
                }
                side[i] = (0..inputs[i].len()).find_map(|k| {
                    let j = inputs[i][k];
                    match late[i][k] && is_join(j) {
                        true => raw[i].as_ref().and_then(|names| names.get(k).cloned()),
                        false => side[j].clone(),
                    }
                });
            }
        }
        for (i, o) in ops.iter().enumerate() {
            let Some(from) = &side[i] else { continue };
            let why = if matches!(o.kind, OperatorKindSpec::Union) {
                Some("a union reads an interval join's late side output only through a function (session 43: `J.late_left` -> map -> union; the union marks one late gate, and a join's side is told by the operator that reads it)")
            } else if inputs[i].len() > 1 {
                Some("a connect or join fed by an interval join's late side output is not modelled; it may flow through map, filter, flat_map, rebalance and key_by into its own print or two-phase-commit sink, or through them into a union (session 43)")
            } else if stateless_or_sink(&o.kind) {
                None
            } else {
                Some("after an interval join's late side output only map, filter, flat_map, rebalance, key_by and one print or two-phase-commit sink are modelled (the late rules follow the join's late elements through stateless functions)")
            };
            if let Some(why) = why {
                return Err(self.err(
                    &format!("operators[{i}].inputs"),
                    format!("`{}` ({}) is on the side branch of `{from}`: {why}", o.name, o.kind.name()),
                ));
            }
        }
        Ok(())
    }

    /// An interval join with a late side output and an event-time window with one in the same
    /// job (session 42): accepted beside each other, neither upstream of the other (each
    /// operator's late elements are the run's own record of that operator,
    /// `world/late_record.rs`, and every late rule reads its own operator's; they never share a
    /// chain, both being keyed). Refused at the window's `late_records` when one stands behind
    /// the other: a window behind the join meets a late element only at a joined row's
    /// timestamp equal to the join's watermark, which no rule poses, and a join behind the
    /// window reads the window's results or late elements, whose late judgement at the join no
    /// rule follows.
    fn join_and_window_late(&self, inputs: &[Vec<usize>], ops: &[OperatorSpec]) -> Res<()> {
        let n = ops.len();
        // Per operator, every operator upstream of it (topological by repeated passes).
        let mut up: Vec<BTreeSet<usize>> = vec![BTreeSet::new(); n];
        for _ in 0..n {
            for i in 0..n {
                let mut all: BTreeSet<usize> = inputs[i].iter().copied().collect();
                for j in &inputs[i] {
                    all.extend(up[*j].iter().copied());
                }
                up[i] = all;
            }
        }
        let joins = (0..n).filter(|j| {
            matches!(ops[*j].kind, OperatorKindSpec::EventJoin(ckptsim::join::JoinSpec::Interval { .. }))
                && ops[*j].late_outputs.contains(&true)
        });
        for j in joins {
            let windows =
                (0..n).filter(|w| matches!(&ops[*w].kind, OperatorKindSpec::EventWindow(x) if x.late_side_output));
            for w in windows {
                let (behind, ahead) = (up[w].contains(&j), up[j].contains(&w));
                if !behind && !ahead {
                    continue;
                }
                let (where_, why) = if behind {
                    ("behind", "a window behind the join meets a late element only at a joined row whose timestamp is the join's watermark, and no rule judges it")
                } else {
                    ("ahead of", "the join reads the window's results or late elements, and no rule follows their lateness at the join")
                };
                return Err(self.err(
                    &format!("operators[{w}].late_records"),
                    format!(
                        "`{}` (event_window) has a late side output and stands {where_} the interval join `{}`, which has one too: an interval join's and a window's late side outputs in one job are modelled beside each other only (neither upstream of the other; {why})",
                        ops[w].name, ops[j].name
                    ),
                ));
            }
        }
        Ok(())
    }

    /// An interval join's side output `J.late_left` / `J.late_right` (session 34; Flink 1.15's
    /// `sideOutputLeftLateData` / `sideOutputRightLateData`), set on the join with `late_left` /
    /// `late_right = "side-output"` (the flink-1.11 profile, which has neither, is refused at
    /// those keys, `validate.rs`).
    fn join_side_output(&self, at: &str, name: &str, (op, tag): (&str, &str), o: &OperatorSpec) -> Res<()> {
        let Some(side) = JOIN_LATE_TAGS.iter().position(|t| *t == tag) else {
            return Err(self.err(
                at,
                format!("`{name}`: unknown side output `{tag}` of the interval_join `{op}`; its side outputs are `{op}.late_left` and `{op}.late_right`"),
            ));
        };
        if !o.late_outputs[side] {
            return Err(self.err(
                at,
                format!("`{name}`: `{op}` drops that side's late elements ({tag} = \"drop\", the default); set {tag} = \"side-output\" on `{op}` to give it the side output `{name}`"),
            ));
        }
        Ok(())
    }

    /// What may stand after a late side output (`W.late`): stateless functions (`map`,
    /// `filter`, `flat_map`), `rebalance`, `key_by` and one keyed running aggregate (`sum`,
    /// `count`, ...; session 23) followed by `map`s only, and one sink (print or
    /// two-phase-commit) per branch; or a union or `connect` that reads it beside another input
    /// (session 27: it tags each record with its gate, so a row of its sink is known to be a
    /// late element or a row of the other input), followed by `map`, `filter`, `rebalance`,
    /// `key_by` and the sink. Refused, each at its `inputs`, with why it cannot be judged
    /// (semantics §11.8): another window, a count window, a user operator or a second aggregate
    /// on a side branch, a `filter` or `flat_map` after its aggregate, a join fed by it, a
    /// connect of two side branches or a union of them with a third input (session 42: a union
    /// of exactly two side branches is accepted), a union of a keyed side branch, a union or
    /// connect of a side branch with an event-time join's rows (session 43; a union of one side
    /// branch with any number of other inputs is accepted), and anything stateful, several-input
    /// or lineage-renumbering after such a union.
    fn late_branches(&self, inputs: &[Vec<usize>], late: &[Vec<bool>], ops: &[OperatorSpec]) -> Res<()> {
        let n = ops.len();
        // On a one-input side branch; at or after a union/connect with a side input.
        let (mut on_side, mut mixed) = (vec![false; n], vec![false; n]);
        // Per operator on a side branch, whether a keyed aggregate stands at or before it.
        let mut keyed = vec![false; n];
        // Per operator on a side branch: whether an event-time window stands at or before it
        // (session 28), and whether only map, key_by and rebalance stand before it (from `W.late`).
        let (mut windowed, mut plain) = (vec![false; n], vec![false; n]);
        // At or after an event-time join that reads a side branch (session 29); after it, whether
        // a keyed aggregate stands at or before the operator (session 35).
        let (mut joined, mut joined_keyed) = (vec![false; n], vec![false; n]);
        let side_input = |on_side: &[bool], i: usize, k: usize| late[i][k] || on_side[inputs[i][k]];
        // At or after an event-time join (session 43: its rows' pair lineages fill `sub`).
        let mut behind_join = vec![false; n];
        // Topological by repeated passes (validated acyclic; graphs are small).
        for _ in 0..n {
            for i in 0..n {
                behind_join[i] = is_event_join(&ops[i].kind) || inputs[i].iter().any(|j| behind_join[*j]);
                let multi = inputs[i].len() > 1;
                let head = multi && (0..inputs[i].len()).any(|k| side_input(&on_side, i, k));
                on_side[i] = !multi && (late[i].first() == Some(&true) || inputs[i].iter().any(|j| on_side[*j]));
                mixed[i] = head || inputs[i].iter().any(|j| mixed[*j]);
                joined[i] = (head && matches!(ops[i].kind, OperatorKindSpec::EventJoin(_)))
                    || inputs[i].iter().any(|j| joined[*j]);
                joined_keyed[i] =
                    joined[i] && (is_aggregate(&ops[i].kind) || inputs[i].iter().any(|j| joined_keyed[*j]));
                keyed[i] = on_side[i] && inputs[i].iter().any(|j| keyed[*j] || is_aggregate(&ops[*j].kind));
                windowed[i] = on_side[i]
                    && (is_event_window(&ops[i].kind) || inputs[i].iter().any(|j| on_side[*j] && windowed[*j]));
                plain[i] = on_side[i]
                    && (late[i].first() == Some(&true)
                        || inputs[i].iter().any(|j| on_side[*j] && plain[*j] && is_plain(&ops[*j].kind)));
            }
        }
        // A key_by that feeds an event-time join (session 36: the key_by after a side branch's
        // keyed aggregate, into a late-fed join).
        let into_join = |i: usize| {
            matches!(ops[i].kind, OperatorKindSpec::KeyBy)
                && (0..n).any(|c| inputs[c].contains(&i) && matches!(ops[c].kind, OperatorKindSpec::EventJoin(_)))
        };
        for (i, o) in ops.iter().enumerate() {
            let refused = if on_side[i] {
                let before = inputs[i].first().is_some_and(|j| on_side[*j] && windowed[*j]);
                self.side_refusal(o, keyed[i], before, plain[i], into_join(i))
            } else if mixed[i] {
                let sides: Vec<usize> =
                    (0..inputs[i].len()).filter(|k| side_input(&on_side, i, *k)).map(|k| inputs[i][k]).collect();
                // Session 42: any side (a union may read two side branches).
                let windowed_side = sides.iter().any(|j| windowed[*j]) && !is_event_join(&o.kind);
                let keyed_side = sides.iter().any(|j| keyed[*j] || is_aggregate(&ops[*j].kind));
                let joined_other = (0..inputs[i].len())
                    .any(|k| !side_input(&on_side, i, k) && behind_join[inputs[i][k]] && !is_event_join(&o.kind));
                match sides.first() {
                    // Session 39: a window on the side branch into an event-time join is judged.
                    Some(_) if windowed_side => Some(WINDOWED_INTO_MIXED),
                    Some(_) if joined_other => Some(JOINED_INTO_MIXED),
                    Some(_) if matches!(o.kind, OperatorKindSpec::EventJoin(ckptsim::join::JoinSpec::SlidingWindow { .. })) => {
                        Some("a sliding window join fed by a late side output is not modelled (the replay of the late-fed join's buffers keeps one copy of an element, a sliding window one per window)")
                    }
                    Some(_) if is_event_join(&o.kind) => late_join_refusal(inputs[i].len())
                        .or_else(|| inputs[i].iter().any(|u| mixed[*u]).then_some(AFTER_MIXED)),
                    Some(_) => mixed_head_refusal(o, inputs[i].len(), &sides, keyed_side)
                        .or_else(|| inputs[i].iter().any(|u| mixed[*u]).then_some(AFTER_MIXED)),
                    None if joined[i] => after_late_join_refusal(o, inputs[i].iter().any(|j| joined_keyed[*j])),
                    None => mixed_refusal(o),
                }
            } else {
                None
            };
            if let Some(why) = refused {
                let side = late_label(i, inputs, late, ops, (&on_side, &mixed));
                let verb = if on_side[i] { "reads the late side output" } else { "is behind the late side output" };
                return Err(self.err(
                    &format!("operators[{i}].inputs"),
                    format!("`{}` ({}) {verb} `{side}`: {why}", o.name, o.kind.name()),
                ));
            }
        }
        Ok(())
    }

    /// Why operator `o` on a one-input side branch is refused, if it is. `keyed`: a keyed
    /// aggregate before it or at it; `windowed`: an event-time window before it (session 28);
    /// `plain`: only map, key_by and rebalance between `W.late` and it; `into_join`: `o` is the
    /// key_by into an event-time join (session 36: allowed after the branch's keyed aggregate).
    fn side_refusal(
        &self,
        o: &OperatorSpec,
        keyed: bool,
        windowed: bool,
        plain: bool,
        into_join: bool,
    ) -> Option<&'static str> {
        let sink_or_map = matches!(
            o.kind,
            OperatorKindSpec::Map { .. } | OperatorKindSpec::PrintSink | OperatorKindSpec::TwoPhaseCommitSink
        );
        if into_join {
            // Session 36: after the branch's keyed aggregate; session 39: after a window on the
            // branch (its results followed into the join as the branch's values,
            // `check/joins_late.rs`, `window_branch`).
            None
        } else if windowed && !sink_or_map {
            Some("after a window on a side branch only map and the sink are modelled (the windows checker judges the window's results from the run's record of which elements it took)")
        } else if keyed && is_aggregate(&o.kind) {
            Some("a second keyed aggregate after a side output is not modelled (one keyed aggregate per side branch)")
        } else if keyed && !sink_or_map {
            Some("after a keyed aggregate on a side branch only map and the sink are modelled (a filter or flat_map there hides state updates from the sink, so the committed values no longer replay the aggregate)")
        } else if is_event_window(&o.kind) && !plain {
            Some("a window on a side branch is modelled only behind map, key_by and rebalance from the side output (the windows checker reads the run's record of which elements the window took, per element, and sums them per window)")
        } else if is_event_window(&o.kind) || is_aggregate(&o.kind) || stateless_or_sink(&o.kind) {
            None
        } else {
            Some("this kind after a side output is not modelled; a side output may flow through map, filter, flat_map, rebalance, key_by and one keyed aggregate (then map) into its own print or two-phase-commit sink, or into a union or connect")
        }
    }

    /// Operator `i`'s `inputs` as positions (`names`: as written; `None`: the previous operator,
    /// none for a source).
    fn resolve_inputs(
        &self,
        i: usize,
        names: &Option<Vec<String>>,
        ops: &[OperatorSpec],
        by_name: &BTreeMap<&str, usize>,
    ) -> Res<(Vec<usize>, Vec<bool>)> {
        let (o, at, kind) = (&ops[i], format!("operators[{i}].inputs"), ops[i].kind.name());
        let mut late_input = Vec::new();
        let resolved = match names {
            Some(names) => {
                if o.kind.is_source() {
                    return Err(
                        self.err(&at, format!("`{}` is a source: it reads its topic and takes no inputs", o.name))
                    );
                }
                let mut v = Vec::with_capacity(names.len());
                for name in names {
                    let side = match by_name.contains_key(name.as_str()) {
                        true => None,
                        false => self.side_output_input(&at, name, ops, by_name)?,
                    };
                    if side.is_some()
                        && names.len() != 1
                        && !matches!(o.kind, OperatorKindSpec::Union | OperatorKindSpec::Connect { .. })
                    {
                        return Err(self.err(
                            &at,
                            format!(
                                "`{name}`: a late side output straight into a {kind} is not modelled; a union or \
                                 connect may read it beside another input, and an interval_join or window_join \
                                 through key_by (`{name}` -> key_by -> the join, session 29)",
                            ),
                        ));
                    }
                    if side.is_some() && late_input.contains(&true) {
                        return Err(self.err(
                            &at,
                            format!("`{name}`: `{}` ({kind}) reads two late side outputs straight; one per union or connect is read straight (a job marks one late gate per operator): pass the other through a function first (e.g. a `map` with `identity`), a union of two late side branches is modelled (session 42)", o.name),
                        ));
                    }
                    let Some(&j) = side.as_ref().or_else(|| by_name.get(name.as_str())) else {
                        let known: Vec<&str> = ops.iter().map(|o| o.name.as_str()).collect();
                        return Err(
                            self.err(&at, format!("unknown operator `{name}` in inputs; operators: {}", list(&known)))
                        );
                    };
                    // `W` and `W.late` are two edges of one producer (session 27).
                    if v.iter().zip(&late_input).any(|(u, l)| *u == j && *l == side.is_some()) {
                        return Err(self.err(
                            &at,
                            format!("`{name}` is named twice in inputs: each input is one edge, named by its own operator; write `s.union(s)` as two partitionings of `{name}` (e.g. two `rebalance`s) into the two inputs"),
                        ));
                    }
                    v.push(j);
                    late_input.push(side.is_some());
                }
                v
            }
            None if o.kind.is_source() => Vec::new(),
            None if i == 0 => {
                return Err(self.err(
                &format!("operators[{i}].kind"),
                format!("`{}` ({kind}) has no inputs: the first operator of a job graph is a source or names its `inputs`", o.name),
            ));
            }
            None => vec![i - 1],
        };
        late_input.resize(resolved.len(), false);
        Ok((resolved, late_input))
    }

    /// How many inputs operator `i` (`o`) reads: a union at least 2, connect and joins exactly
    /// 2, any other non-source exactly 1.
    fn input_arity(&self, i: usize, o: &OperatorSpec, resolved: &[usize]) -> Res<()> {
        let (at, kind) = (format!("operators[{i}].inputs"), o.kind.name());
        let arity_error = match &o.kind {
            OperatorKindSpec::Union if resolved.len() < 2 => Some("at least 2 inputs"),
            OperatorKindSpec::Connect { .. }
            | OperatorKindSpec::Join
            | OperatorKindSpec::EventJoin(_)
            | OperatorKindSpec::BroadcastProcess { .. }
                if resolved.len() != 2 =>
            {
                Some("exactly 2 inputs")
            }
            k if !k.is_source()
                && !matches!(k, OperatorKindSpec::Union)
                && !k.is_multi_input_kind()
                && resolved.len() != 1 =>
            {
                Some("exactly 1 input (several inputs need a union, connect or join)")
            }
            _ => None,
        };
        if let Some(want) = arity_error {
            return Err(self.err(&at, format!("`{}` ({kind}) takes {want}, got {}", o.name, resolved.len())));
        }
        Ok(())
    }

    /// What operator `o` may read from: no sink, not two partitionings in a row, a key_by only
    /// into a keyed operator, and a keyed operator only from key_bys (`what`: the key errors name).
    fn input_shapes(&self, o: &OperatorSpec, resolved: &[usize], ops: &[OperatorSpec], what: &str) -> Res<()> {
        let kind = o.kind.name();
        for &j in resolved {
            let up = &ops[j];
            if up.kind.is_sink() {
                return Err(self.err(
                    what,
                    format!("`{}` is a sink: it feeds nothing, so `{}` cannot read from it", up.name, o.name),
                ));
            }
            if !up.kind.is_task() && !o.kind.is_task() {
                return Err(self.err(
                    what,
                    format!(
                        "`{}` ({}) reads from `{}` ({}): two partitionings in a row",
                        o.name, kind, up.name, up.kind
                    ),
                ));
            }
            let broadcast_process = matches!(o.kind, OperatorKindSpec::BroadcastProcess { .. });
            if matches!(up.kind, OperatorKindSpec::KeyBy)
                && !(o.kind.is_keyed() || o.kind.is_join() || broadcast_process)
            {
                return Err(self.err(
                    what,
                    format!("key_by `{}` feeds `{}` ({kind}): key_by feeds a keyed operator (sum, count, max, min, count_window, join)", up.name, o.name),
                ));
            }
        }
        if matches!(o.kind, OperatorKindSpec::BroadcastProcess { .. }) {
            return self.broadcast_process_inputs(o, resolved, ops, what);
        }
        let keyed_input = |j: &usize| matches!(ops[*j].kind, OperatorKindSpec::KeyBy);
        if (o.kind.is_keyed() || o.kind.is_join()) && !resolved.iter().all(keyed_input) {
            return Err(self.err(what, format!("`{}` ({kind}) is keyed: each of its inputs must be a key_by", o.name)));
        }
        Ok(())
    }

    /// A `broadcast_process`'s two inputs (session 38): the first the keyed side (a `key_by`;
    /// session 39: or a non-keyed stream, Flink's `BroadcastProcessFunction`, unless the
    /// function keeps keyed state), the second a `broadcast` (the rules); arity is checked before.
    fn broadcast_process_inputs(
        &self,
        o: &OperatorSpec,
        resolved: &[usize],
        ops: &[OperatorSpec],
        what: &str,
    ) -> Res<()> {
        let [first, rules] = resolved else { return Ok(()) };
        let (first, rules) = (&ops[*first], &ops[*rules]);
        let OperatorKindSpec::BroadcastProcess { function, report, timer_delay_ms } = &o.kind else { return Ok(()) };
        if matches!(first.kind, OperatorKindSpec::Broadcast) {
            return Err(self.err(
                what,
                format!(
                    "`{}` (broadcast_process) reads its first input from `{}` (broadcast): the first input must be a key_by or a non-broadcast stream (a broadcast goes second)",
                    o.name, first.name
                ),
            ));
        }
        if function.keeps_keyed_state() && !matches!(first.kind, OperatorKindSpec::KeyBy) {
            return Err(self.err(
                what,
                format!(
                    "`{}` (broadcast_process, function `{}`) keeps keyed state but reads its first input from `{}` ({}): keyed state needs a key_by first input (Flink's KeyedBroadcastProcessFunction)",
                    o.name,
                    function.name(*report),
                    first.name,
                    first.kind
                ),
            ));
        }
        // Session 40: timers are keyed (a `BroadcastProcessFunction`'s context has no timer service).
        if timer_delay_ms.is_some() && !matches!(first.kind, OperatorKindSpec::KeyBy) {
            return Err(self.err(
                what,
                format!(
                    "`{}` (broadcast_process) registers timers (`timer_delay_ms`) but reads its first input from `{}` ({}): timers need a key_by first input (Flink's KeyedBroadcastProcessFunction)",
                    o.name, first.name, first.kind
                ),
            ));
        }
        if !matches!(rules.kind, OperatorKindSpec::Broadcast) {
            return Err(self.err(
                what,
                format!(
                    "`{}` (broadcast_process) reads its broadcast side (second input) from `{}` ({}): the second input must be a broadcast",
                    o.name, rules.name, rules.kind
                ),
            ));
        }
        Ok(())
    }

    /// The job graph has no cycle (depth-first, colours: 0 new, 1 on the path, 2 done).
    fn acyclic(&self, inputs: &[Vec<usize>], ops: &[OperatorSpec]) -> Res<()> {
        let n = ops.len();
        let mut colour = vec![0u8; n];
        for start in 0..n {
            let mut stack: Vec<(usize, usize)> = vec![(start, 0)];
            if colour[start] != 0 {
                continue;
            }
            colour[start] = 1;
            while let Some((v, next)) = stack.pop() {
                if let Some(&u) = inputs[v].get(next) {
                    stack.push((v, next + 1));
                    match colour[u] {
                        0 => {
                            colour[u] = 1;
                            stack.push((u, 0));
                        }
                        1 => {
                            let mut path: Vec<&str> = stack.iter().map(|(x, _)| ops[*x].name.as_str()).collect();
                            let from = path.iter().position(|x| *x == ops[u].name).unwrap_or(0);
                            path.drain(..from);
                            path.push(&ops[u].name);
                            return Err(self.err(
                                &format!("operators[{v}].inputs"),
                                format!("cycle in the job graph: {} (a job graph is acyclic)", path.join(" <- ")),
                            ));
                        }
                        _ => {}
                    }
                } else {
                    colour[v] = 2;
                }
            }
        }
        Ok(())
    }

    /// Every operator is reachable from a source and reaches a sink; several sources are all
    /// log sources; at most one two-phase-commit sink; at least one sink.
    fn graph_ends(&self, inputs: &[Vec<usize>], ops: &[OperatorSpec]) -> Res<()> {
        let n = ops.len();
        let mut from_source: Vec<bool> = ops.iter().map(|o| o.kind.is_source()).collect();
        let mut changed = true;
        while changed {
            changed = false;
            for i in 0..n {
                if !from_source[i] && !inputs[i].is_empty() && inputs[i].iter().all(|j| from_source[*j]) {
                    from_source[i] = true;
                    changed = true;
                }
            }
        }
        if let Some(i) = (0..n).find(|i| !from_source[*i]) {
            return Err(self
                .err(&format!("operators[{i}].inputs"), format!("`{}` is unreachable from any source", ops[i].name)));
        }
        let sources: Vec<usize> = (0..n).filter(|i| ops[*i].kind.is_source()).collect();
        if sources.len() > 1 {
            if let Some(&i) = sources.iter().find(|i| !matches!(ops[**i].kind, OperatorKindSpec::LogSource { .. })) {
                return Err(self.err(
                    &format!("operators[{i}].kind"),
                    "a job with several sources reads log-sources only (each its own topic)",
                ));
            }
        }
        for (i, o) in ops.iter().enumerate() {
            if !o.kind.is_sink() && !inputs.iter().any(|ins| ins.contains(&i)) {
                return Err(self.err(
                    &format!("operators[{i}].kind"),
                    format!("`{}` feeds no operator: every path of a job graph ends in a sink", o.name),
                ));
            }
        }
        let two_pc: Vec<usize> =
            (0..n).filter(|i| matches!(ops[*i].kind, OperatorKindSpec::TwoPhaseCommitSink)).collect();
        if let Some(&i) = two_pc.get(1) {
            return Err(self.err(
                &format!("operators[{i}].kind"),
                "a job has at most one two-phase-commit-sink (the sink store holds one sink's transactions)",
            ));
        }
        if !ops.iter().any(|o| o.kind.is_sink()) {
            return Err(self.err(&format!("operators[{}].kind", n - 1), "the job graph has no sink"));
        }
        Ok(())
    }

    /// `[inputs.<Name>]`: with several log sources, one input table per source (and no
    /// `[input]`); with one source, `[input]` and no `[inputs]`.
    pub(super) fn source_inputs(
        &self,
        raw: Option<BTreeMap<String, RawInput>>,
        has_input: bool,
        operators: &[OperatorSpec],
    ) -> Res<Vec<(String, InputSpec)>> {
        let sources: Vec<&OperatorSpec> = operators.iter().filter(|o| o.kind.is_source()).collect();
        if sources.len() <= 1 {
            if raw.is_some() {
                return Err(
                    self.err("inputs", "[inputs.<Name>] is for a job with several sources; this one reads [input]")
                );
            }
            return Ok(Vec::new());
        }
        if has_input {
            return Err(self.err(
                "input",
                "a job with several sources gives each its own [inputs.<Name>] table instead of [input]",
            ));
        }
        let mut raw = raw.unwrap_or_default();
        let mut out = Vec::with_capacity(sources.len());
        for s in &sources {
            if let Some(f) = &s.user_io {
                // A user source brings its own records; the registry's loader reads them.
                if raw.contains_key(&s.name) {
                    return Err(self.err(
                        &format!("inputs.{}", s.name),
                        format!("the user-source `{f}` brings its own records: remove [inputs.{}]", s.name),
                    ));
                }
                continue;
            }
            let Some(r) = raw.remove(&s.name) else {
                return Err(self.missing(&format!("inputs.{}", s.name), "this source's input (records or a generator)"));
            };
            let at = format!("inputs.{}", s.name);
            if r.gates.is_some() || r.socket_clock.is_some() || r.unread_lines.is_some() {
                return Err(self.err(&at, "gates and socket keys apply to a job with one source"));
            }
            out.push((s.name.clone(), self.input_at(&at, r, true)?));
        }
        if let Some(name) = raw.keys().next() {
            return Err(self.err(&format!("inputs.{name}"), format!("`{name}` is not a source of this job")));
        }
        Ok(out)
    }
}

impl OperatorKindSpec {
    /// `union`, `connect` and `join`: several input gates.
    pub fn is_multi_input_kind(&self) -> bool {
        matches!(
            self,
            OperatorKindSpec::Union | OperatorKindSpec::Connect { .. } | OperatorKindSpec::BroadcastProcess { .. }
        ) || self.is_join()
    }

    /// `join`, `interval_join`, `window_join`: keyed two-input operators.
    pub fn is_join(&self) -> bool {
        matches!(self, OperatorKindSpec::Join | OperatorKindSpec::EventJoin(_))
    }
}

impl Ctx<'_> {
    /// Limits of `[inputs.<Source>]` (job graphs): each as `[input]`'s, and the generated
    /// records of all sources together at most `MAX_GENERATED_RECORDS`.
    pub(super) fn source_input_limits(&self, sc: &Scenario) -> Res<()> {
        use super::limits::{MAX_GENERATED_RECORDS, MAX_INPUT_ENTRIES, MAX_PARTITIONS};
        let mut generated = 0u64;
        let mut partitions = 0u64;
        for (name, input) in &sc.source_inputs {
            let at = format!("inputs.{name}");
            partitions += u64::from(input.partitions());
            if partitions > u64::from(MAX_PARTITIONS) {
                return Err(self.err(
                    &format!("{at}.partitions"),
                    format!("{partitions} log partitions over all sources; at most {MAX_PARTITIONS}"),
                ));
            }
            match input {
                InputSpec::Records { records, .. } if records.len() > MAX_INPUT_ENTRIES => {
                    return Err(self.err(
                        &format!("{at}.records[{MAX_INPUT_ENTRIES}]"),
                        format!("{} records; at most {MAX_INPUT_ENTRIES}", records.len()),
                    ));
                }
                InputSpec::Generator { generator: g, .. } => {
                    self.generator_limits(&format!("{at}.generator"), g)?;
                    generated = generated.saturating_add(g.count);
                    if generated > MAX_GENERATED_RECORDS {
                        return Err(self.err(
                            &format!("{at}.generator.count"),
                            format!("{generated} generated records over all sources; at most {MAX_GENERATED_RECORDS}"),
                        ));
                    }
                }
                _ => {}
            }
        }
        Ok(())
    }
}

/// Whether `kind` is a keyed running aggregate (`sum`, `count`, `max`, `min`: Flink's keyed
/// `sum`/`reduce` with its value state in checkpoints).
/// The kinds a side branch may pass through without state of its own, and its sinks: `map`,
/// `filter`, `flat_map`, `rebalance`, `key_by`, a print or two-phase-commit sink.
fn stateless_or_sink(kind: &OperatorKindSpec) -> bool {
    matches!(
        kind,
        OperatorKindSpec::Map { .. }
            | OperatorKindSpec::FlatMap { .. }
            | OperatorKindSpec::Filter { .. }
            | OperatorKindSpec::Rebalance
            | OperatorKindSpec::KeyBy
            | OperatorKindSpec::PrintSink
            | OperatorKindSpec::TwoPhaseCommitSink
    )
}

/// Whether `kind` is an event-time join (`interval_join`, `window_join`).
fn is_event_join(kind: &OperatorKindSpec) -> bool {
    matches!(kind, OperatorKindSpec::EventJoin(_))
}

fn is_aggregate(kind: &OperatorKindSpec) -> bool {
    matches!(kind, OperatorKindSpec::Aggregate(_))
}

/// Whether `kind` is an event-time window (a processing-time one is refused on a side branch).
fn is_event_window(kind: &OperatorKindSpec) -> bool {
    matches!(kind, OperatorKindSpec::EventWindow(w) if !matches!(w.time, ckptsim::window::WindowTime::Processing))
}

/// Whether `kind` keeps each element as it is for a window behind it on a side branch (its
/// value and lineage, which the run's record of the window's assignments names).
fn is_plain(kind: &OperatorKindSpec) -> bool {
    matches!(kind, OperatorKindSpec::Map { .. } | OperatorKindSpec::KeyBy | OperatorKindSpec::Rebalance)
}

/// Why a window's side branch into a union or connect is refused.
const WINDOWED_INTO_MIXED: &str =
    "a window on a side branch into a union or connect is not modelled (its results are judged on a sink of their own)";

/// Why a union or connect of a late side output with an input behind an event-time join is
/// refused (session 43): the gate tag shifts a row's `sub`, which a joined row's pair lineage
/// fills (`ckptsim::join::pair_lineage`), so the joined rows could not be named after the split.
const JOINED_INTO_MIXED: &str = "a union or connect of a late side output with the rows of an event-time join is not modelled (the union tags each row's lineage with its gate, which overwrites a joined row's pair lineage); the join's rows may go to a sink of their own, and the late side output may meet any other stream";

/// Why a refused operator after a union or connect with a late side output input.
const AFTER_MIXED: &str = "a union or two-input operator after a union or connect with a late side output is not modelled (the rows of its sink are told apart by the one gate they came through)";

/// Why the union, connect or join `o` of `n` inputs whose inputs `sides` (one of them keyed
/// when `keyed`) carry a late side output's elements is refused, if it is. Session 42: a union
/// of exactly two inputs may read two late side branches (each of its sink's rows is told apart
/// by its gate, `check/graph.rs` `late_union_verdicts`), neither keyed nor windowed. Session 43:
/// a union may read one late side branch beside any number of other inputs (its sink's rows of
/// the other gates are judged against the fold of a view without the late gate, where the
/// union keeps the other inputs), and the branch may be an interval join's (through a function).
fn mixed_head_refusal(o: &OperatorSpec, n: usize, sides: &[usize], keyed: bool) -> Option<&'static str> {
    if !matches!(o.kind, OperatorKindSpec::Union | OperatorKindSpec::Connect { .. }) {
        Some("a keyed join (count per key) fed by a late side output is not modelled (its counts mix late elements and the other input's records, and no rule splits them); an interval_join or window_join, a union or connect may read it")
    } else if sides.len() > 1 && (n != 2 || !matches!(o.kind, OperatorKindSpec::Union)) {
        Some("a connect of two late side branches, or a union of them with a third input, is not modelled (session 42: a union of exactly two late side branches is; each row of its sink is told apart by the gate it came through and judged against that side output's own record)")
    } else if keyed {
        Some("a keyed aggregate on a side branch into a union or connect is not modelled (its committed values replay the aggregate only on a branch of its own)")
    } else {
        None
    }
}

/// Why the event-time join of `n` inputs, some of which carry a late side output's elements,
/// is refused, if it is (session 29): two inputs, a side branch from `W.late` and another input,
/// or (session 36) two side branches (the join's record names each element it judged with its
/// input, and each branch's late elements are followed to it by their own lineage). A branch
/// may hold map, filter, flat_map, key_by and rebalance (session 31; before, map, key_by and
/// rebalance only): the checker passes each late element through the branch's functions and
/// names what the join took or dropped by the lineage they give; and (session 36) one keyed
/// aggregate, then maps and the key_by into the join: the aggregate keeps each element's
/// lineage, and its values are replayed from the join's record (`late-join-branch-state`).
/// Session 39: or an event-time window (behind map, key_by and rebalance from `W.late`), then
/// maps and the key_by into the join: each value the join receives there is judged as a result
/// of that window (`late-join-window-result`).
fn late_join_refusal(n: usize) -> Option<&'static str> {
    (n != 2).then_some("a join of a late side output reads exactly two inputs (the late elements and another input, or two side branches)")
}

/// Why operator `o` after an event-time join fed by a late side output is refused, if it is
/// (`keyed`: a keyed aggregate stands between the join and `o`). Session 35: map, filter,
/// flat_map, key_by, rebalance and one keyed aggregate (then maps) into the sink; the checker
/// passes each joined row the run recorded through them (a filtered row is not required, each
/// output of a flat_map is, by its own lineage; an aggregate keeps the lineage and its committed
/// values replay it, `late-join-state`). Until then only map.
fn after_late_join_refusal(o: &OperatorSpec, keyed: bool) -> Option<&'static str> {
    match o.kind {
        OperatorKindSpec::Map { .. } | OperatorKindSpec::PrintSink | OperatorKindSpec::TwoPhaseCommitSink => None,
        OperatorKindSpec::Aggregate(_) if keyed => Some("a second keyed aggregate after a join fed by a late side output is not modelled (one keyed aggregate, whose committed values replay it in commit order)"),
        OperatorKindSpec::Filter { .. } | OperatorKindSpec::FlatMap { .. } | OperatorKindSpec::KeyBy | OperatorKindSpec::Rebalance if keyed => Some("after a keyed aggregate behind a join fed by a late side output only map and the sink are modelled (a filter or flat_map there hides state updates from the sink, and a repartition reorders a key's rows, so the committed values no longer replay the aggregate)"),
        OperatorKindSpec::Filter { .. }
        | OperatorKindSpec::FlatMap { .. }
        | OperatorKindSpec::KeyBy
        | OperatorKindSpec::Rebalance
        | OperatorKindSpec::Aggregate(_) => None,
        _ => Some("after a join fed by a late side output only map, filter, flat_map, key_by, rebalance and one keyed aggregate (then map) are modelled (the checker follows each joined row the run recorded through them by its lineage; a window, a join or a union would hold or mix them)"),
    }
}

/// Why operator `o` after a union or connect with a late side output input is refused, if it
/// is: only map, filter, rebalance, key_by and the sink keep each row's gate in its lineage
/// and its value one element's (or one window result's).
fn mixed_refusal(o: &OperatorSpec) -> Option<&'static str> {
    match o.kind {
        OperatorKindSpec::Map { .. }
        | OperatorKindSpec::Filter { .. }
        | OperatorKindSpec::Rebalance
        | OperatorKindSpec::KeyBy
        | OperatorKindSpec::PrintSink
        | OperatorKindSpec::TwoPhaseCommitSink => None,
        _ => Some("after a union or connect with a late side output only map, filter, rebalance, key_by and the sink are modelled (keyed state or a window there would hold late elements and the other input's rows together, and a flat_map or broadcast renumbers the lineage that tells them apart)"),
    }
}

/// The side output operator `i` is on or behind (through a union or connect's side gate), as the
/// loader's late-branch errors name it: `W.late`. `flags` are `late_branches`' per-operator
/// `on_side` and `mixed`.
fn late_label(
    i: usize,
    inputs: &[Vec<usize>],
    late: &[Vec<bool>],
    ops: &[OperatorSpec],
    flags: (&[bool], &[bool]),
) -> String {
    let (on_side, mixed) = flags;
    let side_input = |i: usize, k: usize| late[i][k] || on_side[inputs[i][k]];
    let side_of = |i: usize| -> String {
        let mut k = i;
        while !late[k].contains(&true) {
            k = inputs[k].iter().copied().find(|u| on_side[*u]).unwrap_or(k);
        }
        let at = late[k].iter().position(|l| *l).unwrap_or(0);
        format!("{}.late", ops[inputs[k][at]].name)
    };
    let mut k = i;
    loop {
        if on_side[k] {
            return side_of(k);
        }
        if let Some(g) = (0..inputs[k].len()).find(|g| side_input(k, *g)) {
            return if late[k][g] { format!("{}.late", ops[inputs[k][g]].name) } else { side_of(inputs[k][g]) };
        }
        match inputs[k].iter().copied().find(|u| mixed[*u]) {
            Some(u) => k = u,
            None => return "a late side output".to_owned(),
        }
    }
}
