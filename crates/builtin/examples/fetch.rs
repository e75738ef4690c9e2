//! `cargo run -p byzvote-builtin --example fetch [DIR]`: fetch every model, then list them.
//! What `byzvote models fetch` and `byzvote models list` do.

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let arg = std::env::args_os().nth(1).map(std::path::PathBuf::from);
    let dir = byzvote_builtin::models_dir(arg.as_deref())?;
    eprintln!("models directory: {}", dir.display());
    let t = std::time::Instant::now();
    let report = byzvote_builtin::fetch_all(&dir, byzvote_builtin::Progress::Lines)?;
    eprintln!("fetch took {:.1} s: {report:?}", t.elapsed().as_secs_f64());
    for m in byzvote_builtin::list(&dir) {
        println!(
            "{:<28} {:<22} {:<8} {:<20} {:<9} {:>6} MB  {}",
            m.name,
            m.vendor,
            m.family,
            m.licence,
            if m.present { "present" } else { "missing" },
            m.size / 1_000_000,
            m.path.display()
        );
    }
    Ok(())
}
