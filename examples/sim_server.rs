//! Runs the stand-in inference service until killed, for `benches/run_rate.sh` and manual tries
//! (until `report sim` exists). Usage: sim_server ADDR [instant|default] [SLOTS PER_REQUEST_MS].

use std::time::Duration;

use report::sim::service::{self, SimConfig};

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let args: Vec<String> = std::env::args().collect();
    let addr = args
        .get(1)
        .map_or("127.0.0.1:18081", String::as_str)
        .parse()?;
    let mut config = match args.get(2).map(String::as_str) {
        Some("instant") => SimConfig::instant(),
        _ => SimConfig::default(),
    };
    if let (Some(slots), Some(ms)) = (args.get(3), args.get(4)) {
        config.slots = slots.parse()?;
        config.per_request = Duration::from_millis(ms.parse()?);
        config.per_token = Duration::ZERO;
    }
    let handle = service::start(addr, config).await?;
    println!("listening on {}", handle.url());
    tokio::signal::ctrl_c().await?;
    handle.shutdown().await;
    Ok(())
}
