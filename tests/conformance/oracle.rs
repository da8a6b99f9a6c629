//! The oracle: one `tests/oracle/flowserv_oracle.py` process (flowserv-core
//! 0.9.4) that answers a batch of cases, one JSON line each way.

use serde_json::Value;
use std::io::{BufRead, BufReader, Write};
use std::path::Path;
use std::process::{Command, Stdio};

/// Answer every case, in order. Panics (naming the case) if the driver dies.
pub fn ask(python: &Path, cases: &[Value]) -> Vec<Value> {
    if cases.is_empty() {
        return Vec::new();
    }
    let driver = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/oracle/flowserv_oracle.py");
    let mut child = Command::new(python)
        .arg(&driver)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        // The runs flowServ makes use this interpreter as `${python}`.
        .env_remove("PYTHONPATH")
        .spawn()
        .unwrap_or_else(|e| panic!("cannot start `{}`: {e}", python.display()));
    let mut stdin = child.stdin.take().unwrap();
    let input: String = cases.iter().map(|c| format!("{c}\n")).collect();
    // Written from another thread: the driver answers while we still write.
    let writer = std::thread::spawn(move || {
        let _ = stdin.write_all(input.as_bytes());
    });
    let reader = BufReader::new(child.stdout.take().unwrap());
    let mut answers = Vec::with_capacity(cases.len());
    for line in reader.lines() {
        let line = line.expect("oracle output");
        answers.push(serde_json::from_str::<Value>(&line).expect("oracle answers JSON"));
        if answers.len() == cases.len() {
            break;
        }
    }
    let _ = writer.join();
    let _ = child.wait();
    assert_eq!(
        answers.len(),
        cases.len(),
        "the oracle stopped after {} of {} cases; the next was {}",
        answers.len(),
        cases.len(),
        cases
            .get(answers.len())
            .map(|c| c.to_string())
            .unwrap_or_default()
    );
    for (case, answer) in cases.iter().zip(&answers) {
        assert_eq!(case["id"], answer["id"], "answers out of order");
    }
    answers
}

/// The oracle's value with its markers turned into flowdesk's forms: a float
/// JSON cannot hold is the text Python prints for it.
pub fn normalize(value: &Value) -> Value {
    match value {
        Value::Object(map) if map.len() == 1 && map.contains_key("$float") => map["$float"].clone(),
        Value::Object(map) if map.len() == 1 && map.contains_key("$file") => map["$file"].clone(),
        Value::Object(map) => {
            Value::Object(map.iter().map(|(k, v)| (k.clone(), normalize(v))).collect())
        }
        Value::Array(items) => Value::Array(items.iter().map(normalize).collect()),
        other => other.clone(),
    }
}
