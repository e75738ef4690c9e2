//! A stand-in for `byzvote aggregate` until the CLI wires it: reads vectors on stdin, prints
//! the aggregate as JSON.
//!
//! ```text
//! echo '[[1,2],[1.1,2.1],[0.9,1.9],[100,-100]]' |
//!   cargo run -q -p byzvote-aggregate --example aggregate -- --rule median --f 1
//! printf '1,2\n1.1,2.1\n0.9,1.9\n100,-100\n' |
//!   cargo run -q -p byzvote-aggregate --example aggregate -- --rule krum --f 0 --format csv
//! ```

use byzvote_aggregate::{Format, Options, Rule, aggregate_input};
use std::io::Read;
use std::process::ExitCode;

fn value<'a>(args: &'a [String], name: &str) -> Option<&'a str> {
    let i = args.iter().position(|a| a == name)?;
    args.get(i + 1).map(String::as_str)
}

fn run() -> Result<String, String> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let rule: Rule = value(&args, "--rule")
        .ok_or("missing --rule RULE")?
        .parse()
        .map_err(|e| format!("{e}"))?;
    let f: usize = value(&args, "--f")
        .ok_or("missing --f F (the number of Byzantine inputs to tolerate)")?
        .parse()
        .map_err(|e| format!("--f: {e}"))?;
    let m = value(&args, "--m")
        .map(|v| v.parse::<usize>().map_err(|e| format!("--m: {e}")))
        .transpose()?;
    let format: Format = value(&args, "--format").unwrap_or("json").parse()?;
    let mut input = String::new();
    std::io::stdin()
        .read_to_string(&mut input)
        .map_err(|e| format!("reading stdin: {e}"))?;
    let options = Options {
        m,
        ..Options::default()
    };
    let report = aggregate_input(&input, format, rule, f, &options).map_err(|e| e.to_string())?;
    serde_json::to_string_pretty(&report).map_err(|e| e.to_string())
}

fn main() -> ExitCode {
    match run() {
        Ok(json) => {
            println!("{json}");
            ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!("error: {e}");
            ExitCode::FAILURE
        }
    }
}
