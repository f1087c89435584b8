//! What `/proc` says about the system under test (its whole process tree) and the machine.

use serde::Serialize;
use std::fs;

/// Clock ticks per second of `/proc/*/stat` times (USER_HZ): 100 on every Linux we run on;
/// `getconf CLK_TCK` confirms it at start.
pub fn clock_ticks() -> f64 {
    std::process::Command::new("getconf")
        .arg("CLK_TCK")
        .output()
        .ok()
        .and_then(|o| String::from_utf8(o.stdout).ok())
        .and_then(|s| s.trim().parse().ok())
        .unwrap_or(100.0)
}

/// The fields of `/proc/PID/stat` after the command name.
fn stat_fields(pid: u32) -> Option<Vec<String>> {
    let raw = fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    let after = raw.rsplit_once(") ")?.1;
    Some(after.split_whitespace().map(str::to_owned).collect())
}

/// `pid` and every descendant.
pub fn tree(pid: u32) -> Vec<u32> {
    let mut parents: Vec<(u32, u32)> = Vec::new();
    if let Ok(entries) = fs::read_dir("/proc") {
        for entry in entries.flatten() {
            let Some(child) = entry
                .file_name()
                .to_str()
                .and_then(|n| n.parse::<u32>().ok())
            else {
                continue;
            };
            // Field 4 of stat is the parent (index 1 after the name).
            if let Some(ppid) = stat_fields(child).and_then(|f| f.get(1)?.parse().ok()) {
                parents.push((child, ppid));
            }
        }
    }
    let mut out = vec![pid];
    let mut i = 0;
    while i < out.len() {
        let p = out[i];
        out.extend(parents.iter().filter(|(_, pp)| *pp == p).map(|(c, _)| *c));
        i += 1;
    }
    out
}

/// User + system CPU seconds of these processes (threads that ended included).
pub fn cpu_seconds(pids: &[u32], ticks: f64) -> f64 {
    pids.iter()
        .filter_map(|&pid| {
            let f = stat_fields(pid)?;
            // utime, stime: fields 14 and 15 → indexes 11 and 12 after the name.
            let utime: f64 = f.get(11)?.parse().ok()?;
            let stime: f64 = f.get(12)?.parse().ok()?;
            Some((utime + stime) / ticks)
        })
        .sum()
}

fn status_kib(pid: u32, field: &str) -> Option<u64> {
    let status = fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    status
        .lines()
        .find(|l| l.starts_with(field))?
        .split_whitespace()
        .nth(1)?
        .parse()
        .ok()
}

/// Context switches (voluntary + involuntary) of every live thread of these processes: how
/// often the system hands the core around (a thread pool woken per disk write shows up here).
/// Threads that have ended are not counted.
pub fn context_switches(pids: &[u32]) -> u64 {
    let thread_switches = |pid: u32, tid: &str| -> u64 {
        let status =
            fs::read_to_string(format!("/proc/{pid}/task/{tid}/status")).unwrap_or_default();
        status
            .lines()
            .filter(|l| {
                l.starts_with("voluntary_ctxt_switches:")
                    || l.starts_with("nonvoluntary_ctxt_switches:")
            })
            .filter_map(|l| l.split_whitespace().nth(1)?.parse::<u64>().ok())
            .sum()
    };
    pids.iter()
        .map(|&pid| {
            fs::read_dir(format!("/proc/{pid}/task")).map_or(0, |tasks| {
                tasks
                    .flatten()
                    .map(|t| thread_switches(pid, &t.file_name().to_string_lossy()))
                    .sum()
            })
        })
        .sum()
}

/// `/proc/PID/io`'s `syscw` summed: write-family system calls (sockets, log, disk), ended threads
/// included.
pub fn write_syscalls(pids: &[u32]) -> u64 {
    pids.iter()
        .filter_map(|&pid| {
            let io = fs::read_to_string(format!("/proc/{pid}/io")).ok()?;
            io.lines()
                .find(|l| l.starts_with("syscw:"))?
                .split_whitespace()
                .nth(1)?
                .parse::<u64>()
                .ok()
        })
        .sum()
}

pub fn mib(kib: u64) -> f64 {
    (kib as f64 / 1024.0 * 10.0).round() / 10.0
}

/// Resident memory of the tree, summed (shared pages of a forked tree count once per process).
pub fn rss_kib(pids: &[u32]) -> u64 {
    pids.iter().filter_map(|&p| status_kib(p, "VmRSS:")).sum()
}

/// The tree's summed high-water marks (each process's own peak).
pub fn hwm_kib(pids: &[u32]) -> u64 {
    pids.iter().filter_map(|&p| status_kib(p, "VmHWM:")).sum()
}

/// Proportional set size: shared pages split between the processes that share them.
pub fn pss_kib(pids: &[u32]) -> u64 {
    pids.iter()
        .filter_map(|&p| {
            let rollup = fs::read_to_string(format!("/proc/{p}/smaps_rollup")).ok()?;
            rollup
                .lines()
                .find(|l| l.starts_with("Pss:"))?
                .split_whitespace()
                .nth(1)?
                .parse::<u64>()
                .ok()
        })
        .sum()
}

/// Per-core busy and steal ticks from `/proc/stat`.
#[derive(Debug, Clone, Default)]
pub struct CpuTimes {
    pub cores: Vec<(u64, u64, u64)>, // (busy, total, steal)
}

pub fn cpu_times() -> CpuTimes {
    let stat = fs::read_to_string("/proc/stat").unwrap_or_default();
    let cores = stat
        .lines()
        .filter(|l| l.starts_with("cpu") && l.as_bytes().get(3).is_some_and(u8::is_ascii_digit))
        .map(|l| {
            let v: Vec<u64> = l
                .split_whitespace()
                .skip(1)
                .filter_map(|x| x.parse().ok())
                .collect();
            let total: u64 = v.iter().take(8).sum();
            let idle = v.get(3).copied().unwrap_or(0) + v.get(4).copied().unwrap_or(0);
            let steal = v.get(7).copied().unwrap_or(0);
            (total - idle - steal, total, steal)
        })
        .collect();
    CpuTimes { cores }
}

/// Each core's busy share and stolen share between two readings.
#[derive(Debug, Clone, Serialize)]
pub struct CoreUse {
    pub core: usize,
    pub busy_pct: f64,
    pub steal_pct: f64,
}

pub fn core_use(before: &CpuTimes, after: &CpuTimes) -> Vec<CoreUse> {
    before
        .cores
        .iter()
        .zip(&after.cores)
        .enumerate()
        .map(|(core, (b, a))| {
            let total = (a.1 - b.1).max(1) as f64;
            CoreUse {
                core,
                busy_pct: ((a.0 - b.0) as f64 / total * 1000.0).round() / 10.0,
                steal_pct: ((a.2 - b.2) as f64 / total * 1000.0).round() / 10.0,
            }
        })
        .collect()
}

/// The machine, for the record.
#[derive(Debug, Clone, Serialize)]
pub struct Machine {
    pub cores: usize,
    pub cpu_model: String,
    pub memory_gib: f64,
    pub kernel: String,
}

pub fn machine() -> Machine {
    let cpuinfo = fs::read_to_string("/proc/cpuinfo").unwrap_or_default();
    let cpu_model = cpuinfo
        .lines()
        .find(|l| l.starts_with("model name"))
        .and_then(|l| l.split_once(':'))
        .map(|(_, v)| v.trim().to_owned())
        .unwrap_or_default();
    let mem_kib = fs::read_to_string("/proc/meminfo")
        .ok()
        .and_then(|m| {
            m.lines()
                .find(|l| l.starts_with("MemTotal:"))?
                .split_whitespace()
                .nth(1)?
                .parse::<u64>()
                .ok()
        })
        .unwrap_or(0);
    Machine {
        // Online cores of the machine, not of this (pinned) process.
        cores: cpuinfo
            .lines()
            .filter(|l| l.starts_with("processor"))
            .count(),
        cpu_model,
        memory_gib: (mem_kib as f64 / 1024.0 / 1024.0 * 10.0).round() / 10.0,
        kernel: fs::read_to_string("/proc/sys/kernel/osrelease")
            .unwrap_or_default()
            .trim()
            .to_owned(),
    }
}
