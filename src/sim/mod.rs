//! Simulated services for tests, benchmarks and demonstrations (`report sim`).

pub mod service;
