//! `RAYON_NUM_THREADS=1 cargo run -p byzvote-builtin --example cluster -- "QUESTION"`:
//! the four default backends answer one question at the same time, as a default cluster's
//! coordinators would; prints each answer, its latency and its decode rate under sharing.

use std::time::Instant;

use byzvote_models::Prompt;

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let question = std::env::args()
        .nth(1)
        .unwrap_or_else(|| "Is 17 a prime number? Answer yes or no.".into());
    let dir = byzvote_builtin::models_dir(None)?;
    let t = Instant::now();
    let backends = byzvote_builtin::load_default_backends(dir).await?;
    println!("loaded 4 backends in {:.2} s", t.elapsed().as_secs_f64());
    let mut prompt = Prompt::user(question);
    prompt.max_tokens = 48;
    let t = Instant::now();
    let answers = futures_join(&backends, &prompt).await;
    println!("all answered in {:.2} s", t.elapsed().as_secs_f64());
    for (b, a) in backends.iter().zip(answers) {
        let a = a?;
        println!(
            "{:<28} {:<12} {:>5.2} s  {:>3} tokens  {:>5.1} tok/s  {:?}",
            b.info().name,
            b.info().vendor,
            a.latency.as_secs_f64(),
            a.usage.completion_tokens,
            f64::from(a.usage.completion_tokens) / a.latency.as_secs_f64(),
            a.text
        );
    }
    Ok(())
}

async fn futures_join(
    backends: &[std::sync::Arc<dyn byzvote_models::ModelBackend>],
    prompt: &Prompt,
) -> Vec<Result<byzvote_models::Completion, byzvote_models::ModelError>> {
    let tasks: Vec<_> = backends
        .iter()
        .map(|b| {
            let (b, p) = (b.clone(), prompt.clone());
            tokio::spawn(async move { b.complete(&p).await })
        })
        .collect();
    let mut out = Vec::new();
    for t in tasks {
        out.push(
            t.await
                .unwrap_or_else(|e| Err(byzvote_models::ModelError::Local(e.to_string()))),
        );
    }
    out
}
