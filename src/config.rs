//! Settings that come from the environment (`FLOWSERV_*` as in the reference,
//! `FLOWDESK_*` for what is ours).

/// The Python interpreter that `${python}` stands for: `FLOWDESK_PYTHON`, else
/// `python3`, else `python`, whichever is found on `PATH` first.
pub fn default_python() -> String {
    if let Ok(python) = std::env::var("FLOWDESK_PYTHON") {
        if !python.trim().is_empty() {
            return python;
        }
    }
    for candidate in ["python3", "python"] {
        if find_on_path(candidate).is_some() {
            return candidate.to_string();
        }
    }
    "python3".to_string()
}

/// The first executable called `program` on `PATH`.
pub fn find_on_path(program: &str) -> Option<std::path::PathBuf> {
    let path = std::env::var_os("PATH")?;
    std::env::split_paths(&path)
        .map(|dir| dir.join(program))
        .find(|candidate| candidate.is_file())
}
