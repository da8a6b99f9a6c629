//! `flowdesk doctor`: check a home folder after a crash, a full disk or a
//! damaged file, repair what is safe (`--fix`), or put the last backup of the
//! database back (`--restore`). It works on a home folder the other commands
//! refuse to open, so it goes to the service's doctor directly.

use super::fail;
use crate::config::Config;
use crate::service::doctor::{self, Report};

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
    if as_json {
        let document = serde_json::json!({
            "healthy": report.healthy(),
            "findings": report.findings,
        });
        println!(
            "{}",
            serde_json::to_string_pretty(&document).unwrap_or_default()
        );
    } else {
        print(&report, fix || restore);
    }
    if report.healthy() {
        0
    } else {
        super::EXIT_USER_ERROR
    }
}

fn print(report: &Report, repaired: bool) {
    for finding in &report.findings {
        let mark = match (finding.ok, finding.fixed) {
            (true, _) => "ok     ",
            (false, true) => "fixed  ",
            (false, false) => "PROBLEM",
        };
        println!("{mark} {}: {}", finding.check, finding.message);
    }
    let open = report.findings.iter().filter(|f| !f.ok && !f.fixed).count();
    if open == 0 {
        println!("\nthe home folder is healthy");
    } else if repaired {
        println!("\n{open} problem(s) need your attention (see above)");
    } else {
        println!("\n{open} problem(s); `flowdesk doctor --fix` repairs what it safely can");
    }
}
