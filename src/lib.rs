//! `report`: turns a load-testing session of an inference service on Kubernetes into a
//! performance report. One module per stage; data flows one way:
//! recorders (collect, run) → session folder → ingest → analyze → charts → render.

pub mod analyze;
pub mod build;
pub mod charts;
pub mod cli;
pub mod collect;
pub mod compare;
pub mod ingest;
pub mod kubeapi;
pub mod render;
pub mod run;
pub mod session;
pub mod sim;
pub mod units;
