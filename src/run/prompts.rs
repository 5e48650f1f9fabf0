//! The prompts sent to the service: a file of one prompt per line, or built-in coding prompts
//! like those the user's scripts send.

use std::path::Path;

use anyhow::{Context, Result, bail};

const BUILT_IN: &[&str] = &[
    "Write a Python function to check if a number is prime",
    "Write a function that reverses a linked list in Python",
    "Implement binary search in JavaScript",
    "Write a SQL query that returns the top 5 customers by total order value",
    "Write a Rust function that counts the words in a string",
    "Explain and implement quicksort in Python",
    "Write a bash script that finds the 10 largest files in a directory",
    "Write a Python class for a stack with push, pop and peek",
    "Write a Go function that merges two sorted slices",
    "Write a regular expression that validates an email address and explain it",
];

pub fn load(file: Option<&Path>) -> Result<Vec<String>> {
    let Some(file) = file else {
        return Ok(BUILT_IN.iter().map(|p| p.to_string()).collect());
    };
    let text = std::fs::read_to_string(file)
        .with_context(|| format!("cannot read --prompts file {}", file.display()))?;
    let prompts: Vec<String> = text
        .lines()
        .map(str::trim)
        .filter(|l| !l.is_empty())
        .map(String::from)
        .collect();
    if prompts.is_empty() {
        bail!(
            "--prompts file {} holds no prompt; write one prompt per line",
            file.display()
        );
    }
    Ok(prompts)
}

/// The JSON bodies sent, one per prompt (as the API shapes it), serialised once.
pub fn bodies(prompts: &[String], body: impl Fn(&str) -> serde_json::Value) -> Vec<Vec<u8>> {
    prompts
        .iter()
        .map(|prompt| serde_json::to_vec(&body(prompt)).unwrap_or_default())
        .collect()
}
