//! Per-phase wall times of a build (lock, fingerprint, plan, graph, db, work), said when
//! `PBUILD_TIMINGS` is set; and the Chrome trace of `--trace FILE`: pbuild's phases and every
//! step with its start, end and job slot, in the Trace Event format Perfetto and
//! chrome://tracing open.

use std::collections::HashMap;
use std::path::Path;
use std::time::Instant;

use crate::error::{Error, Result};
use crate::work::{Reason, Reporter, Step, StepResult};

/// Per-phase wall times, printed when `PBUILD_TIMINGS` is set.
pub struct Phases {
    enabled: bool,
    last: std::time::Instant,
    done: Vec<(&'static str, std::time::Duration)>,
    /// Each phase's start and end, for a trace.
    spans: Vec<(&'static str, Instant, Instant)>,
}

impl Phases {
    pub fn start() -> Phases {
        Phases {
            enabled: std::env::var_os("PBUILD_TIMINGS").is_some_and(|v| !v.is_empty()),
            last: std::time::Instant::now(),
            done: Vec::new(),
            spans: Vec::new(),
        }
    }

    /// Whether `PBUILD_TIMINGS` asked for the times.
    pub fn enabled(&self) -> bool {
        self.enabled
    }

    pub fn mark(&mut self, name: &'static str) {
        let now = std::time::Instant::now();
        self.done.push((name, now - self.last));
        self.spans.push((name, self.last, now));
        self.last = now;
    }

    pub fn report(&self, say: &mut dyn FnMut(&str)) {
        if self.enabled {
            let parts: Vec<String> = self
                .done
                .iter()
                .map(|(n, d)| format!("{n} {:.1} ms", d.as_secs_f64() * 1000.0))
                .collect();
            say(&format!("timings: {}", parts.join(", ")));
        }
    }
}

impl Phases {
    /// The phases so far, into `trace`.
    pub fn into_trace(&self, trace: &mut Trace) {
        for (name, start, end) in &self.spans {
            trace.span(name, "pbuild", 0, *start, *end, serde_json::Value::Null);
        }
    }
}

/// A Chrome trace being recorded.
pub struct Trace {
    origin: Instant,
    events: Vec<serde_json::Value>,
}

impl Trace {
    pub fn new(origin: Instant) -> Trace {
        Trace {
            origin,
            events: Vec::new(),
        }
    }

    fn micros(&self, t: Instant) -> f64 {
        t.saturating_duration_since(self.origin).as_secs_f64() * 1e6
    }

    /// A complete event ("X") on thread `tid` (0: pbuild itself; 1..: job slots).
    pub fn span(
        &mut self,
        name: &str,
        cat: &str,
        tid: usize,
        start: Instant,
        end: Instant,
        args: serde_json::Value,
    ) {
        let ts = self.micros(start);
        let dur = self.micros(end) - ts;
        let mut e = serde_json::json!({
            "name": name, "cat": cat, "ph": "X", "pid": 1, "tid": tid, "ts": ts, "dur": dur,
        });
        if !args.is_null() {
            e["args"] = args;
        }
        self.events.push(e);
    }

    /// Writes the trace (with names for the threads) to `path`, atomically.
    pub fn write(&self, path: &Path, slots: usize) -> Result<()> {
        let mut events = vec![serde_json::json!({
            "name": "thread_name", "ph": "M", "pid": 1, "tid": 0, "args": {"name": "pbuild"}
        })];
        for slot in 1..=slots {
            events.push(serde_json::json!({
                "name": "thread_name", "ph": "M", "pid": 1, "tid": slot,
                "args": {"name": format!("job {slot}")}
            }));
        }
        events.extend(self.events.iter().cloned());
        let text = serde_json::json!({"traceEvents": events, "displayTimeUnit": "ms"}).to_string();
        crate::fsutil::write_atomic(path, text.as_bytes()).map_err(|e| Error::io(path, e))
    }
}

/// A reporter that records every step in a [`Trace`] (on the lowest free job slot) and passes
/// everything on to `inner`.
pub struct Tracing<'a> {
    pub inner: &'a mut dyn Reporter,
    pub trace: &'a mut Trace,
    /// Label → (slot, start) of the steps running.
    running: HashMap<String, (usize, Instant)>,
    busy: Vec<bool>,
}

impl<'a> Tracing<'a> {
    pub fn new(inner: &'a mut dyn Reporter, trace: &'a mut Trace) -> Tracing<'a> {
        Tracing {
            inner,
            trace,
            running: HashMap::new(),
            busy: Vec::new(),
        }
    }

    /// How many job slots were used.
    pub fn slots(&self) -> usize {
        self.busy.len()
    }
}

impl Reporter for Tracing<'_> {
    fn planned(&mut self, to_run: usize, total: usize) {
        self.inner.planned(to_run, total);
    }

    fn started(&mut self, step: &Step, reason: &Reason, started: usize, to_run: usize) {
        let slot = match self.busy.iter().position(|b| !b) {
            Some(i) => i,
            None => {
                self.busy.push(false);
                self.busy.len() - 1
            }
        };
        self.busy[slot] = true;
        self.running
            .insert(step.label.clone(), (slot, Instant::now()));
        self.inner.started(step, reason, started, to_run);
    }

    fn finished(&mut self, step: &Step, result: &StepResult) {
        if let Some((slot, start)) = self.running.remove(&step.label) {
            self.busy[slot] = false;
            self.trace.span(
                &step.label,
                "step",
                slot + 1,
                start,
                Instant::now(),
                serde_json::json!({"ok": result.ok, "cached": result.cached, "shared_from": result.shared_from}),
            );
        }
        self.inner.finished(step, result);
    }
}
