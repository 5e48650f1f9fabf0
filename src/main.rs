//! `report`: wiring only. Parse the command line, run one stage, turn its outcome into an exit code.

use clap::Parser;
use report::cli::{Cli, Command};

fn main() -> std::process::ExitCode {
    let cli = Cli::parse();
    let outcome: anyhow::Result<std::process::ExitCode> = match cli.command {
        Command::Build(args) => report::build::run(&args),
        Command::Run(args) => report::run::execute(args),
        Command::Collect(args) => report::collect::run(args.with_session_path()),
        Command::Sim(args) => report::sim::run(&args),
        Command::Compare(args) => report::compare::run(&args),
    };
    match outcome {
        Ok(code) => code,
        Err(err) => {
            eprintln!("error: {err:#}");
            std::process::ExitCode::from(2)
        }
    }
}
