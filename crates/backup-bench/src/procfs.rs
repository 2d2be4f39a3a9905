//! What the process costs: its CPU clock and what `/proc` says (Linux only, no unsafe
//! code).

use std::time::Duration;

/// User plus system CPU time of the whole process so far, every thread included
/// (`clock_gettime(CLOCK_PROCESS_CPUTIME_ID)`: nanoseconds, not the 10 ms ticks of
/// `/proc/self/stat`, so a round of a few hundred milliseconds is measured exactly).
#[must_use]
pub fn process_cpu() -> Duration {
    let now = rustix::time::clock_gettime(rustix::time::ClockId::ProcessCPUTime);
    Duration::new(
        u64::try_from(now.tv_sec).unwrap_or(0),
        u32::try_from(now.tv_nsec).unwrap_or(0),
    )
}

/// Which of the CPUs this process may run on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Cpu {
    /// The first allowed one (the client of scenario 1).
    First,
    /// The last allowed one (the canned server).
    Last,
}

/// Pins the calling thread to one CPU, so that the client and the server of scenario 1
/// each keep a core of their own instead of being moved around (which made per-call
/// costs jump between two levels from round to round). Returns the CPU, or `None`
/// when fewer than two CPUs are allowed (nothing is pinned then).
pub fn pin_current_thread(which: Cpu) -> Option<usize> {
    use rustix::thread::{CpuSet, sched_getaffinity, sched_setaffinity};
    let allowed = sched_getaffinity(None).ok()?;
    let cpus: Vec<usize> = (0..CpuSet::MAX_CPU)
        .filter(|&i| allowed.is_set(i))
        .collect();
    if cpus.len() < 2 {
        return None;
    }
    let cpu = match which {
        Cpu::First => cpus[0],
        Cpu::Last => cpus[cpus.len() - 1],
    };
    let mut set = CpuSet::new();
    set.set(cpu);
    sched_setaffinity(None, &set).ok()?;
    Some(cpu)
}

/// Peak resident set size (`VmHWM` of `/proc/self/status`), in bytes.
#[must_use]
pub fn peak_rss() -> Option<u64> {
    status_kib("VmHWM:").map(|kib| kib * 1024)
}

/// Current resident set size (`VmRSS`), in bytes.
#[must_use]
pub fn current_rss() -> Option<u64> {
    status_kib("VmRSS:").map(|kib| kib * 1024)
}

fn status_kib(key: &str) -> Option<u64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    parse_status_kib(&status, key)
}

/// The value in kB of `key` (e.g. `VmHWM:`) in a `/proc/<pid>/status` text.
#[must_use]
pub fn parse_status_kib(status: &str, key: &str) -> Option<u64> {
    let line = status.lines().find(|line| line.starts_with(key))?;
    line[key.len()..].split_whitespace().next()?.parse().ok()
}

/// Resets the peak RSS to the current RSS (`echo 5 > /proc/self/clear_refs`), so that a
/// later [`peak_rss`] covers only what follows. Returns whether the kernel took it.
pub fn reset_peak_rss() -> bool {
    std::fs::write("/proc/self/clear_refs", "5").is_ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_status_values() {
        let status = "Name:\tx\nVmHWM:\t   20480 kB\nVmRSS:\t 1024 kB\n";
        assert_eq!(parse_status_kib(status, "VmHWM:"), Some(20480));
        assert_eq!(parse_status_kib(status, "VmRSS:"), Some(1024));
        assert_eq!(parse_status_kib(status, "VmPeak:"), None);
    }

    #[test]
    fn process_cpu_time_grows_with_work() {
        let before = process_cpu();
        let mut x = 0_u64;
        for i in 0..5_000_000_u64 {
            x = std::hint::black_box(x.wrapping_mul(31).wrapping_add(i));
        }
        assert!(x != 1);
        assert!(process_cpu() > before);
        assert!(peak_rss().is_some_and(|rss| rss > 0));
    }
}
