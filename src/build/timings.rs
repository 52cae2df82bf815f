//! Per-phase wall times of a build (lock, fingerprint, plan, graph, db, work), said when
//! `PBUILD_TIMINGS` is set.

/// Per-phase wall times, printed when `PBUILD_TIMINGS` is set.
pub struct Phases {
    enabled: bool,
    last: std::time::Instant,
    done: Vec<(&'static str, std::time::Duration)>,
}

impl Phases {
    pub fn start() -> Phases {
        Phases {
            enabled: std::env::var_os("PBUILD_TIMINGS").is_some_and(|v| !v.is_empty()),
            last: std::time::Instant::now(),
            done: Vec::new(),
        }
    }

    pub fn mark(&mut self, name: &'static str) {
        let now = std::time::Instant::now();
        self.done.push((name, now - self.last));
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
