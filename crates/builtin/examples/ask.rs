//! `cargo run -p byzvote-builtin --example ask -- MODEL [--raw] "TEXT" [MAX_TOKENS]`:
//! one greedy answer from a built-in model, with its token counts. `--raw` sends TEXT as the
//! whole prompt instead of wrapping it in the model's prompt format.

use byzvote_builtin::{Generator, catalog};
use byzvote_models::{Message, Role};

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let mut args: Vec<String> = std::env::args().skip(1).collect();
    let raw = args.iter().any(|a| a == "--raw");
    args.retain(|a| a != "--raw");
    let (Some(name), Some(text)) = (args.first(), args.get(1)) else {
        return Err("usage: ask MODEL [--raw] TEXT [MAX_TOKENS]".into());
    };
    let max_tokens = args.get(2).map_or(Ok(64), |s| s.parse())?;
    let spec = catalog::find(name).ok_or("unknown model; see catalog::CATALOG")?;
    let mut g = Generator::load(spec, &byzvote_builtin::models_dir(None)?)?;
    let out = if raw {
        g.generate_raw(text, max_tokens, None)?
    } else {
        g.generate(
            &[Message {
                role: Role::User,
                content: text.clone(),
            }],
            max_tokens,
            None,
        )?
    };
    println!(
        "{:?}\n({} prompt tokens, {} completion tokens)",
        out.text, out.prompt_tokens, out.completion_tokens
    );
    Ok(())
}
