//! What the process costs, read from `/proc` (Linux only, no unsafe code).

use std::time::Duration;

/// Clock ticks per second of `/proc/self/stat` (`getconf CLK_TCK`, or 100 when that fails).
#[derive(Debug, Clone, Copy)]
pub struct ClockTicks {
    /// Ticks per second.
    pub per_second: u64,
    /// Whether the value came from `getconf` (false: assumed 100).
    pub measured: bool,
}

impl ClockTicks {
    /// Asks `getconf CLK_TCK`, falling back to 100 (the value on every Linux platform
    /// this runs on).
    #[must_use]
    pub fn detect() -> Self {
        let asked = std::process::Command::new("getconf")
            .arg("CLK_TCK")
            .output()
            .ok()
            .filter(|out| out.status.success())
            .and_then(|out| {
                String::from_utf8_lossy(&out.stdout)
                    .trim()
                    .parse::<u64>()
                    .ok()
            })
            .filter(|ticks| *ticks > 0);
        match asked {
            Some(per_second) => Self {
                per_second,
                measured: true,
            },
            None => Self {
                per_second: 100,
                measured: false,
            },
        }
    }

    /// `ticks` as a duration.
    #[must_use]
    pub fn to_duration(self, ticks: u64) -> Duration {
        let per_second = self.per_second.max(1);
        let secs = ticks / per_second;
        let rest = ticks % per_second;
        Duration::from_secs(secs) + Duration::from_nanos(rest * 1_000_000_000 / per_second)
    }
}

/// User plus system CPU time of the whole process so far, in clock ticks
/// (fields 14 and 15 of `/proc/self/stat`); `None` when it cannot be read.
#[must_use]
pub fn cpu_ticks() -> Option<u64> {
    let stat = std::fs::read_to_string("/proc/self/stat").ok()?;
    parse_cpu_ticks(&stat)
}

/// Fields 14 (utime) and 15 (stime) of a `/proc/<pid>/stat` line, summed.
///
/// The second field (the command name) is in parentheses and may hold spaces, so
/// fields are counted from the last `)`.
#[must_use]
pub fn parse_cpu_ticks(stat: &str) -> Option<u64> {
    let after_name = &stat[stat.rfind(')')? + 1..];
    // After the name come field 3 (state), 4, ...: utime is field 14, the 12th here.
    let mut fields = after_name.split_whitespace().skip(11);
    let utime: u64 = fields.next()?.parse().ok()?;
    let stime: u64 = fields.next()?.parse().ok()?;
    utime.checked_add(stime)
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
    fn reads_utime_and_stime() {
        let stat = "1234 (backup bench) S 1 2 3 4 5 6 7 8 9 10 250 50 0 0 20 0 3 0 100 0 0";
        assert_eq!(parse_cpu_ticks(stat), Some(300));
        assert_eq!(parse_cpu_ticks("garbage"), None);
        assert_eq!(parse_cpu_ticks("1 (x) S 1"), None);
    }

    #[test]
    fn reads_status_values() {
        let status = "Name:\tx\nVmHWM:\t   20480 kB\nVmRSS:\t 1024 kB\n";
        assert_eq!(parse_status_kib(status, "VmHWM:"), Some(20480));
        assert_eq!(parse_status_kib(status, "VmRSS:"), Some(1024));
        assert_eq!(parse_status_kib(status, "VmPeak:"), None);
    }

    #[test]
    fn ticks_convert_to_durations() {
        let ticks = ClockTicks {
            per_second: 100,
            measured: false,
        };
        assert_eq!(ticks.to_duration(150), Duration::from_millis(1500));
        assert!(cpu_ticks().is_some());
        assert!(peak_rss().is_some_and(|rss| rss > 0));
    }
}
