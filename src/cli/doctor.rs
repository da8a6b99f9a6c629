//! `flowdesk doctor`: check the home folder after a crash, a full disk or a
//! damaged file, repair what is safe (`--fix`), or put the last backup of the
//! database back (`--restore`). It runs before any backend is opened, since it
//! must work on a home folder the backend refuses (an emptied database).

use super::{fail, print_json};
use crate::client::doctor::{self, DoctorReport};
use crate::client::ClientError;
use crate::config::Config;

pub fn run(config: Config, fix: bool, restore: bool, as_json: bool) -> i32 {
    let report = if restore {
        doctor::restore(&config)
    } else {
        doctor::examine(&config, fix)
    };
    let report = match report {
        Ok(report) => report,
        Err(e) => return fail(e),
    };
    let printed = if as_json {
        print_json(&serde_json::json!({
            "healthy": report.healthy(),
            "checks": report.checks,
        }))
    } else {
        print(&report, fix || restore)
    };
    match printed {
        Err(ClientError::Output(e)) if e.kind() == std::io::ErrorKind::BrokenPipe => 0,
        Err(e) => fail(e),
        Ok(()) if report.healthy() => 0,
        Ok(()) => super::EXIT_USER_ERROR,
    }
}

fn print(report: &DoctorReport, repaired: bool) -> Result<(), ClientError> {
    for check in &report.checks {
        let mark = match (check.ok, check.fixed) {
            (true, _) => "ok     ",
            (false, true) => "fixed  ",
            (false, false) => "PROBLEM",
        };
        say!("{mark} {}: {}", check.name, check.detail);
    }
    let open = report.checks.iter().filter(|c| !c.ok && !c.fixed).count();
    say!("");
    if open == 0 {
        say!("the home folder is healthy");
    } else if repaired {
        say!("{open} problem(s) need your attention (see above)");
    } else {
        say!("{open} problem(s); `flowdesk doctor --fix` repairs what it safely can");
    }
    Ok(())
}
