//! The wrapped command's process group. The command is started as the leader of a group of its
//! own, so that whatever it starts (a plan script's `report run`, a backgrounded load generator)
//! can be signalled with it and ended when the recording ends, instead of sending load unseen.

use std::time::Duration;

/// How often the group is looked at while waiting for it to empty.
const POLL: Duration = Duration::from_millis(50);

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ProcessGroup {
    id: i32,
}

impl ProcessGroup {
    /// The group led by `leader` (spawned with `process_group(0)`, so the ids are equal).
    pub fn led_by(leader: u32) -> Option<Self> {
        i32::try_from(leader)
            .ok()
            .filter(|id| *id > 1)
            .map(|id| Self { id })
    }

    pub fn signal(&self, signal: i32) {
        // SAFETY: killpg(2) takes two integers and has no memory effects; the id is a group we
        // created (> 1, so never "every process" or our own group).
        unsafe {
            libc::killpg(self.id, signal);
        }
    }

    /// Processes of the group still running (zombies, which no longer run, are not counted:
    /// an orphan is reaped by whoever adopted it, maybe late or never).
    pub fn running(&self) -> Vec<i32> {
        let Ok(entries) = std::fs::read_dir("/proc") else {
            return self.running_without_proc();
        };
        entries
            .flatten()
            .filter_map(|e| e.file_name().to_str()?.parse::<i32>().ok())
            .filter(|pid| {
                std::fs::read_to_string(format!("/proc/{pid}/stat"))
                    .ok()
                    .and_then(|stat| parse_stat(&stat))
                    .is_some_and(|(state, group)| group == self.id && state != 'Z' && state != 'X')
            })
            .collect()
    }

    /// Without /proc only "some process of the group exists" can be known.
    fn running_without_proc(&self) -> Vec<i32> {
        // SAFETY: signal 0 only checks that the group exists; no memory effects.
        let exists = unsafe { libc::killpg(self.id, 0) } == 0;
        if exists { vec![self.id] } else { Vec::new() }
    }

    /// Ends what is left of the group: SIGTERM, then SIGKILL for what still runs after `grace`.
    /// Returns how many processes had to be ended.
    pub async fn end(&self, grace: Duration) -> usize {
        let left = self.running().len();
        if left == 0 {
            return 0;
        }
        self.signal(libc::SIGTERM);
        let deadline = tokio::time::Instant::now() + grace;
        while !self.running().is_empty() {
            if tokio::time::Instant::now() >= deadline {
                self.signal(libc::SIGKILL);
                break;
            }
            tokio::time::sleep(POLL).await;
        }
        left
    }
}

/// (state, process group) from `/proc/PID/stat`: `pid (comm) state ppid pgrp ...`, where comm
/// may itself hold spaces and parentheses, so the fields are counted from the last `)`.
fn parse_stat(stat: &str) -> Option<(char, i32)> {
    let rest = &stat[stat.rfind(')')? + 1..];
    let mut fields = rest.split_whitespace();
    let state = fields.next()?.chars().next()?;
    let _parent = fields.next()?;
    let group = fields.next()?.parse().ok()?;
    Some((state, group))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stat_fields_are_counted_from_the_last_parenthesis() {
        assert_eq!(
            parse_stat("4242 (sh) S 4241 4242 4200 0 -1"),
            Some(('S', 4242))
        );
        assert_eq!(
            parse_stat("77 (a) b (c) Z 1 70 70 0"),
            Some(('Z', 70)),
            "a command name with spaces and parentheses"
        );
        assert_eq!(parse_stat("garbage"), None);
    }

    #[test]
    fn no_group_for_pid_zero_or_one() {
        assert_eq!(ProcessGroup::led_by(0), None);
        assert_eq!(ProcessGroup::led_by(1), None);
        assert!(ProcessGroup::led_by(4242).is_some());
    }
}
