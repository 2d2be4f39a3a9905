//! Running child processes: print the command, run it in the workspace root, report failures.

use std::ffi::OsString;
use std::io::{BufRead, BufReader, Write};
use std::path::{Path, PathBuf};
use std::process::{Command, ExitStatus, Stdio};

use crate::Failure;

/// The workspace root: the parent of the xtask's own manifest directory.
pub fn workspace_root() -> PathBuf {
    // `cargo run` sets CARGO_MANIFEST_DIR at run time too; prefer it in case the checkout
    // moved since the binary was built.
    let manifest_dir = std::env::var_os("CARGO_MANIFEST_DIR")
        .map_or_else(|| PathBuf::from(env!("CARGO_MANIFEST_DIR")), PathBuf::from);
    manifest_dir
        .parent()
        .map_or_else(|| manifest_dir.clone(), Path::to_path_buf)
}

/// A command to run in the workspace root.
#[derive(Debug, Clone)]
pub struct Cmd {
    /// What to execute.
    program: OsString,
    /// How to show the program when printing the command line.
    shown_as: String,
    args: Vec<String>,
    envs: Vec<(String, String)>,
    env_removes: Vec<String>,
}

impl Cmd {
    /// Cargo, through `$CARGO` (which `cargo xtask` sets), or `cargo`.
    pub fn cargo() -> Self {
        let program = std::env::var_os("CARGO").unwrap_or_else(|| OsString::from("cargo"));
        Self {
            program,
            shown_as: "cargo".to_owned(),
            args: Vec::new(),
            envs: Vec::new(),
            env_removes: Vec::new(),
        }
    }

    /// Any program found on `PATH`.
    pub fn new(program: &str) -> Self {
        Self {
            program: OsString::from(program),
            shown_as: program.to_owned(),
            args: Vec::new(),
            envs: Vec::new(),
            env_removes: Vec::new(),
        }
    }

    /// Appends arguments.
    pub fn args<I, S>(mut self, args: I) -> Self
    where
        I: IntoIterator<Item = S>,
        S: Into<String>,
    {
        self.args.extend(args.into_iter().map(Into::into));
        self
    }

    /// Sets an environment variable for the child.
    pub fn env(mut self, key: &str, value: &str) -> Self {
        self.envs.push((key.to_owned(), value.to_owned()));
        self
    }

    /// Removes an environment variable from the child's environment.
    pub fn env_remove(mut self, key: &str) -> Self {
        self.env_removes.push(key.to_owned());
        self
    }

    /// The command line as a shell would take it, e.g. `RUSTDOCFLAGS='-D warnings' cargo doc`.
    pub fn display(&self) -> String {
        let mut parts: Vec<String> = self
            .envs
            .iter()
            .map(|(k, v)| format!("{k}={}", shell_quote(v)))
            .collect();
        parts.push(shell_quote(&self.shown_as));
        parts.extend(self.args.iter().map(|a| shell_quote(a)));
        parts.join(" ")
    }

    fn command(&self) -> Command {
        let mut command = Command::new(&self.program);
        command.args(&self.args).current_dir(workspace_root());
        for key in &self.env_removes {
            command.env_remove(key);
        }
        for (key, value) in &self.envs {
            command.env(key, value);
        }
        command
    }

    fn spawn_error(&self, err: &std::io::Error) -> Failure {
        Failure::new(format!("could not start `{}`: {err}", self.display()))
    }

    fn status_error(&self, status: ExitStatus) -> Failure {
        Failure::new(format!("`{}` failed ({status})", self.display()))
    }

    /// Prints the command line, then runs it with inherited stdio; fails unless it exits 0.
    pub fn run(&self) -> Result<(), Failure> {
        println!("$ {}", self.display());
        let status = self.command().status().map_err(|e| self.spawn_error(&e))?;
        if status.success() {
            Ok(())
        } else {
            Err(self.status_error(status))
        }
    }

    /// Prints the command line, runs it and returns its stdout (stderr goes to ours);
    /// fails unless it exits 0.
    pub fn output(&self) -> Result<String, Failure> {
        println!("$ {}", self.display());
        let output = self
            .command()
            .stderr(Stdio::inherit())
            .output()
            .map_err(|e| self.spawn_error(&e))?;
        if output.status.success() {
            Ok(String::from_utf8_lossy(&output.stdout).into_owned())
        } else {
            Err(self.status_error(output.status))
        }
    }

    /// Runs the command silently; true when it could start and exited 0.
    pub fn succeeds_quietly(&self) -> bool {
        self.command()
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .status()
            .is_ok_and(|s| s.success())
    }

    /// Prints the command line and runs it, passing its stdout through line by line to
    /// `on_line` as well as to ours. Returns whether it exited 0.
    pub fn run_teeing(&self, mut on_line: impl FnMut(&str)) -> Result<bool, Failure> {
        println!("$ {}", self.display());
        let mut child = self
            .command()
            .stdout(Stdio::piped())
            .spawn()
            .map_err(|e| self.spawn_error(&e))?;
        if let Some(stdout) = child.stdout.take() {
            let mut reader = BufReader::new(stdout);
            let mut line = Vec::new();
            let mut out = std::io::stdout().lock();
            loop {
                line.clear();
                match reader.read_until(b'\n', &mut line) {
                    Ok(0) | Err(_) => break,
                    Ok(_) => {
                        // A closed stdout is no reason to stop the child; ignore write errors.
                        let _ = out.write_all(&line);
                        let _ = out.flush();
                        on_line(&String::from_utf8_lossy(&line));
                    }
                }
            }
        }
        let status = child.wait().map_err(|e| self.spawn_error(&e))?;
        Ok(status.success())
    }
}

/// Quotes `s` for a POSIX shell when it needs it.
fn shell_quote(s: &str) -> String {
    let plain = !s.is_empty()
        && s.chars()
            .all(|c| c.is_ascii_alphanumeric() || "-_./=:,+@%".contains(c));
    if plain {
        s.to_owned()
    } else {
        format!("'{}'", s.replace('\'', r"'\''"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn display_quotes_what_a_shell_needs_quoted() {
        let cmd = Cmd::cargo()
            .args(["doc", "--workspace"])
            .env("RUSTDOCFLAGS", "-D warnings");
        assert_eq!(
            cmd.display(),
            "RUSTDOCFLAGS='-D warnings' cargo doc --workspace"
        );
        let git = Cmd::new("git").args(["status", "--", "*.snap"]);
        assert_eq!(git.display(), "git status -- '*.snap'");
        assert_eq!(shell_quote("it's"), r"'it'\''s'");
        assert_eq!(shell_quote(""), "''");
    }

    #[test]
    fn workspace_root_holds_the_workspace_manifest() {
        assert!(workspace_root().join("Cargo.toml").is_file());
        assert!(workspace_root().join("xtask").is_dir());
    }
}
