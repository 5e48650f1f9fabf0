//! Credentials in URLs are not written into a session: a session folder is meant to be shared,
//! and load tests are often pointed at `https://user:pass@host/?api_key=...`. Only the secret
//! parts change; the rest of the text stays as it was, byte for byte.

/// What replaces a secret.
pub const HIDDEN: &str = "***";

/// Query or fragment parameters whose name holds one of these (any case) carry a secret.
const SECRET_NAMES: [&str; 9] = [
    "key",
    "token",
    "secret",
    "password",
    "passwd",
    "pwd",
    "auth",
    "credential",
    "signature",
];

/// `text` with, in every `scheme://...` URL, the user-info (`user:pass@`) and the values of
/// secret-named parameters replaced by `***`.
pub fn redact_urls(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(found) = rest.find("://") {
        let scheme_len = scheme_length(&rest[..found]);
        if scheme_len == 0 {
            out.push_str(&rest[..found + 3]);
            rest = &rest[found + 3..];
            continue;
        }
        out.push_str(&rest[..found + 3]);
        let after = &rest[found + 3..];
        let end = after.find(ends_url).unwrap_or(after.len());
        out.push_str(&redact_after_scheme(&after[..end]));
        rest = &after[end..];
    }
    out.push_str(rest);
    out
}

/// One URL (a `--url` value) with its credentials hidden; any other text comes back unchanged.
pub fn redact_url(text: &str) -> String {
    redact_urls(text)
}

/// Free text (an argument, an error message) with the credentials of every URL in it hidden.
pub fn redact_text(text: &str) -> String {
    redact_urls(text)
}

/// Length of the scheme that ends `before` (letters, digits, `+ - .`, starting with a letter).
fn scheme_length(before: &str) -> usize {
    let tail: Vec<char> = before
        .chars()
        .rev()
        .take_while(|c| c.is_ascii_alphanumeric() || matches!(c, '+' | '-' | '.'))
        .collect();
    // The scheme's first character is the last one read backwards; skip leading non-letters.
    let mut len = tail.len();
    while len > 0 && !tail[len - 1].is_ascii_alphabetic() {
        len -= 1;
    }
    len
}

fn ends_url(c: char) -> bool {
    c.is_whitespace() || c.is_control() || matches!(c, '"' | '\'' | '<' | '>' | '`' | '\\')
}

/// `authority/path?query#fragment` with the secrets hidden.
fn redact_after_scheme(url: &str) -> String {
    let authority_end = url.find(['/', '?', '#']).unwrap_or(url.len());
    let (authority, tail) = url.split_at(authority_end);
    let mut out = match authority.rfind('@') {
        Some(at) => format!("{HIDDEN}{}", &authority[at..]),
        None => authority.to_string(),
    };
    let (path_and_query, fragment) = match tail.find('#') {
        Some(hash) => (&tail[..hash], Some(&tail[hash + 1..])),
        None => (tail, None),
    };
    match path_and_query.find('?') {
        Some(q) => {
            out.push_str(&path_and_query[..=q]);
            out.push_str(&redact_parameters(&path_and_query[q + 1..]));
        }
        None => out.push_str(path_and_query),
    }
    if let Some(fragment) = fragment {
        out.push('#');
        // OAuth's implicit flow puts `access_token=` in the fragment.
        out.push_str(&redact_parameters(fragment));
    }
    out
}

/// `a=1&api_key=x` → `a=1&api_key=***`.
fn redact_parameters(parameters: &str) -> String {
    let parts: Vec<String> = parameters
        .split('&')
        .map(|part| match part.split_once('=') {
            Some((name, value)) if !value.is_empty() && is_secret_name(name) => {
                format!("{name}={HIDDEN}")
            }
            _ => part.to_string(),
        })
        .collect();
    parts.join("&")
}

fn is_secret_name(name: &str) -> bool {
    let lower = name.to_ascii_lowercase();
    SECRET_NAMES.iter().any(|s| lower.contains(s)) || lower == "sig"
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn user_info_and_secret_parameters_are_hidden_and_the_rest_kept() {
        assert_eq!(
            redact_urls("load http://bob:hunter2@10.0.0.5:8000/chat?api_key=abc&n=3 now"),
            "load http://***@10.0.0.5:8000/chat?api_key=***&n=3 now"
        );
        assert_eq!(
            redact_urls(r#"{"url": "https://ghp_x1@github.com/a#access_token=t0k&x=1"}"#),
            r#"{"url": "https://***@github.com/a#access_token=***&x=1"}"#
        );
        assert_eq!(
            redact_urls("s3://b/o?X-Amz-Signature=ff&Sig=1&sig=2&Token=&page=2"),
            "s3://b/o?X-Amz-Signature=***&Sig=***&sig=***&Token=&page=2"
        );
        assert_eq!(
            redact_urls("no url: a://b ://c user:pass@host"),
            "no url: a://b ://c user:pass@host",
            "nothing to hide; a bare user:pass@ without a scheme is not a URL"
        );
        assert_eq!(
            redact_urls("http://h/p?a=1 and ftp://u:p@h"),
            "http://h/p?a=1 and ftp://***@h"
        );
    }

    fn word() -> impl Strategy<Value = String> {
        "[A-Za-z0-9_.~-]{1,12}"
    }

    proptest! {
        #[test]
        fn secrets_never_survive_and_redaction_is_idempotent(
            before in "[ -~]{0,20}",
            after in "[ -~]{0,20}",
            user in word(),
            password in "[A-Za-z0-9]{8,16}",
            token in "[A-Za-z0-9]{8,16}",
            name in prop::sample::select(vec!["key", "api_key", "TOKEN", "client_secret", "password", "auth"]),
        ) {
            prop_assume!(!before.contains("://") && !after.contains("://"));
            let password = format!("P4ss{password}");
            let token = format!("T0k{token}");
            let text = format!("{before} https://{user}:{password}@h:1/p?{name}={token}&n=1 {after}");
            let once = redact_urls(&text);
            prop_assert!(!once.contains(&password), "{once}");
            prop_assert!(!once.contains(&token), "{once}");
            prop_assert!(once.starts_with(&before) && once.ends_with(&after), "{once}");
            prop_assert_eq!(redact_urls(&once), once.clone());
        }

        #[test]
        fn text_without_a_url_is_unchanged(text in "\\PC{0,80}") {
            prop_assume!(!text.contains("://"));
            prop_assert_eq!(redact_urls(&text), text);
        }
    }
}
