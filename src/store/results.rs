//! Result values of successful runs: one table per benchmark, one row per run, one
//! typed column per result-schema column.
//!
//! A leaderboard reads every successful run of a benchmark, up to 100,000 of them,
//! within 50 ms. One row per run is what makes that possible: a row-per-value
//! layout triples the rows to read and needs a join to put them back together,
//! which measured twice as slow before any ranking. A benchmark's columns are fixed when it is
//! installed (a template cannot change afterwards), so its table is created then,
//! with the columns named by position (`c0`, `c1`, …; schema names may be anything,
//! and SQLite names are case-insensitive) and the schema name as a comment. The
//! table also keeps a copy of what the leaderboard shows about the run (its
//! submission's `seq`, its timestamps): a finished run never changes, so the copy
//! cannot go stale, and the leaderboard then never touches the wide `runs` rows.
//! Every column read costs: a scan of 100,000 rows measured about 3 ms per column,
//! so the three timestamps share one 24-byte `times` blob, and the submission is
//! its integer `seq`, not its 32-character id, which would cost a hash of the text
//! per row on top.
//!
//! Rows are written only by the transaction that makes a run SUCCESS and leave with
//! the run through the foreign key's cascade, so the table holds exactly the
//! benchmark's successful submission runs.

use super::rows;
use crate::error::StoreError;
use crate::template::{ColumnType, ResultSchema, ResultValue};
use chrono::{DateTime, Utc};
use rusqlite::types::{ToSqlOutput, Value, ValueRef};
use rusqlite::{params_from_iter, Connection, OptionalExtension};
use std::fmt::Write as _;

/// The columns of a row before the values.
pub(super) const FIXED_COLUMNS: &str = "run_id, submission, times";
const FIXED_COUNT: usize = 3;

/// A benchmark's result table as the stored schema describes it.
pub(super) struct ResultTable {
    pub workflow_id: String,
    /// Quoted, ready to paste into SQL.
    pub name: String,
    /// Schema column names and types, in schema order (= position in the table).
    pub columns: Vec<(String, ColumnType)>,
}

impl ResultTable {
    pub fn position(&self, column: &str) -> Result<usize, StoreError> {
        self.columns
            .iter()
            .position(|(name, _)| name == column)
            .ok_or_else(|| StoreError::UnknownColumn {
                workflow: self.workflow_id.clone(),
                column: column.to_string(),
            })
    }

    /// `c0, c1, …` for the given positions.
    pub fn value_columns(positions: impl IntoIterator<Item = usize>) -> String {
        positions
            .into_iter()
            .map(|position| format!("c{position}"))
            .collect::<Vec<_>>()
            .join(", ")
    }
}

/// Derived from the workflow id, which is unique and never changes. Hex-encoded
/// because ids may hold any character and table names ignore case.
fn table_name(workflow_id: &str) -> String {
    let mut name = String::from("\"results_");
    for byte in workflow_id.bytes() {
        let _ = write!(name, "{byte:02x}");
    }
    name.push('"');
    name
}

fn sql_type(dtype: ColumnType) -> &'static str {
    match dtype {
        ColumnType::Int => "INTEGER",
        ColumnType::Float => "REAL",
        ColumnType::String => "TEXT",
    }
}

pub(super) fn create_table(
    conn: &Connection,
    workflow_id: &str,
    schema: &ResultSchema,
) -> Result<(), StoreError> {
    let mut sql = format!(
        "CREATE TABLE {} (
            run_id        TEXT NOT NULL UNIQUE REFERENCES runs(id) ON DELETE CASCADE,
            submission    INTEGER NOT NULL, -- submissions.seq
            -- created, started, finished: little-endian i64 µs since 1970 (UTC)
            times         BLOB NOT NULL",
        table_name(workflow_id)
    );
    for (position, column) in schema.columns.iter().enumerate() {
        // The comment makes the file readable with any SQLite tool.
        let label: String = column
            .name
            .chars()
            .map(|c| {
                if c.is_alphanumeric() || " _-.".contains(c) {
                    c
                } else {
                    '?'
                }
            })
            .collect();
        let _ = write!(
            sql,
            ",\n            c{position} {} /* {label} */",
            sql_type(column.dtype)
        );
    }
    sql.push_str("\n        )");
    conn.execute_batch(&sql)?;
    Ok(())
}

pub(super) fn drop_table(conn: &Connection, workflow_id: &str) -> Result<(), StoreError> {
    conn.execute_batch(&format!("DROP TABLE IF EXISTS {}", table_name(workflow_id)))?;
    Ok(())
}

/// The benchmark's result table; `None` when its template has no result schema.
pub(super) fn load(
    conn: &Connection,
    workflow_id: &str,
) -> Result<Option<ResultTable>, StoreError> {
    let schema: Option<String> = conn
        .prepare_cached("SELECT result_schema FROM workflows WHERE id = ?1")?
        .query_row([workflow_id], |row| row.get(0))
        .optional()?
        .ok_or_else(|| rows::not_found("benchmark", workflow_id))?;
    let Some(schema) = schema else {
        return Ok(None);
    };
    let schema = rows::decode_schema(
        &schema,
        &format!("benchmark '{workflow_id}': result schema"),
    )?;
    Ok(Some(ResultTable {
        workflow_id: workflow_id.to_string(),
        name: table_name(workflow_id),
        columns: schema
            .columns
            .into_iter()
            .map(|column| (column.name, column.dtype))
            .collect(),
    }))
}

/// When a run was created, started and finished.
pub(super) struct Timing {
    pub created: DateTime<Utc>,
    pub started: DateTime<Utc>,
    pub finished: DateTime<Utc>,
}

impl Timing {
    fn encode(&self) -> Vec<u8> {
        [self.created, self.started, self.finished]
            .iter()
            .flat_map(|time| time.timestamp_micros().to_le_bytes())
            .collect()
    }
}

/// The `times` column: created, started and finished in microseconds, each in the
/// range `DateTime` can hold.
pub(super) fn decode_times(value: ValueRef<'_>) -> Result<[i64; 3], StoreError> {
    // ±250,000 years, inside chrono's range; a comparison is far cheaper than
    // building the date, which measured 5% of a leaderboard scan.
    const RANGE: std::ops::RangeInclusive<i64> =
        -8_000_000_000_000_000_000..=8_000_000_000_000_000_000;
    let bytes = match value {
        ValueRef::Blob(bytes) if bytes.len() == 24 => bytes,
        other => {
            return Err(StoreError::Corrupt(format!(
                "result row times: expected 24 bytes, found a {:?}",
                other.data_type()
            )))
        }
    };
    let mut times = [0i64; 3];
    for (time, chunk) in times.iter_mut().zip(bytes.chunks_exact(8)) {
        let mut word = [0u8; 8];
        word.copy_from_slice(chunk);
        *time = i64::from_le_bytes(word);
        if !RANGE.contains(time) {
            return Err(StoreError::Corrupt(format!(
                "result row time {time} µs is out of range"
            )));
        }
    }
    Ok(times)
}

/// Store a run's values; columns not given are NULL. Values must have their
/// column's type (an integer is accepted for a float column).
pub(super) fn write_row(
    conn: &Connection,
    table: &ResultTable,
    run_id: &str,
    submission: i64,
    timing: &Timing,
    values: &[(String, Option<ResultValue>)],
) -> Result<(), StoreError> {
    let mut bound: Vec<ToSqlOutput<'_>> = vec![
        ToSqlOutput::Borrowed(ValueRef::Text(run_id.as_bytes())),
        ToSqlOutput::Owned(Value::Integer(submission)),
        ToSqlOutput::Owned(Value::Blob(timing.encode())),
    ];
    bound.extend(std::iter::repeat_n(
        ToSqlOutput::Owned(Value::Null),
        table.columns.len(),
    ));
    let mut seen = vec![false; table.columns.len()];
    for (name, value) in values {
        let position = table.position(name)?;
        if std::mem::replace(&mut seen[position], true) {
            return Err(StoreError::Invalid {
                what: format!("run '{run_id}'"),
                message: format!("result column '{name}' is given twice"),
            });
        }
        bound[FIXED_COUNT + position] = encode(value.as_ref(), name, table.columns[position].1)?;
    }
    let placeholders = vec!["?"; bound.len()].join(", ");
    let sql = format!(
        "INSERT INTO {} ({FIXED_COLUMNS}, {}) VALUES ({placeholders})",
        table.name,
        ResultTable::value_columns(0..table.columns.len())
    );
    conn.prepare_cached(&sql)?
        .execute(params_from_iter(bound))?;
    Ok(())
}

fn encode<'a>(
    value: Option<&'a ResultValue>,
    column: &str,
    dtype: ColumnType,
) -> Result<ToSqlOutput<'a>, StoreError> {
    Ok(match (value, dtype) {
        (None, _) => ToSqlOutput::Owned(Value::Null),
        (Some(ResultValue::Int(i)), ColumnType::Int) => ToSqlOutput::Owned(Value::Integer(*i)),
        (Some(ResultValue::Int(i)), ColumnType::Float) => {
            ToSqlOutput::Owned(Value::Real(*i as f64))
        }
        // SQLite has no NaN; it would silently become NULL.
        (Some(ResultValue::Float(f)), ColumnType::Float) if !f.is_nan() => {
            ToSqlOutput::Owned(Value::Real(*f))
        }
        (Some(ResultValue::String(s)), ColumnType::String) => {
            ToSqlOutput::Borrowed(ValueRef::Text(s.as_bytes()))
        }
        (Some(other), _) => {
            return Err(StoreError::ResultType {
                column: column.to_string(),
                expected: dtype.name(),
                value: match other {
                    ResultValue::String(s) => format!("'{s}'"),
                    ResultValue::Int(i) => i.to_string(),
                    ResultValue::Float(f) => f.to_string(),
                },
            })
        }
    })
}

/// A stored value as the column's type.
pub(super) fn decode(
    value: ValueRef<'_>,
    dtype: ColumnType,
) -> Result<Option<ResultValue>, StoreError> {
    Ok(Some(match (value, dtype) {
        (ValueRef::Null, _) => return Ok(None),
        (ValueRef::Integer(i), ColumnType::Int) => ResultValue::Int(i),
        (ValueRef::Integer(i), ColumnType::Float) => ResultValue::Float(i as f64),
        (ValueRef::Real(f), ColumnType::Float) => ResultValue::Float(f),
        (ValueRef::Text(text), ColumnType::String) => ResultValue::String(
            std::str::from_utf8(text)
                .map_err(|e| StoreError::Corrupt(format!("result text: {e}")))?
                .to_string(),
        ),
        (other, dtype) => {
            return Err(StoreError::Corrupt(format!(
                "a {:?} value in a result column of type {}",
                other.data_type(),
                dtype.name()
            )))
        }
    }))
}

/// A run's values in schema order; empty when the run has none (not successful,
/// or a post-processing run).
pub(super) fn read_row(
    conn: &Connection,
    table: &ResultTable,
    run_id: &str,
) -> Result<Vec<(String, Option<ResultValue>)>, StoreError> {
    let sql = format!(
        "SELECT {} FROM {} WHERE run_id = ?1",
        ResultTable::value_columns(0..table.columns.len()),
        table.name
    );
    let mut statement = conn.prepare_cached(&sql)?;
    let mut rows = statement.query([run_id])?;
    let Some(row) = rows.next()? else {
        return Ok(Vec::new());
    };
    table
        .columns
        .iter()
        .enumerate()
        .map(|(position, (name, dtype))| {
            Ok((name.clone(), decode(row.get_ref(position)?, *dtype)?))
        })
        .collect()
}
