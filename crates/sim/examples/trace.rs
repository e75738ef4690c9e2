//! One scenario with logs: `RUST_LOG=info cargo run -p byzvote-sim --example trace -- BEHAVIOUR SEED [NODES] [FAULTS] [VOTES]`.

fn main() -> anyhow::Result<()> {
    tracing_subscriber::fmt()
        .with_env_filter(tracing_subscriber::EnvFilter::from_default_env())
        .with_writer(std::io::stderr)
        .init();
    let args: Vec<String> = std::env::args().skip(1).collect();
    let arg = |i: usize, d: u64| args.get(i).and_then(|s| s.parse().ok()).unwrap_or(d);
    let name = args.first().map_or("honest", String::as_str);
    let nodes = arg(2, 4) as usize;
    let s = byzvote_sim::catalog::scenario(
        name,
        arg(1, 1),
        nodes,
        arg(3, (nodes as u64 - 1) / 3) as usize,
        arg(4, 3) as usize,
    )?;
    println!("{:?}", s.behaviours);
    let r = byzvote_sim::run(&s)?;
    for q in &r.requests {
        println!("request {} {:?} truth {}", q.id, q.prompt, q.truth);
    }
    for m in &r.members {
        println!(
            "member {} {:?} running {}",
            m.member, m.behaviour, m.running
        );
        for (id, d) in &m.decisions {
            println!(
                "  {id}: {:?} {:?} height {} silent {:?}",
                d.record.outcome, d.record.answer, d.record.height, d.record.silent
            );
        }
        for e in &m.evidence {
            println!("  evidence {e:?}");
        }
    }
    println!(
        "outcome {} sim {:?} timed out {} blocked {:?}",
        r.outcome(),
        r.sim_time,
        r.timed_out,
        r.blocked
    );
    for v in byzvote_sim::invariants::check(&r) {
        println!("VIOLATION {v}");
    }
    Ok(())
}
