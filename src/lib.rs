//! `report`: turns a load-testing session of an inference service on Kubernetes into a
//! performance report. One module per stage; data flows one way:
//! recorders (collect, run) → session folder → ingest → analyze → charts → render.

pub mod cli;
pub mod collect;
pub mod kubeapi;
pub mod session;
