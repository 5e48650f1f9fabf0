//! Credentials never reach a session file or a console line: the user:password part of a URL
//! and the values of query keys named like a secret are replaced before anything is written.

/// What stands in for a removed credential.
pub const REDACTED: &str = "REDACTED";

/// Query keys whose values are secrets (matched case-insensitively, as parts of the key name).
const SECRET_KEY_PARTS: [&str; 7] = [
    "key",
    "token",
    "secret",
    "password",
    "passwd",
    "auth",
    "signature",
];

/// One URL with its credentials replaced; text that is not a URL comes back unchanged.
pub fn redact_url(text: &str) -> String {
    let Ok(mut url) = reqwest::Url::parse(text) else {
        return text.to_string();
    };
    let mut changed = false;
    if !url.username().is_empty() || url.password().is_some() {
        let _ = url.set_username(REDACTED);
        let _ = url.set_password(None);
        changed = true;
    }
    if url.query().is_some() {
        let pairs: Vec<(String, String)> = url
            .query_pairs()
            .map(|(key, value)| {
                let lower = key.to_ascii_lowercase();
                if SECRET_KEY_PARTS.iter().any(|part| lower.contains(part)) {
                    changed = true;
                    (key.into_owned(), REDACTED.to_string())
                } else {
                    (key.into_owned(), value.into_owned())
                }
            })
            .collect();
        if changed {
            url.query_pairs_mut().clear().extend_pairs(pairs);
        }
    }
    if !changed {
        return text.to_string();
    }
    let redacted = url.to_string();
    // Url adds a `/` to a bare host; keep the text as it was written otherwise.
    if !text.ends_with('/') && redacted.ends_with('/') && url.path() == "/" && url.query().is_none()
    {
        redacted.trim_end_matches('/').to_string()
    } else {
        redacted
    }
}

/// Every `http://` or `https://` URL inside free text (an argument, an error message) redacted.
pub fn redact_text(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(start) = find_url_start(rest) {
        out.push_str(&rest[..start]);
        let candidate = &rest[start..];
        let end = candidate
            .find(|c: char| c.is_whitespace() || matches!(c, '"' | '\'' | '<' | '>' | '`' | ')'))
            .unwrap_or(candidate.len());
        out.push_str(&redact_url(&candidate[..end]));
        rest = &candidate[end..];
    }
    out.push_str(rest);
    out
}

fn find_url_start(text: &str) -> Option<usize> {
    let lower = text.to_ascii_lowercase();
    [lower.find("http://"), lower.find("https://")]
        .into_iter()
        .flatten()
        .min()
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn user_info_and_secret_query_values_are_replaced() {
        assert_eq!(
            redact_url("http://alice:s3cret@10.0.0.1:8000"),
            "http://REDACTED@10.0.0.1:8000"
        );
        assert_eq!(
            redact_url("https://h/?api_key=abc&model=x&Token=t"),
            "https://h/?api_key=REDACTED&model=x&Token=REDACTED"
        );
        assert_eq!(redact_url("http://127.0.0.1:8000"), "http://127.0.0.1:8000");
        assert_eq!(redact_url("not a url"), "not a url");
        assert_eq!(
            redact_text("--url=http://u:p@h:1 and (https://h?secret=1)"),
            "--url=http://REDACTED@h:1 and (https://h/?secret=REDACTED)"
        );
    }

    proptest! {
        #[test]
        fn a_password_never_survives(password in "[a-zA-Z0-9]{6,20}", before in "[ a-z=]{0,10}") {
            let text = format!("{before}http://user:{password}@127.0.0.1:9/?token={password}x");
            let redacted = redact_text(&text);
            prop_assert!(!redacted.contains(&password), "{}", redacted);
        }
    }
}
