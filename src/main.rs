//! `wangge`: the command line. Thin: parses arguments, calls the libraries, prints summaries.

mod cli;

use std::process::ExitCode;

fn main() -> ExitCode {
    quiet_on_closed_pipe();
    match cli::run() {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {e:#}");
            ExitCode::from(cli::exit::status(&e))
        }
    }
}

/// `wangge ... | head` closes stdout early; print! then panics. Exit quietly with the code a
/// process killed by SIGPIPE has (141), as shell tools do, instead of a panic trace.
#[allow(unsafe_code)]
fn quiet_on_closed_pipe() {
    // Rust ignores SIGPIPE, so printing to a closed pipe (`wangge ... | head`) panics; the
    // default action ends the process quietly with status 141 as other command-line tools do,
    // and no panic message has to be recognised by its text.
    // SAFETY: setting a signal's disposition to the default at start, before any thread.
    unsafe {
        libc::signal(libc::SIGPIPE, libc::SIG_DFL);
    }
}
