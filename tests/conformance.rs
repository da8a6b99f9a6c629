//! The differential suite: flowdesk against the real flowserv-core 0.9.4 on
//! the same cases.
//!
//! Static cases (hundreds, generated with a seeded generator) compare what
//! both accept or refuse, the parameter declarations they see, argument
//! casting, the commands the serial engine runs for given arguments, result
//! values read from result documents, and the order of leaderboards. Run
//! cases install every sample template and a generated set in both, run them
//! with the same arguments and compare states, result values, file lists,
//! both rankings and the post-processing run.
//!
//! A case may exercise one of flowdesk's listed differences
//! (`flowdesk::template::compat::DIFFERENCES`) on purpose; any other
//! disagreement fails the test and prints the case with both answers. The
//! differences found must be exactly the listed ones.
//!
//! `FLOWDESK_CONFORMANCE_SEED` picks another corpus (the seed is printed),
//! `FLOWDESK_CONFORMANCE_CASES` its size (static cases; default 2000).
//! flowServ comes from `target/pyenv` (or `FLOWDESK_ORACLE_PYTHON`); without it
//! the test is skipped, except under `CI`, where it fails.

mod common;
#[path = "conformance/compare.rs"]
mod compare;
#[path = "conformance/generate.rs"]
mod generate;
#[path = "conformance/oracle.rs"]
mod oracle;
#[path = "conformance/rng.rs"]
mod rng;
#[path = "conformance/runs.rs"]
mod runs;

use compare::Outcome;
use flowdesk::template::compat::DIFFERENCES;
use generate::Case;
use serde_json::Value;
use std::collections::{BTreeMap, BTreeSet};

const DEFAULT_SEED: u64 = 0x0f10_5e4f_0094;
const DEFAULT_CASES: usize = 2000;
const GENERATED_RUN_CASES: usize = 12;

#[derive(Default)]
struct Tally {
    compared: usize,
    agreed: usize,
    by_kind: BTreeMap<&'static str, (usize, usize)>,
    found: BTreeMap<&'static str, usize>,
    failures: Vec<String>,
}

impl Tally {
    fn add(&mut self, kind: &'static str, outcome: Outcome) {
        self.compared += 1;
        let entry = self.by_kind.entry(kind).or_default();
        entry.0 += 1;
        match outcome {
            Outcome::Agree => {
                self.agreed += 1;
                entry.1 += 1;
            }
            Outcome::Known(id) => *self.found.entry(id).or_default() += 1,
            Outcome::Disagree(text) => self.failures.push(text),
        }
    }
}

fn env_number(name: &str) -> Option<u64> {
    let text = std::env::var(name).ok()?;
    let text = text.trim();
    match text.strip_prefix("0x") {
        Some(hex) => u64::from_str_radix(hex, 16).ok(),
        None => text.parse().ok(),
    }
}

#[test]
fn flowdesk_agrees_with_flowserv_0_9_4() {
    let Some(oracle_python) = common::flowserv_python("flowdesk_agrees_with_flowserv_0_9_4") else {
        return;
    };
    let Some(python) = common::python_without_flowserv("flowdesk_agrees_with_flowserv_0_9_4")
    else {
        return;
    };
    let seed = env_number("FLOWDESK_CONFORMANCE_SEED").unwrap_or(DEFAULT_SEED);
    let total = env_number("FLOWDESK_CONFORMANCE_CASES")
        .map(|n| n as usize)
        .unwrap_or(DEFAULT_CASES);
    let mut rng = rng::Rng::new(seed);

    // Static cases, in proportions that give every kind a fair share.
    let mut cases: Vec<(&'static str, Case)> = Vec::new();
    for i in 0..total {
        let id = cases.len();
        let case = match i % 10 {
            0 | 1 => ("template", generate::template_case(&mut rng, id)),
            2..=4 => ("cast", generate::cast_case(&mut rng, id)),
            5..=7 => ("expand", generate::expand_case(&mut rng, id)),
            8 => ("results", generate::results_case(&mut rng, id)),
            _ => ("ranking", generate::ranking_case(&mut rng, id)),
        };
        cases.push(case);
    }
    // Run cases: every sample, a generated set, and a second install under
    // a taken name.
    let samples = common::samples();
    let mut run_cases = runs::sample_cases(&samples);
    run_cases.push(runs::spaced_include_case());
    for i in 0..GENERATED_RUN_CASES {
        run_cases.push(runs::generated_case(&mut rng, i));
    }

    let mut requests: Vec<Value> = cases.iter().map(|(_, c)| c.request.clone()).collect();
    let first_run = requests.len();
    for (i, case) in run_cases.iter().enumerate() {
        requests.push(case.request(first_run + i));
    }
    // The oracle answers everything in one process while flowdesk runs the
    // run cases, two at a time.
    let python_dir = oracle_python.parent().unwrap().to_path_buf();
    let next = std::sync::atomic::AtomicUsize::new(0);
    let runs_started = std::time::Instant::now();
    let (answers, ours) = std::thread::scope(|scope| {
        let oracle = scope.spawn(|| {
            let start = std::time::Instant::now();
            let answers = oracle::ask(&oracle_python, &requests);
            (answers, start.elapsed())
        });
        let workers: Vec<_> = (0..2)
            .map(|_| {
                scope.spawn(|| {
                    let mut done = Vec::new();
                    loop {
                        let i = next.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                        let Some(case) = run_cases.get(i) else {
                            break done;
                        };
                        done.push((i, runs::flowdesk_answer(case, &python, &python_dir)));
                    }
                })
            })
            .collect();
        let mut ours: Vec<(usize, Value)> = workers
            .into_iter()
            .flat_map(|w| w.join().expect("a flowdesk run worker panicked"))
            .collect();
        ours.sort_by_key(|(i, _)| *i);
        let (answers, oracle_time) = oracle.join().expect("the oracle client panicked");
        println!(
            "conformance: flowServ answered {} cases in {:.1} s; flowdesk's runs took {:.1} s",
            requests.len(),
            oracle_time.as_secs_f64(),
            runs_started.elapsed().as_secs_f64()
        );
        (answers, ours)
    });

    let mut tally = Tally::default();
    let boards = compare::Boards::new();
    for (id, ((kind, case), theirs)) in cases.iter().zip(&answers).enumerate() {
        let outcome = match *kind {
            "template" => compare::compare_template(case, theirs),
            "cast" => compare::compare_cast(case, theirs),
            "expand" => compare::compare_expand(case, theirs),
            "results" => compare::compare_results(case, theirs),
            _ => boards.compare(id, case, theirs),
        };
        tally.add(kind, outcome);
    }
    for ((case, theirs), (_, ours)) in run_cases.iter().zip(&answers[first_run..]).zip(&ours) {
        tally.add("run", runs::compare(case, ours, theirs));
    }
    tally.add(
        "duplicate name",
        runs::duplicate_name(&oracle_python, &samples, &python),
    );

    let listed: BTreeSet<&str> = DIFFERENCES.iter().map(|d| d.id).collect();
    let found: BTreeSet<&str> = tally.found.keys().copied().collect();
    println!(
        "conformance (seed {seed:#x}): {} cases compared, {} agreements, {} listed differences shown by {} cases",
        tally.compared,
        tally.agreed,
        found.len(),
        tally.found.values().sum::<usize>()
    );
    for (kind, (n, agreed)) in &tally.by_kind {
        println!("  {kind}: {n} cases, {agreed} agree");
    }
    for (id, n) in &tally.found {
        println!("  difference {id}: {n} cases");
    }
    assert!(
        tally.failures.is_empty(),
        "{} disagreements with flowServ 0.9.4 (seed {seed:#x}) that are not listed differences:\n\n{}",
        tally.failures.len(),
        tally.failures.join("\n\n")
    );
    assert!(
        tally.compared >= 500,
        "only {} cases compared",
        tally.compared
    );
    assert_eq!(
        found,
        listed,
        "the differences found (left) must be exactly the listed ones (right): listed but not shown {:?}, shown but not listed {:?}",
        listed.difference(&found).collect::<Vec<_>>(),
        found.difference(&listed).collect::<Vec<_>>()
    );
}
