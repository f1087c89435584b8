//! The results table: from a directory of `lexi-bench system`/`store` JSON files into the generated
//! section of BENCHMARKS.md (between the markers; the prose around it is left alone).

use anyhow::Context;
use serde_json::Value;
use std::fmt::Write as _;
use std::path::PathBuf;

const BEGIN: &str = "<!-- bench/run results: begin (generated; edits here are overwritten) -->";
const END: &str = "<!-- bench/run results: end -->";

#[derive(clap::Args, Debug)]
pub struct ReportArgs {
    /// A directory of results (one JSON per system, store.json).
    #[arg(long)]
    pub results: PathBuf,
    #[arg(long, default_value = "BENCHMARKS.md")]
    pub out: PathBuf,
    /// Systems in column order; the first is compared with the others.
    #[arg(
        long,
        value_delimiter = ',',
        default_value = "lexi-slack,bolt-js,bolt-py"
    )]
    pub systems: Vec<String>,
    /// `key=value` lines for the header (versions, pinning…).
    #[arg(long = "meta")]
    pub meta: Vec<String>,
}

fn load(args: &ReportArgs, name: &str) -> Option<Value> {
    let raw = std::fs::read_to_string(args.results.join(format!("{name}.json"))).ok()?;
    serde_json::from_str(&raw).ok()
}

fn phase<'a>(system: &'a Value, name: &str) -> Option<&'a Value> {
    system["phases"]
        .as_array()?
        .iter()
        .find(|p| p["name"] == name)
}

fn num(v: &Value) -> Option<f64> {
    v.as_f64()
}

fn f(v: Option<f64>, digits: usize) -> String {
    match v {
        Some(x) if x.is_finite() => {
            if digits == 0 {
                thousands(x.round() as i64)
            } else {
                format!("{x:.digits$}")
            }
        }
        _ => "–".into(),
    }
}

fn thousands(n: i64) -> String {
    let s = n.abs().to_string();
    let mut out = String::new();
    for (i, c) in s.chars().enumerate() {
        if i > 0 && (s.len() - i) % 3 == 0 {
            out.push(',');
        }
        out.push(c);
    }
    if n < 0 { format!("-{out}") } else { out }
}

fn ms(v: &Value) -> String {
    match v.as_f64() {
        Some(x) if x >= 100.0 => format!("{x:.0}"),
        Some(x) if x >= 10.0 => format!("{x:.1}"),
        Some(x) => format!("{x:.2}"),
        None => "–".into(),
    }
}

fn latency(p: Option<&Value>) -> String {
    match p {
        Some(p) => {
            let l = &p["load"]["ack_latency_ms"];
            format!(
                "{} / {} / {} ms ({} /s)",
                ms(&l["p50"]),
                ms(&l["p99"]),
                ms(&l["p999"]),
                f(num(&p["load"]["ok_per_s"]), 0)
            )
        }
        None => "–".into(),
    }
}

fn e2e(p: Option<&Value>) -> String {
    match p {
        Some(p) => {
            let e = &p["replies"]["e2e_ms"];
            format!(
                "{} / {} ms, {} unanswered",
                ms(&e["p50"]),
                ms(&e["p99"]),
                p["replies"]["missing"]
            )
        }
        None => "–".into(),
    }
}

fn drain(p: Option<&Value>) -> String {
    match p {
        Some(p) if p["drained"] == true => format!(
            "{} s (backlog {})",
            f(num(&p["drain_s"]), 2),
            f(num(&p["backlog_at_load_end"]), 0)
        ),
        Some(p) => format!(
            "not drained ({} unanswered)",
            f(num(&p["replies"]["missing"]), 0)
        ),
        None => "–".into(),
    }
}

fn errors(p: &Value) -> String {
    let l = &p["load"];
    let non200: u64 = l["statuses"]
        .as_object()
        .map(|m| {
            m.iter()
                .filter(|(k, _)| *k != "200")
                .filter_map(|(_, v)| v.as_u64())
                .sum()
        })
        .unwrap_or(0);
    let errs = ["connect_errors", "timeouts", "io_errors"]
        .iter()
        .filter_map(|k| l[*k].as_u64())
        .sum::<u64>();
    format!(
        "{:.2} % ({} non-200, {} client errors)",
        num(&l["error_rate"]).unwrap_or(0.0) * 100.0,
        non200,
        errs
    )
}

fn overload(p: Option<&Value>) -> String {
    let Some(p) = p else { return "–".into() };
    let l = &p["load"];
    let statuses = l["statuses"]
        .as_object()
        .map(|m| {
            m.iter()
                .map(|(k, v)| format!("{k}: {v}"))
                .collect::<Vec<_>>()
                .join(", ")
        })
        .unwrap_or_default();
    format!(
        "offered {} /s: {} acks/s [{}], ack p99 {} ms, backlog {} at the end, RSS peak {} MiB, {}",
        f(num(&l["offered_rate"]), 0),
        f(num(&l["ok_per_s"]), 0),
        statuses,
        ms(&l["ack_latency_ms"]["p99"]),
        f(num(&p["backlog_at_load_end"]), 0),
        f(num(&p["rss_peak_mib"]), 1),
        drain(Some(p)).replace("s (backlog", "s to drain (backlog")
    )
}

fn calls_per_event(p: Option<&Value>) -> String {
    let Some(p) = p else { return "–".into() };
    let replied = num(&p["replies"]["replied"]).unwrap_or(0.0).max(1.0);
    p["fake_calls"]
        .as_object()
        .map(|m| {
            m.iter()
                .map(|(k, v)| format!("{k} {:.2}", v.as_f64().unwrap_or(0.0) / replied))
                .collect::<Vec<_>>()
                .join(", ")
        })
        .unwrap_or_default()
}

pub fn run(args: &ReportArgs) -> anyhow::Result<()> {
    let systems: Vec<(String, Value)> = args
        .systems
        .iter()
        .filter_map(|name| load(args, name).map(|v| (name.clone(), v)))
        .collect();
    anyhow::ensure!(
        !systems.is_empty(),
        "no results for {:?} in {}",
        args.systems,
        args.results.display()
    );
    let first = &systems[0].1;
    let mut md = String::new();
    let machine = &first["machine"];
    let _ = writeln!(
        md,
        "Run of {} on {} cores ({}, {} GiB, Linux {}).",
        first["date"].as_str().unwrap_or("?"),
        machine["cores"],
        machine["cpu_model"].as_str().unwrap_or("?"),
        machine["memory_gib"],
        machine["kernel"].as_str().unwrap_or("?"),
    );
    for line in &args.meta {
        if let Some((k, v)) = line.split_once('=') {
            let _ = writeln!(md, "- {k}: {v}");
        }
    }
    md.push('\n');

    let mut header = String::from("| |");
    let mut rule = String::from("|---|");
    for (name, _) in &systems {
        let _ = write!(header, " **{name}** |");
        rule.push_str("---|");
    }
    let _ = writeln!(md, "{header}\n{rule}");
    let row = |md: &mut String, title: &str, cell: &dyn Fn(&Value) -> String| {
        let mut line = format!("| {title} |");
        for (_, s) in &systems {
            let _ = write!(line, " {} |", cell(s));
        }
        let _ = writeln!(md, "{line}");
    };
    row(&mut md, "what runs", &|s| {
        s["label"].as_str().unwrap_or("").replace('|', "\\|")
    });
    row(
        &mut md,
        "**full events/s at the peak** (answered in their thread, first send → last answer)",
        &|s| {
            format!(
                "**{}**",
                f(
                    phase(s, "peak").and_then(|p| num(&p["full_events_per_s"])),
                    0
                )
            )
        },
    );
    row(
        &mut md,
        "peak acks/s (200s per second, 64 connections, closed loop)",
        &|s| {
            f(
                phase(s, "peak").and_then(|p| num(&p["load"]["ok_per_s"])),
                0,
            )
        },
    );
    row(&mut md, "error rate at the peak", &|s| {
        phase(s, "peak").map_or("–".into(), errors)
    });
    row(&mut md, "SUT CPU per answered event at the peak", &|s| {
        format!(
            "{} ms",
            f(
                phase(s, "peak").and_then(|p| num(&p["cpu_ms_per_event"])),
                3
            )
        )
    });
    row(
        &mut md,
        "ack latency p50 / p99 / p99.9 @ 500 req/s (achieved)",
        &|s| latency(phase(s, "rate:500")),
    );
    row(
        &mut md,
        "ack latency p50 / p99 / p99.9 @ 2,000 req/s (achieved)",
        &|s| latency(phase(s, "rate:2000")),
    );
    row(
        &mut md,
        "end to end p50 / p99 @ 500 req/s (send → answer at Slack)",
        &|s| e2e(phase(s, "rate:500")),
    );
    row(&mut md, "end to end p50 / p99 @ 2,000 req/s", &|s| {
        e2e(phase(s, "rate:2000"))
    });
    row(
        &mut md,
        "answers still owed when 500 / 2,000 req/s stop → drained in",
        &|s| {
            format!(
                "{}; {}",
                drain(phase(s, "rate:500")),
                drain(phase(s, "rate:2000"))
            )
        },
    );
    row(&mut md, "after the peak → drained in", &|s| {
        drain(phase(s, "peak"))
    });
    row(&mut md, "SUT CPU per event @ 500 / 2,000 req/s", &|s| {
        format!(
            "{} / {} ms",
            f(
                phase(s, "rate:500").and_then(|p| num(&p["cpu_ms_per_event"])),
                3
            ),
            f(
                phase(s, "rate:2000").and_then(|p| num(&p["cpu_ms_per_event"])),
                3
            )
        )
    });
    row(&mut md, "RSS idle after start (PSS), processes", &|s| {
        format!(
            "{} MiB ({} MiB), {}",
            f(num(&s["idle"]["rss_mib"]), 1),
            f(num(&s["idle"]["pss_mib"]), 1),
            s["idle"]["processes"]
        )
    });
    row(
        &mut md,
        "RSS peak during 2,000 req/s / during the peak",
        &|s| {
            format!(
                "{} / {} MiB",
                f(
                    phase(s, "rate:2000").and_then(|p| num(&p["rss_peak_mib"])),
                    1
                ),
                f(phase(s, "peak").and_then(|p| num(&p["rss_peak_mib"])), 1)
            )
        },
    );
    row(
        &mut md,
        "overload: open loop at 2× the peak for 10 s",
        &|s| overload(phase(s, "overload")),
    );
    row(
        &mut md,
        "noise: other processes' share of the SUT's core / of the load generator's core during 500, 2,000, peak; steal on core 0 / 1 at the peak",
        &|s| {
            let foreign = |name: &str| {
                phase(s, name).map_or("–".into(), |p| {
                    let sut = num(&p["sut_core_foreign_pct"]).unwrap_or(0.0);
                    // The load generator's core is the other one (bench/run's pinning).
                    let elapsed = num(&p["load"]["elapsed_s"]).unwrap_or(1.0).max(1e-9);
                    let own = num(&p["bench_cpu_s_load"]).unwrap_or(0.0) / elapsed * 100.0;
                    let load_core = p["cores_during_load"]
                        .as_array()
                        .and_then(|cores| cores.get(1))
                        .and_then(|c| num(&c["busy_pct"]))
                        .map_or(0.0, |busy| (busy - own).max(0.0));
                    format!("{sut:.0} / {load_core:.0} %")
                })
            };
            let steal = phase(s, "peak")
                .and_then(|p| p["cores_during_load"].as_array())
                .map(|cores| {
                    cores
                        .iter()
                        .map(|c| format!("{:.1} %", num(&c["steal_pct"]).unwrap_or(0.0)))
                        .collect::<Vec<_>>()
                        .join(" / ")
                })
                .unwrap_or_default();
            format!(
                "{}, {}, {}; {}",
                foreign("rate:500"),
                foreign("rate:2000"),
                foreign("peak"),
                steal
            )
        },
    );
    row(&mut md, "load side (lexi-bench) CPU at the peak", &|s| {
        phase(s, "peak").map_or("–".into(), |p| {
            let secs = num(&p["bench_cpu_s_load"]).unwrap_or(0.0);
            let dur = num(&p["load"]["elapsed_s"]).unwrap_or(1.0).max(1e-9);
            format!("{:.0} % of its core", secs / dur * 100.0)
        })
    });
    row(&mut md, "SUT log bytes per answered event (peak)", &|s| {
        f(
            phase(s, "peak").and_then(|p| num(&p["log_bytes_per_event"])),
            0,
        )
    });
    row(
        &mut md,
        "calls to the fakes per answered event (peak)",
        &|s| calls_per_event(phase(s, "peak")),
    );
    if systems.len() > 1 {
        let ours = phase(first, "peak").and_then(|p| num(&p["full_events_per_s"]));
        let cpu = phase(first, "peak").and_then(|p| num(&p["cpu_ms_per_event"]));
        row(
            &mut md,
            &format!("{} ÷ this: full events/s, CPU per event", systems[0].0),
            &|s| {
                let theirs = phase(s, "peak").and_then(|p| num(&p["full_events_per_s"]));
                let their_cpu = phase(s, "peak").and_then(|p| num(&p["cpu_ms_per_event"]));
                match (ours, theirs, cpu, their_cpu) {
                    (Some(a), Some(b), Some(c), Some(d)) if b > 0.0 && c > 0.0 => {
                        format!("**{:.1}×**, {:.1}× less CPU", a / b, d / c)
                    }
                    _ => "–".into(),
                }
            },
        );
    }
    md.push('\n');

    // Durability: the same binary with its data on tmpfs, where fsync returns at once.
    if let Some(tmpfs) = load(args, "lexi-slack-tmpfs") {
        let disk = phase(first, "peak");
        let mem = phase(&tmpfs, "peak");
        let _ = writeln!(
            md,
            "**Cost of durability** (lexi-slack, peak, 64 connections): data on disk (every job \
             synced before its 200, group commit, as shipped) {} acks/s, {} full events/s, ack p99 {} ms; \
             same binary with DATA_DIR on tmpfs (syncing is a no-op there, so nothing is durable) {} acks/s, \
             {} full events/s, ack p99 {} ms.\n",
            f(disk.and_then(|p| num(&p["load"]["ok_per_s"])), 0),
            f(disk.and_then(|p| num(&p["full_events_per_s"])), 0),
            disk.map_or("–".into(), |p| ms(&p["load"]["ack_latency_ms"]["p99"])),
            f(mem.and_then(|p| num(&p["load"]["ok_per_s"])), 0),
            f(mem.and_then(|p| num(&p["full_events_per_s"])), 0),
            mem.map_or("–".into(), |p| ms(&p["load"]["ack_latency_ms"]["p99"])),
        );
    }

    let stores: Vec<Value> = ["store", "store-cache128"]
        .iter()
        .filter_map(|name| load(args, name))
        .collect();
    if let Some(first_store) = stores.first() {
        let _ = writeln!(
            md,
            "**Store at scale** ({} thread → conversation mappings through `Store`; 16 MiB is the shipped cache):\n\n\
             | sled cache | insert rate | lookup p50 / p99 / p99.9 (warm) | lookup p99 right after reopen | miss p99 | reopen (`Store::open`) | lexi-slack restart to healthy | RSS idle after that restart | on disk |\n\
             |---|---|---|---|---|---|---|---|---|",
            f(num(&first_store["mappings"]), 0),
        );
        for store in &stores {
            let w = &store["lookup_warm_us"];
            let r = &store["lookup_after_reopen_us"];
            let restart = &store["process_restart"];
            let _ = writeln!(
                md,
                "| {} MiB | {} /s (final flush {} s) | {} / {} / {} µs | {} µs | {} µs | {} s | {} | {} | {} MiB |",
                f(num(&store["cache_mib"]), 0),
                f(num(&store["insert_per_s"]), 0),
                f(num(&store["final_flush_s"]), 2),
                f(num(&w["p50"]), 1),
                f(num(&w["p99"]), 1),
                f(num(&w["p999"]), 1),
                f(num(&r["p99"]), 1),
                f(num(&store["lookup_miss_us"]["p99"]), 1),
                f(num(&store["reopen_s"]), 3),
                num(&restart["healthy_s"]).map_or("–".into(), |s| format!("{s:.3} s")),
                num(&restart["rss_idle_mib"]).map_or("–".into(), |m| format!("{m:.1} MiB")),
                f(num(&store["disk_bytes"]).map(|b| b / 1024.0 / 1024.0), 0),
            );
        }
        md.push('\n');
    }
    let _ = writeln!(md, "Raw numbers: `{}/*.json`.", args.results.display());

    let section = format!("{BEGIN}\n{md}{END}");
    let existing = std::fs::read_to_string(&args.out).unwrap_or_default();
    let updated = match (existing.find(BEGIN), existing.find(END)) {
        (Some(a), Some(b)) if a < b => {
            format!(
                "{}{}{}",
                &existing[..a],
                section,
                &existing[b + END.len()..]
            )
        }
        _ if existing.is_empty() => format!("# Benchmarks\n\n{section}\n"),
        _ => format!("{}\n\n{section}\n", existing.trim_end()),
    };
    std::fs::write(&args.out, updated)
        .with_context(|| format!("cannot write {}", args.out.display()))?;
    eprintln!(
        "lexi-bench: wrote the results table to {}",
        args.out.display()
    );
    Ok(())
}
