//! The client node (user actions from the scenario: re-tune, cancel, savepoint, trigger a checkpoint, restore from a retained checkpoint) and the socket source server.

use super::*;

// ------------------------------------------------------------------ client

pub(super) async fn client_main(s: Shared) {
    s.with(|w| w.net.alive.insert(CLIENT, true));
    let (t0, spec) = s.with(|w| (w.t0, w.spec.clone()));
    let mut events: Vec<(u64, u8, usize)> = Vec::new();
    let session = spec.input_options.socket_connected_clock || spec.input_options.socket_buffer_unread;
    if let InputSpec::Lines(lines) = &spec.input {
        if session {
            madsim::task::spawn_local(socket_server(s.clone(), spec.clone()));
        } else {
            for (i, (at, _)) in lines.iter().enumerate() {
                events.push((*at, 0, i));
            }
        }
    }
    for (i, a) in spec.actions.iter().enumerate() {
        if let FaultAt::Time(at_ms) = a.at {
            events.push((at_ms, 1, i));
        }
    }
    events.sort();
    if !session && spec.input_options.bounded && matches!(&spec.input, InputSpec::Lines(l) if l.is_empty()) {
        s.with(close_socket);
    }
    for (at, kind, i) in events {
        sleep_until(t0 + Duration::from_millis(at)).await;
        s.with(|w| {
            if kind == 0 {
                let InputSpec::Lines(lines) = &spec.input else { return };
                let line = lines[i].1.clone();
                match w.data.socket_reader {
                    Some(key) if w.tasks.mail.contains_key(&key) => {
                        w.tr_typed("client", "input", EventData::Input { seq: i as u64, line: line.clone() });
                        w.tasks
                            .mail
                            .get_mut(&key)
                            .expect("reader mailbox")
                            .push_back(TaskMail::Line { line, input_seq: i as u64 });
                        w.notify_task(key, WakeCause::Line);
                    }
                    _ => {
                        w.tr_typed("client", "input-lost", EventData::InputLost { seq: i as u64, line });
                        w.obs.lost_inputs.push(i as u64);
                    }
                }
                if spec.input_options.bounded && i + 1 == lines.len() {
                    close_socket(w);
                }
            } else {
                let a = spec.actions[i].kind.clone();
                w.tr_typed("client", "action", EventData::Action { label: format!("{a:?}") });
                w.send(CLIENT, JM, Msg::Action(a));
            }
        });
    }
    std::future::pending::<()>().await;
}

/// The line server of a socket source with a session choice (`socket_clock = "connected"` or
/// `unread_lines = "buffer"`): it writes only to a connected reader. With the connected clock a
/// line's time is measured on a clock that runs only while a reader is connected; otherwise
/// on the job's clock, and lines due while nobody reads wait for the next reader. Checked every
/// millisecond while lines remain.
pub(super) async fn socket_server(s: Shared, spec: Arc<JobSpec>) {
    let InputSpec::Lines(lines) = &spec.input else { return };
    let connected_clock = spec.input_options.socket_connected_clock;
    let mut script_ms: u64 = 0;
    let mut last_ms = s.with(|w| w.now());
    let mut next = 0;
    while next < lines.len() {
        s.with(|w| {
            let now = w.now();
            let reader = w.data.socket_reader.filter(|k| w.tasks.mail.contains_key(k));
            if reader.is_some() {
                script_ms += now - last_ms;
                w.obs.socket_last_connected_ms = Some(now);
            }
            last_ms = now;
            let Some(key) = reader else { return };
            let clock = if connected_clock { script_ms } else { now };
            while next < lines.len() && lines[next].0 <= clock {
                let line = lines[next].1.clone();
                w.tr_typed("client", "input", EventData::Input { seq: next as u64, line: line.clone() });
                w.tasks
                    .mail
                    .get_mut(&key)
                    .expect("reader mailbox")
                    .push_back(TaskMail::Line { line, input_seq: next as u64 });
                next += 1;
                w.notify_task(key, WakeCause::Line);
            }
        });
        if next < lines.len() {
            sleep(Duration::from_millis(1)).await;
        }
    }
    if spec.input_options.bounded {
        s.with(close_socket);
    }
}

/// The socket server closes the connection after its last line: the reading source ends
/// (Flink's `SocketTextStreamFunction` returns when the stream ends and it may not retry).
pub(super) fn close_socket(w: &mut World) {
    w.data.socket_closed = true;
    w.tr_typed("client", "socket-closed", EventData::SocketClosed);
    if let Some(key) = w.data.socket_reader {
        if let Some(q) = w.tasks.mail.get_mut(&key) {
            q.push_back(TaskMail::EndOfInput);
            w.notify_task(key, WakeCause::Line);
        }
    }
}
