//! The audit lines of the commands that change a workspace: who (`cli` and the system user,
//! with the admin's role: whoever runs the CLI holds the file), what, and the ids changed.

use wangge_io::Store;

/// Appends one line to the workspace's audit log.
pub fn record(store: &dyn Store, action: &str, detail: &str) -> anyhow::Result<()> {
    let user = std::env::var("USER")
        .or_else(|_| std::env::var("LOGNAME"))
        .unwrap_or_else(|_| "unknown".into());
    store.audit(&format!("cli {user} scope *"), "admin", action, detail)?;
    Ok(())
}
