//! The prompts sent to the service: a file of one prompt per line or of JSON Lines
//! (`{"prompt": ..., "max_tokens": ...}`), synthetic prompts of a target length, or built-in
//! coding prompts like those the user's scripts send.

use std::path::Path;

use anyhow::{Context, Result, bail};
use serde::Deserialize;

/// One prompt, with its own `max_tokens` when the prompts file gives one.
#[derive(Debug, Clone, PartialEq, Deserialize)]
pub struct Prompt {
    pub prompt: String,
    #[serde(default)]
    pub max_tokens: Option<u32>,
}

/// Ten prompts of about `tokens` tokens each: `" the"` is one token in the Llama and GPT BPE
/// tokenizers (and 4 characters, one token by `report sim`'s count), after a distinct opening so
/// that a prefix cache does not serve them all.
pub fn synthetic(tokens: u32) -> Vec<Prompt> {
    (1..=10)
        .map(|i| Prompt {
            prompt: format!("{i}{}", " the".repeat(tokens.saturating_sub(1) as usize)),
            max_tokens: None,
        })
        .collect()
}

/// A prompts file: JSON Lines when its first non-blank line opens an object, else one prompt
/// per line.
fn read_file(file: &Path, text: &str) -> Result<Vec<Prompt>> {
    let lines = text
        .lines()
        .enumerate()
        .map(|(i, l)| (i + 1, l.trim()))
        .filter(|(_, l)| !l.is_empty());
    let json = text.trim_start().starts_with('{');
    lines
        .map(|(number, line)| {
            if json {
                serde_json::from_str::<Prompt>(line).with_context(|| {
                    format!(
                        "--prompts file {} line {number}: expected {{\"prompt\": \"...\", \"max_tokens\": N}}",
                        file.display()
                    )
                })
            } else {
                Ok(Prompt {
                    prompt: line.to_string(),
                    max_tokens: None,
                })
            }
        })
        .collect()
}

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

pub fn load(file: Option<&Path>) -> Result<Vec<Prompt>> {
    let Some(file) = file else {
        return Ok(BUILT_IN
            .iter()
            .map(|p| Prompt {
                prompt: p.to_string(),
                max_tokens: None,
            })
            .collect());
    };
    let text = std::fs::read_to_string(file)
        .with_context(|| format!("cannot read --prompts file {}", file.display()))?;
    let prompts = read_file(file, &text)?;
    if prompts.is_empty() {
        bail!(
            "--prompts file {} holds no prompt; write one prompt per line",
            file.display()
        );
    }
    Ok(prompts)
}

/// The JSON bodies sent, one per prompt (as the API shapes it), serialised once.
pub fn bodies(prompts: &[Prompt], body: impl Fn(&Prompt) -> serde_json::Value) -> Vec<Vec<u8>> {
    prompts
        .iter()
        .map(|prompt| serde_json::to_vec(&body(prompt)).unwrap_or_default())
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn json_lines_give_each_prompt_its_max_tokens_and_a_bad_line_is_named() {
        let file = Path::new("p.jsonl");
        let read = read_file(
            file,
            "{\"prompt\": \"a\", \"max_tokens\": 7}\n\n{\"prompt\": \"b\"}\n",
        )
        .unwrap();
        assert_eq!(read[0].max_tokens, Some(7));
        assert_eq!((read[1].prompt.as_str(), read[1].max_tokens), ("b", None));
        let bad = read_file(file, "{\"prompt\": \"a\"}\n{\"text\": 1}\n").unwrap_err();
        assert!(format!("{bad:#}").contains("p.jsonl line 2"), "{bad:#}");
        let plain = read_file(file, "one\n two \n").unwrap();
        assert_eq!(plain[1].prompt, "two");
    }

    #[test]
    fn synthetic_prompts_have_the_asked_length_by_the_sims_count() {
        let p = synthetic(512);
        assert_eq!(p.len(), 10);
        // "1" + 511 × " the": 2045 characters, ⌈2045 / 4⌉ = 512
        assert_eq!(p[0].prompt.chars().count().div_ceil(4), 512);
    }
}
