//! Leaderboards: a benchmark's successful submission runs ranked by result columns.
//!
//! Ranking happens here in Rust, not in SQL: for 100,000 runs an `ORDER BY` (or a
//! window function for best-per-submission) measured 75–120 ms, most of it in
//! SQLite's sorter, while one plain scan of the result table takes about 20 ms and
//! sorting compact keys in Rust a few more. Order: the requested columns, each
//! ascending or descending with missing values last, then the earlier finish
//! (flowServ's tie-break), then creation time and insertion order so that equal
//! rows still come out the same way every time.
//!
//! Best-per-submission reads only the sort columns of every run, keeps the best per
//! submission as it goes, and fetches full rows for the winners alone.
//!
//! The result is a compact `Leaderboard`, not a vector of entries: every value is
//! decoded and every row ranked, but the row data stays in flat buffers (all text
//! in one string) and a `LeaderboardEntry` is built only when asked for. A table
//! that shows 30 of 100,000 rows builds 30 entries. Building all 100,000 owned
//! entries up front (three to five allocations each) measured 50–70 ms on its
//! own, more than the query.

use super::results::{self, ResultTable, FIXED_COLUMNS};
use super::{time, Store};
use crate::error::StoreError;
use crate::stats::Spread;
use crate::template::{ColumnType, ResultSchema, ResultValue, SortColumn};
use chrono::{DateTime, Utc};
use rusqlite::types::ValueRef;
use rusqlite::{Connection, Row};
use serde::ser::{SerializeSeq as _, SerializeStruct as _};
use serde::Serialize;
use std::borrow::Cow;
use std::cmp::Ordering;
use std::collections::{HashMap, HashSet};
use std::hash::{BuildHasherDefault, Hasher};

/// One line of a leaderboard.
#[derive(Debug, Clone, PartialEq)]
pub struct LeaderboardEntry {
    /// 1-based position.
    pub rank: usize,
    pub run_id: String,
    pub submission_id: String,
    pub submission_name: String,
    pub created_at: DateTime<Utc>,
    pub started_at: DateTime<Utc>,
    pub finished_at: DateTime<Utc>,
    /// Seconds from start to finish.
    pub duration: f64,
    /// Column name and value, in the order of the schema's columns. For a run
    /// set, the mean of each numeric column (a text column keeps a value all
    /// its runs share).
    pub values: Vec<(String, Option<ResultValue>)>,
    /// Set when the line stands for a run set: its runs and the spread of each
    /// column (`run_id` is then its newest run).
    pub run_set: Option<RunSetEntry>,
}

/// The runs of a run set on one leaderboard line, and their spread.
#[derive(Debug, Clone, PartialEq)]
pub struct RunSetEntry {
    pub id: String,
    /// Its successful runs (those ranked), oldest first.
    pub runs: Vec<String>,
    /// Per column, in the order of `LeaderboardEntry::values`: mean, sample
    /// standard deviation and count of its numeric values.
    pub columns: Vec<(String, Option<Spread>)>,
}

/// Which runs a leaderboard ranks.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct BoardOptions {
    /// Every successful run on its own line, instead of the best line per
    /// submission (where a run set is one line).
    pub all_runs: bool,
    /// Only runs whose latest reproduction reproduced them (exactly or within
    /// tolerance).
    pub reproduced_only: bool,
}

impl LeaderboardEntry {
    pub fn value(&self, column: &str) -> Option<&ResultValue> {
        self.values
            .iter()
            .find(|(name, _)| name == column)
            .and_then(|(_, value)| value.as_ref())
    }
}

/// As the CLI prints it: timestamps in flowServ's format, values keyed by column.
impl Serialize for LeaderboardEntry {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        struct Values<'a>(&'a [(String, Option<ResultValue>)]);
        impl Serialize for Values<'_> {
            fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
                serializer.collect_map(self.0.iter().map(|(name, value)| (name, value)))
            }
        }
        let mut entry = serializer.serialize_struct("LeaderboardEntry", 9)?;
        entry.serialize_field("rank", &self.rank)?;
        entry.serialize_field("run_id", &self.run_id)?;
        entry.serialize_field("submission_id", &self.submission_id)?;
        entry.serialize_field("submission_name", &self.submission_name)?;
        entry.serialize_field("created_at", &time::format(&self.created_at))?;
        entry.serialize_field("started_at", &time::format(&self.started_at))?;
        entry.serialize_field("finished_at", &time::format(&self.finished_at))?;
        entry.serialize_field("duration", &self.duration)?;
        entry.serialize_field("values", &Values(&self.values))?;
        if let Some(set) = &self.run_set {
            entry.serialize_field("run_set", &SetJson(set))?;
        }
        entry.end()
    }
}

/// A run set as the CLI prints it: `{"id", "runs", "columns": {name: {"mean",
/// "std", "n"}}}`.
struct SetJson<'a>(&'a RunSetEntry);

impl Serialize for SetJson<'_> {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        struct Columns<'a>(&'a [(String, Option<Spread>)]);
        impl Serialize for Columns<'_> {
            fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
                serializer.collect_map(self.0.iter().map(|(name, spread)| {
                    (
                        name,
                        spread.map(|s| serde_json::json!({"mean": s.mean, "std": s.std, "n": s.n})),
                    )
                }))
            }
        }
        let mut set = serializer.serialize_struct("RunSet", 3)?;
        set.serialize_field("id", &self.0.id)?;
        set.serialize_field("runs", &self.0.runs)?;
        set.serialize_field("columns", &Columns(&self.0.columns))?;
        set.end()
    }
}

/// A ranked leaderboard. Entries are built on request; `run_id` and `len` are free.
#[derive(Debug, Clone)]
pub struct Leaderboard {
    /// Output column names, in schema order.
    columns: Vec<String>,
    /// For each output column, its offset among a row's stored values.
    offsets: Vec<usize>,
    /// Stored values per row.
    width: usize,
    /// In rank order.
    ranked: Vec<Candidate>,
    /// Indexed by `Candidate::row`.
    runs: Vec<RunFacts>,
    /// `width` values per row, indexed by `Candidate::row`.
    values: Vec<Scanned>,
    /// The text of run ids and string values (UTF-8, as SQLite hands it out;
    /// checked when an entry is built, not for every row read).
    text: Vec<u8>,
    /// Id and name, indexed by `Candidate::submission`.
    submissions: Vec<(String, String)>,
    /// The lines that stand for run sets, by `Candidate::row`.
    sets: HashMap<u32, SetRow>,
}

/// A run set's line: which set, its runs, the spread per table column.
#[derive(Debug, Clone)]
struct SetRow {
    id: String,
    runs: Vec<String>,
    spreads: Vec<Option<Spread>>,
}

impl Leaderboard {
    pub fn len(&self) -> usize {
        self.ranked.len()
    }

    pub fn is_empty(&self) -> bool {
        self.ranked.is_empty()
    }

    /// The value columns, in schema order.
    pub fn columns(&self) -> &[String] {
        &self.columns
    }

    /// The run at `index` (rank `index + 1`).
    pub fn run_id(&self, index: usize) -> Option<Cow<'_, str>> {
        let candidate = self.ranked.get(index)?;
        Some(self.text(self.runs.get(candidate.row as usize)?.run_id))
    }

    /// Run ids in rank order: what post-processing is computed for.
    pub fn run_ids(&self) -> impl Iterator<Item = Cow<'_, str>> + '_ {
        (0..self.len()).filter_map(|index| self.run_id(index))
    }

    /// The entry at `index` (rank `index + 1`).
    pub fn entry(&self, index: usize) -> Option<LeaderboardEntry> {
        let candidate = self.ranked.get(index)?;
        let run = self.runs.get(candidate.row as usize)?;
        let (submission_id, submission_name) =
            self.submissions.get(candidate.submission as usize)?;
        let start = candidate.row as usize * self.width;
        let values = self
            .columns
            .iter()
            .zip(&self.offsets)
            .map(|(name, offset)| (name.clone(), self.value(self.values[start + offset])))
            .collect();
        // The scan checked the range, so the fallback is never taken.
        let instant = |micros| DateTime::from_timestamp_micros(micros).unwrap_or_default();
        Some(LeaderboardEntry {
            rank: index + 1,
            run_id: self.text(run.run_id).into_owned(),
            submission_id: submission_id.clone(),
            submission_name: submission_name.clone(),
            created_at: instant(run.created),
            started_at: instant(run.started),
            finished_at: instant(candidate.finished),
            duration: (candidate.finished - run.started) as f64 / 1e6,
            values,
            run_set: self.sets.get(&candidate.row).map(|set| RunSetEntry {
                id: set.id.clone(),
                runs: set.runs.clone(),
                columns: self
                    .columns
                    .iter()
                    .zip(&self.offsets)
                    .map(|(name, offset)| {
                        (name.clone(), set.spreads.get(*offset).copied().flatten())
                    })
                    .collect(),
            }),
        })
    }

    /// All entries in rank order, built one at a time.
    pub fn iter(&self) -> impl Iterator<Item = LeaderboardEntry> + '_ {
        (0..self.len()).filter_map(|index| self.entry(index))
    }

    /// All entries at once (100,000 entries take tens of milliseconds).
    pub fn entries(&self) -> Vec<LeaderboardEntry> {
        self.iter().collect()
    }

    /// Text this store wrote is valid UTF-8; anything else shows replacement
    /// characters rather than failing a whole leaderboard.
    fn text(&self, (start, length): (u32, u32)) -> Cow<'_, str> {
        let bytes = self
            .text
            .get(start as usize..start as usize + length as usize)
            .unwrap_or_default();
        String::from_utf8_lossy(bytes)
    }

    fn value(&self, value: Scanned) -> Option<ResultValue> {
        match value {
            Scanned::Null => None,
            Scanned::Int(i) => Some(ResultValue::Int(i)),
            Scanned::Float(f) => Some(ResultValue::Float(f)),
            Scanned::Text(start, length) => {
                Some(ResultValue::String(self.text((start, length)).into_owned()))
            }
        }
    }
}

/// A list of entries, built one at a time as written.
impl Serialize for Leaderboard {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let mut list = serializer.serialize_seq(Some(self.len()))?;
        for entry in self.iter() {
            list.serialize_element(&entry)?;
        }
        list.end()
    }
}

/// One run as sorting sees it: 32 bytes, because sorting moves it around.
#[derive(Debug, Clone, Copy)]
struct Candidate {
    /// The first sort column folded into one integer that orders like the value
    /// (see `primary_key`), so most comparisons never look at the values.
    primary: u128,
    finished: i64,
    /// Its position in the scan, which runs in rowid (insertion) order: the
    /// tie-break of last resort. Once ranked, where its data is.
    row: u32,
    submission: u32,
}

/// What an entry shows of a run besides its values.
#[derive(Debug, Clone, Copy)]
struct RunFacts {
    run_id: (u32, u32),
    created: i64,
    started: i64,
}

/// A value as read; text is a range of `Leaderboard::text`.
#[derive(Debug, Clone, Copy)]
enum Scanned {
    Null,
    Int(i64),
    Float(f64),
    Text(u32, u32),
}

/// A value as compared, borrowed from wherever it is kept.
#[derive(Debug, Clone, Copy)]
enum Key<'a> {
    Null,
    Int(i64),
    Float(f64),
    Text(&'a [u8]),
}

fn key_of(value: &Option<ResultValue>) -> Key<'_> {
    match value {
        None => Key::Null,
        Some(ResultValue::Int(i)) => Key::Int(*i),
        Some(ResultValue::Float(f)) => Key::Float(*f),
        Some(ResultValue::String(s)) => Key::Text(s.as_bytes()),
    }
}

/// The value part of a primary key: 127 bits.
const CODE: u128 = (1 << 127) - 1;

/// Text keys hold this many leading bytes; longer strings may tie on the key.
const TEXT_PREFIX: usize = 15;

/// An integer that sorts like the value. Bit 127 marks a missing value, which
/// sorts after every present one in either direction; below it, an
/// order-preserving code of the value, inverted for descending order. Numbers map
/// exactly; text maps to its first 15 bytes and its length capped at 15 (so "ab"
/// sorts before "ab\0"), which decides every pair unless both are 15 bytes or
/// longer and share their first 15.
fn primary_key(value: Key<'_>, descending: bool) -> u128 {
    let code = match value {
        Key::Null => return u128::MAX,
        Key::Int(i) => u128::from((i as u64) ^ (1 << 63)) << 63,
        Key::Float(f) => {
            // -0.0 == 0.0 for `compare_keys`, so they must share a key.
            let bits = if f == 0.0 { 0 } else { f.to_bits() };
            let ordered = if bits >> 63 == 1 {
                !bits
            } else {
                bits | (1 << 63)
            };
            u128::from(ordered) << 63
        }
        Key::Text(bytes) => {
            let mut key = [0u8; 16];
            let length = bytes.len().min(TEXT_PREFIX);
            key[..length].copy_from_slice(&bytes[..length]);
            // Shifted left one so that the shift into 127 bits below keeps it.
            key[15] = (length as u8) << 1;
            u128::from_be_bytes(key) >> 1
        }
    };
    if descending {
        code ^ CODE
    } else {
        code
    }
}

/// Whether two runs with this (equal) primary key have equal first sort values.
fn primary_decides(primary: u128, text: Option<bool>) -> bool {
    match text {
        None => true,
        Some(_) if primary == u128::MAX => true,
        Some(descending) => {
            let code = if descending { primary ^ CODE } else { primary };
            // The low 7 bits hold the capped length.
            ((code & 0x7f) as usize) < TEXT_PREFIX
        }
    }
}

/// Missing values last whatever the direction. A column holds one type; mixed
/// pairs only get some consistent order.
fn compare_keys(a: Key<'_>, b: Key<'_>, descending: bool) -> Ordering {
    let ordering = match (a, b) {
        (Key::Null, Key::Null) => return Ordering::Equal,
        (Key::Null, _) => return Ordering::Greater,
        (_, Key::Null) => return Ordering::Less,
        (Key::Int(a), Key::Int(b)) => a.cmp(&b),
        (Key::Text(a), Key::Text(b)) => a.cmp(b),
        (Key::Text(_), _) => Ordering::Greater,
        (_, Key::Text(_)) => Ordering::Less,
        (a, b) => number(a).partial_cmp(&number(b)).unwrap_or(Ordering::Equal),
    };
    if descending {
        ordering.reverse()
    } else {
        ordering
    }
}

fn number(key: Key<'_>) -> f64 {
    match key {
        Key::Int(i) => i as f64,
        Key::Float(f) => f,
        Key::Null | Key::Text(_) => f64::NAN,
    }
}

/// The requested order: per sort column, the offset of its value among a row's
/// values, and the direction.
struct Ranking {
    order: Vec<(usize, bool)>,
    /// `Some(descending)` when the first sort column is text, whose primary key
    /// may tie where the values differ.
    first_text: Option<bool>,
}

impl Ranking {
    /// `key(offset)` gives the run's value at an offset.
    fn primary<'v>(&self, key: impl Fn(usize) -> Key<'v>) -> u128 {
        match self.order.first() {
            Some(&(offset, descending)) => primary_key(key(offset), descending),
            None => 0,
        }
    }

    /// `key(candidate, offset)` gives a candidate's value at an offset.
    fn compare<'v>(
        &self,
        a: &Candidate,
        b: &Candidate,
        key: impl Fn(&Candidate, usize) -> Key<'v>,
    ) -> Ordering {
        let first = a.primary.cmp(&b.primary);
        if first != Ordering::Equal {
            return first;
        }
        let skip = usize::from(primary_decides(a.primary, self.first_text));
        for &(offset, descending) in self.order.iter().skip(skip) {
            let ordering = compare_keys(key(a, offset), key(b, offset), descending);
            if ordering != Ordering::Equal {
                return ordering;
            }
        }
        Self::tie_break(a, b)
    }

    fn tie_break(a: &Candidate, b: &Candidate) -> Ordering {
        a.finished.cmp(&b.finished).then(a.row.cmp(&b.row))
    }

    fn sort<'v>(&self, candidates: &mut [Candidate], key: impl Fn(&Candidate, usize) -> Key<'v>) {
        if self.order.len() <= 1 && self.first_text.is_none() {
            // The keys alone decide: no need to look at any value.
            candidates.sort_unstable_by_key(|c| (c.primary, c.finished, c.row));
        } else {
            candidates.sort_unstable_by(|a, b| self.compare(a, b, &key));
        }
    }
}

/// Where a scan puts what it reads.
struct Buffers {
    values: Vec<Scanned>,
    text: Vec<u8>,
}

impl Buffers {
    fn push_text(&mut self, value: ValueRef<'_>) -> Result<(u32, u32), StoreError> {
        let text = bytes(value)?;
        let start = u32::try_from(self.text.len())
            .map_err(|_| StoreError::Corrupt("leaderboard text exceeds 4 GB".into()))?;
        self.text.extend_from_slice(text);
        Ok((start, text.len() as u32))
    }

    /// Read a value as its column's type (see `results::decode`).
    fn push_value(&mut self, value: ValueRef<'_>, dtype: ColumnType) -> Result<(), StoreError> {
        let scanned = match (value, dtype) {
            (ValueRef::Null, _) => Scanned::Null,
            (ValueRef::Integer(i), ColumnType::Int) => Scanned::Int(i),
            (ValueRef::Integer(i), ColumnType::Float) => Scanned::Float(i as f64),
            (ValueRef::Real(f), ColumnType::Float) => Scanned::Float(f),
            (ValueRef::Text(_), ColumnType::String) => {
                let (start, length) = self.push_text(value)?;
                Scanned::Text(start, length)
            }
            (other, dtype) => {
                return Err(StoreError::Corrupt(format!(
                    "a {:?} value in a result column of type {}",
                    other.data_type(),
                    dtype.name()
                )))
            }
        };
        self.values.push(scanned);
        Ok(())
    }

    fn key(&self, value: Scanned) -> Key<'_> {
        match value {
            Scanned::Null => Key::Null,
            Scanned::Int(i) => Key::Int(i),
            Scanned::Float(f) => Key::Float(f),
            Scanned::Text(start, length) => Key::Text(
                self.text
                    .get(start as usize..start as usize + length as usize)
                    .unwrap_or_default(),
            ),
        }
    }
}

fn bytes(value: ValueRef<'_>) -> Result<&[u8], StoreError> {
    value
        .as_bytes()
        .map_err(|e| StoreError::Corrupt(format!("result table text: {e}")))
}

/// A fast hash for the lookup done once per row (FxHash's mixing step). The keys
/// come from this database, so there is no flooding to defend against.
#[derive(Default)]
struct SeqHasher(u64);

impl Hasher for SeqHasher {
    fn write(&mut self, bytes: &[u8]) {
        for &byte in bytes {
            self.write_u64(u64::from(byte));
        }
    }

    fn write_i64(&mut self, value: i64) {
        self.write_u64(value as u64);
    }

    fn write_u64(&mut self, value: u64) {
        self.0 = (self.0.rotate_left(5) ^ value).wrapping_mul(0x51_7c_c1_b7_27_22_0a_95);
    }

    fn finish(&self) -> u64 {
        self.0
    }
}

/// The benchmark's submissions: ids and names by index, and the index by id.
struct Submissions {
    list: Vec<(String, String)>,
    /// Index in `list` by `seq`.
    index: HashMap<i64, u32, BuildHasherDefault<SeqHasher>>,
}

impl Submissions {
    fn load(conn: &Connection, workflow_id: &str) -> Result<Submissions, StoreError> {
        let mut statement =
            conn.prepare_cached("SELECT seq, id, name FROM submissions WHERE workflow_id = ?1")?;
        let mut list = Vec::new();
        let mut index = HashMap::default();
        let mut rows = statement.query([workflow_id])?;
        while let Some(row) = rows.next()? {
            index.insert(row.get::<_, i64>(0)?, list.len() as u32);
            list.push((row.get(1)?, row.get(2)?));
        }
        Ok(Submissions { list, index })
    }

    /// `None` for a submission that is not the benchmark's, which the cascade
    /// from submissions to runs to results rules out.
    fn of(&self, row: &Row<'_>, column: usize) -> Result<Option<u32>, StoreError> {
        Ok(self.index.get(&row.get::<_, i64>(column)?).copied())
    }
}

/// Everything that shapes one leaderboard query.
struct Query<'a> {
    table: ResultTable,
    /// Output columns: schema name and table position.
    output: Vec<(String, usize)>,
    /// Sort columns: table position and direction.
    order: Vec<(usize, bool)>,
    submissions: Submissions,
    conn: &'a Connection,
}

impl Store {
    /// The ranking of `workflow_id`'s successful submission runs by `order` (or, if
    /// empty, the schema's default order): the best run of each submission, or
    /// every run when `all_runs`. Values come in `schema`'s column order.
    pub fn leaderboard(
        &self,
        workflow_id: &str,
        schema: &ResultSchema,
        order: &[SortColumn],
        all_runs: bool,
    ) -> Result<Leaderboard, StoreError> {
        let options = BoardOptions {
            all_runs,
            reproduced_only: false,
        };
        self.leaderboard_with(workflow_id, schema, order, options)
    }

    /// [`Store::leaderboard`] with every option: run sets are one line each
    /// unless `all_runs`, ranked by their means.
    pub fn leaderboard_with(
        &self,
        workflow_id: &str,
        schema: &ResultSchema,
        order: &[SortColumn],
        options: BoardOptions,
    ) -> Result<Leaderboard, StoreError> {
        let all_runs = options.all_runs;
        let mut conn = self.read();
        // One snapshot for all the queries: rows found by the first are still there,
        // with the same rowids, for the second.
        let transaction = conn.transaction()?;
        let table = results::load(&transaction, workflow_id)?.ok_or_else(|| {
            StoreError::NoResultSchema {
                workflow: workflow_id.to_string(),
            }
        })?;
        let output = schema
            .columns
            .iter()
            .map(|column| Ok((column.name.clone(), table.position(&column.name)?)))
            .collect::<Result<Vec<_>, StoreError>>()?;
        let default_order;
        let order = if order.is_empty() {
            default_order = schema.effective_order();
            &default_order
        } else {
            order
        };
        let order = order
            .iter()
            .map(|column| Ok((table.position(&column.name)?, column.sort_desc)))
            .collect::<Result<Vec<_>, StoreError>>()?;
        let query = Query {
            submissions: Submissions::load(&transaction, workflow_id)?,
            order,
            output,
            table,
            conn: &transaction,
        };
        let sets = if all_runs {
            HashMap::new()
        } else {
            set_members(&transaction, workflow_id)?
        };
        let only = if options.reproduced_only {
            Some(reproduced_runs(&transaction, workflow_id)?)
        } else {
            None
        };
        match (all_runs, sets.is_empty() && only.is_none()) {
            (true, true) => query.all_runs(),
            (false, true) => query.best_per_submission(),
            (_, false) => query.grouped(all_runs, sets, only),
        }
    }
}

/// The set of every successful run of the benchmark that belongs to one.
fn set_members(
    conn: &Connection,
    workflow_id: &str,
) -> Result<HashMap<String, String>, StoreError> {
    let mut statement = conn.prepare_cached(
        "SELECT id, run_set FROM runs
         WHERE workflow_id = ?1 AND run_set IS NOT NULL AND state = 'SUCCESS'",
    )?;
    let rows = statement.query_map([workflow_id], |row| Ok((row.get(0)?, row.get(1)?)))?;
    Ok(rows.collect::<rusqlite::Result<HashMap<String, String>>>()?)
}

/// The runs whose latest finished reproduction reproduced them.
fn reproduced_runs(conn: &Connection, workflow_id: &str) -> Result<HashSet<String>, StoreError> {
    let mut statement = conn.prepare_cached(
        "SELECT p.run_id, p.outcome FROM reproductions p JOIN runs r ON r.id = p.run_id
         WHERE r.workflow_id = ?1 AND p.outcome IS NOT NULL ORDER BY p.seq",
    )?;
    let mut latest: HashMap<String, bool> = HashMap::new();
    let mut rows = statement.query([workflow_id])?;
    while let Some(row) = rows.next()? {
        let outcome: String = row.get(1)?;
        latest.insert(row.get(0)?, outcome != "differs");
    }
    Ok(latest
        .into_iter()
        .filter_map(|(run, reproduced)| reproduced.then_some(run))
        .collect())
}

impl Query<'_> {
    /// See `Ranking::first_text`.
    fn first_text(&self) -> Option<bool> {
        self.order
            .first()
            .filter(|&&(position, _)| self.table.columns[position].1 == ColumnType::String)
            .map(|&(_, descending)| descending)
    }

    /// A leaderboard whose rows hold every table column, in table order.
    fn finish(self, ranked: Vec<Candidate>, runs: Vec<RunFacts>, buffers: Buffers) -> Leaderboard {
        let (columns, offsets) = self.output.into_iter().unzip();
        Leaderboard {
            columns,
            offsets,
            width: self.table.columns.len(),
            ranked,
            runs,
            values: buffers.values,
            text: buffers.text,
            submissions: self.submissions.list,
            sets: HashMap::new(),
        }
    }

    fn all_runs(self) -> Result<Leaderboard, StoreError> {
        let width = self.table.columns.len();
        // Rowids are dense unless runs were deleted: a good guess at the count.
        let expected: i64 = self.conn.query_row(
            &format!("SELECT coalesce(max(rowid), 0) FROM {}", self.table.name),
            [],
            |row| row.get(0),
        )?;
        let expected = usize::try_from(expected).unwrap_or(0).min(10_000_000);
        let mut candidates: Vec<Candidate> = Vec::with_capacity(expected);
        let mut runs: Vec<RunFacts> = Vec::with_capacity(expected);
        let mut buffers = Buffers {
            values: Vec::with_capacity(expected * width),
            text: Vec::with_capacity(expected * 40),
        };
        let ranking = Ranking {
            order: self.order.clone(),
            first_text: self.first_text(),
        };
        let sql = format!(
            "SELECT {FIXED_COLUMNS}, {} FROM {}",
            ResultTable::value_columns(0..width),
            self.table.name
        );
        {
            let mut statement = self.conn.prepare_cached(&sql)?;
            let mut rows = statement.query([])?;
            while let Some(row) = rows.next()? {
                let Some(submission) = self.submissions.of(row, 1)? else {
                    continue;
                };
                let [created, started, finished] = results::decode_times(row.get_ref(2)?)?;
                let start = buffers.values.len();
                for (position, (_, dtype)) in self.table.columns.iter().enumerate() {
                    buffers.push_value(row.get_ref(3 + position)?, *dtype)?;
                }
                candidates.push(Candidate {
                    primary: ranking.primary(|offset| buffers.key(buffers.values[start + offset])),
                    finished,
                    row: runs.len() as u32,
                    submission,
                });
                runs.push(RunFacts {
                    run_id: buffers.push_text(row.get_ref(0)?)?,
                    created,
                    started,
                });
            }
        }
        ranking.sort(&mut candidates, |candidate, offset| {
            buffers.key(buffers.values[candidate.row as usize * width + offset])
        });
        Ok(self.finish(candidates, runs, buffers))
    }

    /// Every run read in full, as for all runs, with what the fast paths cannot
    /// do: only the runs in `only`, and each run set of `sets` (run → set) as
    /// one line of its means; then the best line per submission unless
    /// `all_runs`.
    fn grouped(
        self,
        all_runs: bool,
        sets: HashMap<String, String>,
        only: Option<HashSet<String>>,
    ) -> Result<Leaderboard, StoreError> {
        let width = self.table.columns.len();
        let ranking = Ranking {
            order: self.order.clone(),
            first_text: self.first_text(),
        };
        let mut candidates: Vec<Candidate> = Vec::new();
        let mut runs: Vec<RunFacts> = Vec::new();
        let mut buffers = Buffers {
            values: Vec::new(),
            text: Vec::new(),
        };
        // Per set: id, submission, and its runs as (row, finished).
        type Group = (String, u32, Vec<(u32, i64)>);
        let mut groups: Vec<Group> = Vec::new();
        let mut group_of: HashMap<&str, usize> = HashMap::new();
        let sql = format!(
            "SELECT {FIXED_COLUMNS}, {} FROM {}",
            ResultTable::value_columns(0..width),
            self.table.name
        );
        {
            let mut statement = self.conn.prepare_cached(&sql)?;
            let mut rows = statement.query([])?;
            while let Some(row) = rows.next()? {
                let Some(submission) = self.submissions.of(row, 1)? else {
                    continue;
                };
                let run_id = String::from_utf8_lossy(bytes(row.get_ref(0)?)?).into_owned();
                if only.as_ref().is_some_and(|only| !only.contains(&run_id)) {
                    continue;
                }
                let [created, started, finished] = results::decode_times(row.get_ref(2)?)?;
                let start = buffers.values.len();
                for (position, (_, dtype)) in self.table.columns.iter().enumerate() {
                    buffers.push_value(row.get_ref(3 + position)?, *dtype)?;
                }
                let index = runs.len() as u32;
                runs.push(RunFacts {
                    run_id: buffers.push_text(row.get_ref(0)?)?,
                    created,
                    started,
                });
                if let Some((set, _)) = sets.get_key_value(&run_id) {
                    let set = &sets[set];
                    let group = match group_of.get(set.as_str()) {
                        Some(&group) => group,
                        None => {
                            groups.push((set.clone(), submission, Vec::new()));
                            group_of.insert(set.as_str(), groups.len() - 1);
                            groups.len() - 1
                        }
                    };
                    groups[group].2.push((index, finished));
                    continue;
                }
                candidates.push(Candidate {
                    primary: ranking.primary(|offset| buffers.key(buffers.values[start + offset])),
                    finished,
                    row: index,
                    submission,
                });
            }
        }
        let mut set_rows = HashMap::new();
        for (id, submission, members) in groups {
            let (row, finished, spreads) = self.set_line(&members, &mut buffers, &mut runs);
            let start = row as usize * width;
            candidates.push(Candidate {
                primary: ranking.primary(|offset| buffers.key(buffers.values[start + offset])),
                finished,
                row,
                submission,
            });
            let text = |facts: &RunFacts| {
                let (start, length) = facts.run_id;
                String::from_utf8_lossy(&buffers.text[start as usize..(start + length) as usize])
                    .into_owned()
            };
            let member_ids = members
                .iter()
                .map(|(member, _)| text(&runs[*member as usize]))
                .collect();
            set_rows.insert(
                row,
                SetRow {
                    id,
                    runs: member_ids,
                    spreads,
                },
            );
        }
        ranking.sort(&mut candidates, |candidate, offset| {
            buffers.key(buffers.values[candidate.row as usize * width + offset])
        });
        if !all_runs {
            let mut seen = HashSet::new();
            candidates.retain(|candidate| seen.insert(candidate.submission));
        }
        let mut board = self.finish(candidates, runs, buffers);
        board.sets = set_rows;
        Ok(board)
    }

    /// Append the line of a run set whose runs are `members` (row, finished):
    /// the mean of each numeric column, the value of a text column if all runs
    /// agree. It carries the newest run's id, the earliest creation and start,
    /// and the latest finish. Returns its row, finish and spreads.
    fn set_line(
        &self,
        members: &[(u32, i64)],
        buffers: &mut Buffers,
        runs: &mut Vec<RunFacts>,
    ) -> (u32, i64, Vec<Option<Spread>>) {
        let width = self.table.columns.len();
        let mut spreads = Vec::with_capacity(width);
        let mut line = Vec::with_capacity(width);
        for (position, (_, dtype)) in self.table.columns.iter().enumerate() {
            let cells = members
                .iter()
                .map(|(row, _)| buffers.values[*row as usize * width + position]);
            match dtype {
                ColumnType::Int | ColumnType::Float => {
                    let numbers: Vec<f64> = cells
                        .filter_map(|cell| match cell {
                            Scanned::Int(i) => Some(i as f64),
                            Scanned::Float(f) => Some(f),
                            _ => None,
                        })
                        .collect();
                    let spread = crate::stats::spread(&numbers);
                    line.push(spread.map_or(Scanned::Null, |s| Scanned::Float(s.mean)));
                    spreads.push(spread);
                }
                ColumnType::String => {
                    let mut cells = cells.peekable();
                    let first = cells.peek().copied();
                    let shared = first.filter(|first| {
                        let first = buffers.key(*first);
                        cells.all(|cell| {
                            compare_keys(buffers.key(cell), first, false) == Ordering::Equal
                                && !matches!(buffers.key(cell), Key::Null)
                        })
                    });
                    line.push(shared.unwrap_or(Scanned::Null));
                    spreads.push(None);
                }
            }
        }
        buffers.values.extend(line);
        let newest = members
            .iter()
            .max_by_key(|(row, finished)| (*finished, *row))
            .map(|(row, _)| runs[*row as usize])
            .unwrap_or(RunFacts {
                run_id: (0, 0),
                created: 0,
                started: 0,
            });
        let facts = |f: fn(&RunFacts) -> i64| {
            members
                .iter()
                .map(|(row, _)| f(&runs[*row as usize]))
                .min()
                .unwrap_or(0)
        };
        let line_facts = RunFacts {
            run_id: newest.run_id,
            created: facts(|r| r.created),
            started: facts(|r| r.started),
        };
        let finished = members.iter().map(|(_, f)| *f).max().unwrap_or(0);
        runs.push(line_facts);
        ((runs.len() - 1) as u32, finished, spreads)
    }

    fn best_per_submission(self) -> Result<Leaderboard, StoreError> {
        let width = self.order.len();
        let sql = format!(
            "SELECT rowid, submission, times{}{} FROM {}",
            if width == 0 { "" } else { ", " },
            ResultTable::value_columns(self.order.iter().map(|&(position, _)| position)),
            self.table.name
        );
        // Pass 1 sees only the sort columns, at offsets 0.. of each row.
        let ranking = Ranking {
            order: (0..width)
                .zip(&self.order)
                .map(|(offset, &(_, descending))| (offset, descending))
                .collect(),
            first_text: self.first_text(),
        };
        let submissions = self.submissions.list.len();
        // Per submission, its best run so far and that run's rowid.
        let mut best: Vec<Option<(Candidate, i64)>> = vec![None; submissions];
        // The sort values of each submission's best run so far, then one scratch
        // row for the run being read: memory grows with submissions, not runs.
        let mut kept: Vec<Option<ResultValue>> = vec![None; (submissions + 1) * width];
        let scratch = submissions * width;
        let mut position: u32 = 0;
        {
            let mut statement = self.conn.prepare_cached(&sql)?;
            let mut rows = statement.query([])?;
            while let Some(row) = rows.next()? {
                let Some(submission) = self.submissions.of(row, 1)? else {
                    continue;
                };
                for (offset, &(column, _)) in self.order.iter().enumerate() {
                    let dtype = self.table.columns[column].1;
                    kept[scratch + offset] = results::decode(row.get_ref(3 + offset)?, dtype)?;
                }
                let [_, _, finished] = results::decode_times(row.get_ref(2)?)?;
                let candidate = Candidate {
                    primary: ranking.primary(|offset| key_of(&kept[scratch + offset])),
                    finished,
                    row: position,
                    submission,
                };
                position += 1;
                let slot = submission as usize * width;
                let better = match &best[submission as usize] {
                    None => true,
                    Some((held, _)) => {
                        let key = |candidate: &Candidate, offset: usize| {
                            let base = if candidate.row == held.row {
                                slot
                            } else {
                                scratch
                            };
                            key_of(&kept[base + offset])
                        };
                        ranking.compare(&candidate, held, key) == Ordering::Less
                    }
                };
                if better {
                    for offset in 0..width {
                        kept[slot + offset] = kept[scratch + offset].take();
                    }
                    best[submission as usize] = Some((candidate, row.get(0)?));
                }
            }
        }
        let mut winners: Vec<(Candidate, i64)> = best.into_iter().flatten().collect();
        winners.sort_unstable_by(|(a, _), (b, _)| {
            ranking.compare(a, b, |candidate, offset| {
                key_of(&kept[candidate.submission as usize * width + offset])
            })
        });

        // Pass 2: the winners' full rows, in rank order.
        let columns = self.table.columns.len();
        let sql = format!(
            "SELECT run_id, times, {} FROM {} WHERE rowid = ?1",
            ResultTable::value_columns(0..columns),
            self.table.name
        );
        let mut buffers = Buffers {
            values: Vec::with_capacity(winners.len() * columns),
            text: Vec::new(),
        };
        let mut ranked = Vec::with_capacity(winners.len());
        let mut runs = Vec::with_capacity(winners.len());
        {
            let mut statement = self.conn.prepare_cached(&sql)?;
            for (index, (winner, rowid)) in winners.into_iter().enumerate() {
                let mut rows = statement.query([rowid])?;
                let row = rows.next()?.ok_or_else(|| {
                    StoreError::Corrupt(format!("result row {rowid} vanished while read"))
                })?;
                let [created, started, _] = results::decode_times(row.get_ref(1)?)?;
                runs.push(RunFacts {
                    run_id: buffers.push_text(row.get_ref(0)?)?,
                    created,
                    started,
                });
                for (position, (_, dtype)) in self.table.columns.iter().enumerate() {
                    buffers.push_value(row.get_ref(2 + position)?, *dtype)?;
                }
                ranked.push(Candidate {
                    row: index as u32,
                    ..winner
                });
            }
        }
        Ok(self.finish(ranked, runs, buffers))
    }
}

#[cfg(test)]
mod tests {
    use super::super::fixture::{self, WORKFLOW};
    use super::super::{ImportedRun, RunState};
    use super::*;
    use chrono::TimeDelta;
    use serde_json::json;

    type Values = (Option<f64>, Option<i64>, Option<&'static str>);

    /// A successful run of `submission` that finished `finished_ms` after a fixed
    /// start, with the given score, steps and note.
    fn run(id: &str, submission: &str, finished_ms: i64, values: Values) -> ImportedRun {
        let start = DateTime::from_timestamp(1_800_000_000, 0).unwrap();
        let (score, steps, note) = values;
        ImportedRun {
            id: id.into(),
            workflow_id: WORKFLOW.into(),
            submission_id: Some(submission.into()),
            state: RunState::Success,
            arguments: json!({}),
            created_at: start,
            started_at: Some(start),
            finished_at: Some(start + TimeDelta::milliseconds(finished_ms)),
            messages: Vec::new(),
            files: Vec::new(),
            results: vec![
                ("score".into(), score.map(ResultValue::Float)),
                ("steps".into(), steps.map(ResultValue::Int)),
                ("note".into(), note.map(|n| ResultValue::String(n.into()))),
            ],
        }
    }

    fn order(columns: &[(&str, bool)]) -> Vec<SortColumn> {
        columns
            .iter()
            .map(|&(name, sort_desc)| SortColumn {
                name: name.into(),
                sort_desc,
            })
            .collect()
    }

    fn ids(store: &Store, columns: &[(&str, bool)], all_runs: bool) -> Vec<String> {
        store
            .leaderboard(WORKFLOW, &fixture::schema(), &order(columns), all_runs)
            .unwrap()
            .run_ids()
            .map(Cow::into_owned)
            .collect()
    }

    #[test]
    fn sorts_by_any_column_either_way_with_missing_values_last() {
        let (_dir, store) = fixture::store(&["alpha", "beta"]);
        store
            .insert_runs_bulk(&[
                run("a", "alpha", 10, (Some(0.5), Some(3), Some("b"))),
                run("b", "beta", 20, (Some(0.9), None, Some("a"))),
                run("c", "alpha", 30, (None, Some(1), None)),
                run("d", "beta", 40, (Some(-1.0), Some(7), Some("c"))),
            ])
            .unwrap();
        assert_eq!(ids(&store, &[("score", true)], true), ["b", "a", "d", "c"]);
        assert_eq!(ids(&store, &[("score", false)], true), ["d", "a", "b", "c"]);
        assert_eq!(ids(&store, &[("steps", true)], true), ["d", "a", "c", "b"]);
        assert_eq!(ids(&store, &[("steps", false)], true), ["c", "a", "d", "b"]);
        assert_eq!(ids(&store, &[("note", true)], true), ["d", "a", "b", "c"]);
        assert_eq!(ids(&store, &[("note", false)], true), ["b", "a", "d", "c"]);
        // An empty order is the schema's: score descending.
        assert_eq!(ids(&store, &[], true), ["b", "a", "d", "c"]);
    }

    #[test]
    fn best_run_per_submission_and_the_earlier_finish_wins_ties() {
        let (_dir, store) = fixture::store(&["alpha", "beta", "gamma", "empty"]);
        store
            .insert_runs_bulk(&[
                run("a-late", "alpha", 300, (Some(0.9), None, None)),
                run("a-early", "alpha", 100, (Some(0.9), None, None)),
                run("a-low", "alpha", 50, (Some(0.1), None, None)),
                run("b", "beta", 200, (Some(0.9), None, None)),
                run("g-null", "gamma", 10, (None, None, None)),
                run("g", "gamma", 20, (Some(0.2), None, None)),
            ])
            .unwrap();
        assert_eq!(
            ids(&store, &[("score", true)], false),
            ["a-early", "b", "g"]
        );
        assert_eq!(
            ids(&store, &[("score", true)], true),
            ["a-early", "b", "a-late", "g", "a-low", "g-null"]
        );
        assert_eq!(ids(&store, &[("score", false)], false), ["a-low", "g", "b"]);

        let board = store
            .leaderboard(WORKFLOW, &fixture::schema(), &[], false)
            .unwrap();
        assert_eq!(board.len(), 3);
        let first = board.entry(0).unwrap();
        assert_eq!(first.rank, 1);
        assert_eq!(
            (first.submission_id.as_str(), first.submission_name.as_str()),
            ("alpha", "alpha")
        );
        assert_eq!(first.duration, 0.1);
        assert_eq!(first.value("score"), Some(&ResultValue::Float(0.9)));
        assert_eq!(first.value("steps"), None);
        assert_eq!(board.entry(2).unwrap().rank, 3);
        assert!(board.entry(3).is_none());

        // Names are read when the leaderboard is.
        store.rename_submission("alpha", "Team Alpha").unwrap();
        let board = store
            .leaderboard(WORKFLOW, &fixture::schema(), &[], false)
            .unwrap();
        assert_eq!(board.entry(0).unwrap().submission_name, "Team Alpha");
    }

    #[test]
    fn later_columns_break_ties_of_earlier_ones() {
        let (_dir, store) = fixture::store(&["alpha"]);
        store
            .insert_runs_bulk(&[
                run("x", "alpha", 10, (Some(1.0), Some(5), Some("same"))),
                run("y", "alpha", 20, (Some(1.0), Some(9), Some("same"))),
                run("z", "alpha", 30, (Some(2.0), None, Some("same"))),
            ])
            .unwrap();
        assert_eq!(
            ids(&store, &[("score", false), ("steps", true)], true),
            ["y", "x", "z"]
        );
        assert_eq!(
            ids(&store, &[("note", false), ("steps", true)], true),
            ["y", "x", "z"]
        );
        assert_eq!(ids(&store, &[("note", false)], true), ["x", "y", "z"]);
    }

    #[test]
    fn text_sorts_byte_wise_past_the_key_prefix() {
        let (_dir, store) = fixture::store(&["alpha"]);
        let notes = [
            "configuration-alpha-2",
            "configuration-alpha-10",
            "configuration-alpha",
            "ab",
            "ab\0",
            "",
            "Zeta",
            "é",
            "configuration-alpha-1",
        ];
        let runs: Vec<ImportedRun> = notes
            .iter()
            .enumerate()
            .map(|(i, note)| {
                run(
                    &format!("r{i}"),
                    "alpha",
                    i as i64,
                    (None, None, Some(note)),
                )
            })
            .collect();
        store.insert_runs_bulk(&runs).unwrap();
        let mut expected: Vec<(&str, String)> = notes
            .iter()
            .enumerate()
            .map(|(i, note)| (*note, format!("r{i}")))
            .collect();
        expected.sort();
        let ascending: Vec<String> = expected.iter().map(|(_, id)| id.clone()).collect();
        assert_eq!(ids(&store, &[("note", false)], true), ascending);
        let descending: Vec<String> = ascending.iter().rev().cloned().collect();
        assert_eq!(ids(&store, &[("note", true)], true), descending);
    }

    #[test]
    fn numeric_keys_order_like_the_numbers() {
        let floats = [
            f64::NEG_INFINITY,
            -1e300,
            -1.5,
            -0.0,
            0.0,
            f64::MIN_POSITIVE,
            0.5,
            1e300,
            f64::INFINITY,
        ];
        for pair in floats.windows(2) {
            let (a, b) = (Key::Float(pair[0]), Key::Float(pair[1]));
            assert!(primary_key(a, false) <= primary_key(b, false), "{pair:?}");
            assert!(primary_key(a, true) >= primary_key(b, true), "{pair:?}");
            assert!(primary_key(b, true) < primary_key(Key::Null, true));
        }
        assert_eq!(
            primary_key(Key::Float(-0.0), false),
            primary_key(Key::Float(0.0), false)
        );
        let ints = [i64::MIN, -1, 0, 1, i64::MAX];
        for pair in ints.windows(2) {
            assert!(primary_key(Key::Int(pair[0]), false) < primary_key(Key::Int(pair[1]), false));
            assert!(primary_key(Key::Int(pair[0]), true) > primary_key(Key::Int(pair[1]), true));
        }
        assert!(primary_key(Key::Int(i64::MIN), true) < primary_key(Key::Null, true));
        assert!(primary_key(Key::Text(b""), true) < primary_key(Key::Null, true));
    }

    /// Every order and both modes against a plain sort of the runs' own records.
    #[test]
    fn agrees_with_a_plain_sort_on_random_data() {
        let submissions = ["s0", "s1", "s2", "s3", "s4", "s5", "s6"];
        let (_dir, store) = fixture::store(&submissions);
        let mut seed: u64 = 0x9e37_79b9_7f4a_7c15;
        let mut next = move |modulo: u64| {
            seed ^= seed << 13;
            seed ^= seed >> 7;
            seed ^= seed << 17;
            seed % modulo
        };
        let prefixes = [
            "",
            "a",
            "same-prefix-for-all-of-",
            "same-prefix-for-all-of-them",
        ];
        let mut runs = Vec::new();
        for i in 0..300 {
            let note = (next(6) != 0).then(|| {
                let prefix = prefixes[next(4) as usize];
                let note: &'static str =
                    Box::leak(format!("{prefix}{}", next(20)).into_boxed_str());
                note
            });
            runs.push(run(
                &format!("r{i:03}"),
                submissions[next(7) as usize],
                next(50) as i64,
                (
                    (next(5) != 0).then(|| (next(11) as f64 - 5.0) / 4.0),
                    (next(4) != 0).then(|| next(6) as i64 - 2),
                    note,
                ),
            ));
        }
        store.insert_runs_bulk(&runs).unwrap();

        let columns = ["score", "steps", "note"];
        let mut orders: Vec<Vec<(&str, bool)>> = Vec::new();
        for first in columns {
            for first_desc in [false, true] {
                orders.push(vec![(first, first_desc)]);
                for second in columns.iter().filter(|&&c| c != first) {
                    orders.push(vec![(first, first_desc), (second, !first_desc)]);
                }
            }
        }
        for order in orders {
            let mut expected: Vec<(usize, &ImportedRun)> = runs.iter().enumerate().collect();
            let value = |run: &ImportedRun, column: &str| {
                run.results
                    .iter()
                    .find(|(name, _)| name == column)
                    .and_then(|(_, value)| value.clone())
            };
            expected.sort_by(|(ia, a), (ib, b)| {
                for &(column, descending) in &order {
                    let ordering = match (value(a, column), value(b, column)) {
                        (None, None) => Ordering::Equal,
                        (None, Some(_)) => Ordering::Greater,
                        (Some(_), None) => Ordering::Less,
                        (Some(x), Some(y)) => {
                            let ordering = match (x, y) {
                                (ResultValue::Float(x), ResultValue::Float(y)) => x.total_cmp(&y),
                                (ResultValue::Int(x), ResultValue::Int(y)) => x.cmp(&y),
                                (ResultValue::String(x), ResultValue::String(y)) => x.cmp(&y),
                                other => panic!("mixed types {other:?}"),
                            };
                            if descending {
                                ordering.reverse()
                            } else {
                                ordering
                            }
                        }
                    };
                    if ordering != Ordering::Equal {
                        return ordering;
                    }
                }
                a.finished_at.cmp(&b.finished_at).then(ia.cmp(ib))
            });
            let all: Vec<String> = expected.iter().map(|(_, run)| run.id.clone()).collect();
            assert_eq!(ids(&store, &order, true), all, "all runs by {order:?}");
            let mut seen = std::collections::HashSet::new();
            let best: Vec<String> = expected
                .iter()
                .filter(|(_, run)| seen.insert(run.submission_id.clone()))
                .map(|(_, run)| run.id.clone())
                .collect();
            assert_eq!(ids(&store, &order, false), best, "best by {order:?}");
        }
    }

    #[test]
    fn a_run_set_is_one_line_of_means_ranked_by_them() {
        let (_dir, store) = fixture::store(&["alpha", "beta"]);
        store
            .insert_runs_bulk(&[
                run("a1", "alpha", 10, (Some(0.9), Some(1), Some("x"))),
                run("a2", "alpha", 20, (Some(0.7), Some(2), Some("x"))),
                run("a3", "alpha", 30, (Some(0.5), None, Some("y"))),
                run("b1", "beta", 40, (Some(0.75), Some(9), None)),
                run("solo", "alpha", 5, (Some(0.6), None, None)),
            ])
            .unwrap();
        store
            .create_run_set(&crate::store::NewRunSet {
                id: "set".into(),
                workflow_id: WORKFLOW.into(),
                submission_id: "alpha".into(),
                run_ids: vec!["a1".into(), "a2".into(), "a3".into()],
            })
            .unwrap();
        // The set's mean 0.7 is below beta's 0.75 and above alpha's single 0.6.
        let board = store
            .leaderboard(WORKFLOW, &fixture::schema(), &[], false)
            .unwrap();
        assert_eq!(board.run_ids().collect::<Vec<_>>(), ["b1", "a3"]);
        let line = board.entry(1).unwrap();
        let set = line.run_set.clone().unwrap();
        assert_eq!((set.id.as_str(), set.runs.len()), ("set", 3));
        let expected = crate::stats::spread(&[0.9, 0.7, 0.5]).unwrap();
        assert_eq!(
            line.value("score"),
            Some(&ResultValue::Float(expected.mean))
        );
        assert_eq!(set.columns[0], ("score".into(), Some(expected)));
        let steps = set.columns[1].1.unwrap();
        assert_eq!(
            (steps.mean, steps.n),
            (1.5, 2),
            "missing values are left out"
        );
        assert_eq!(line.value("note"), None, "the runs disagree on the note");
        assert_eq!(line.finished_at, board.entry(1).unwrap().finished_at);
        assert_eq!(
            line.duration, 0.03,
            "from the first start to the last finish"
        );
        let json = serde_json::to_value(&line).unwrap();
        assert_eq!(json["run_set"]["columns"]["score"]["n"], 3);
        assert_eq!(json["run_set"]["runs"], json!(["a1", "a2", "a3"]));
        // Ascending, the set still ranks by its mean, behind alpha's 0.6: alpha's
        // best line is the single run.
        assert_eq!(ids(&store, &[("score", false)], false), ["solo", "b1"]);
        // All runs: every run on its own line, no set line.
        let all = ids(&store, &[], true);
        assert_eq!(all, ["a1", "b1", "a2", "solo", "a3"]);
        assert!(store
            .leaderboard(WORKFLOW, &fixture::schema(), &[], true)
            .unwrap()
            .iter()
            .all(|e| e.run_set.is_none()));
    }

    #[test]
    fn reproduced_only_ranks_runs_whose_latest_reproduction_held() {
        let (_dir, store) = fixture::store(&["alpha", "beta"]);
        store
            .insert_runs_bulk(&[
                run("a1", "alpha", 10, (Some(0.9), None, None)),
                run("a2", "alpha", 20, (Some(0.8), None, None)),
                run("b1", "beta", 30, (Some(0.7), None, None)),
                run("again1", "alpha", 40, (Some(0.1), None, None)),
                run("again2", "alpha", 50, (Some(0.1), None, None)),
                run("again3", "beta", 60, (Some(0.1), None, None)),
            ])
            .unwrap();
        use crate::store::Outcome;
        for (original, again, outcome) in [
            ("a1", "again1", Outcome::Reproduced),
            ("a1", "again2", Outcome::Differs),
            ("b1", "again3", Outcome::WithinTolerance),
        ] {
            store.start_reproduction(original, again, None).unwrap();
            store
                .finish_reproduction(again, outcome, None, &json!([]))
                .unwrap();
        }
        let only = |all_runs| {
            store
                .leaderboard_with(
                    WORKFLOW,
                    &fixture::schema(),
                    &[],
                    BoardOptions {
                        all_runs,
                        reproduced_only: true,
                    },
                )
                .unwrap()
                .run_ids()
                .map(Cow::into_owned)
                .collect::<Vec<_>>()
        };
        assert_eq!(only(false), ["b1"]);
        assert_eq!(only(true), ["b1"]);
        assert_eq!(ids(&store, &[], false), ["a1", "b1"]);
    }

    #[test]
    fn entries_serialize_with_values_keyed_by_column() {
        let (_dir, store) = fixture::store(&["alpha"]);
        store
            .insert_runs_bulk(&[run("r1", "alpha", 1500, (Some(0.75), Some(2), None))])
            .unwrap();
        let board = store
            .leaderboard(WORKFLOW, &fixture::schema(), &[], true)
            .unwrap();
        assert_eq!(board.columns(), ["score", "steps", "note"]);
        let json = serde_json::to_value(&board).unwrap();
        assert_eq!(
            json,
            json!([{
                "rank": 1,
                "run_id": "r1",
                "submission_id": "alpha",
                "submission_name": "alpha",
                "created_at": "2027-01-15T08:00:00.000000",
                "started_at": "2027-01-15T08:00:00.000000",
                "finished_at": "2027-01-15T08:00:01.500000",
                "duration": 1.5,
                "values": {"score": 0.75, "steps": 2, "note": null}
            }])
        );
        assert_eq!(board.entries(), board.iter().collect::<Vec<_>>());
    }

    #[test]
    fn a_schema_subset_or_reordering_picks_its_columns() {
        let (_dir, store) = fixture::store(&["alpha"]);
        store
            .insert_runs_bulk(&[run("r1", "alpha", 1, (Some(0.5), Some(2), Some("n")))])
            .unwrap();
        let mut schema = fixture::schema();
        schema.columns.reverse();
        schema.columns.pop();
        for all_runs in [false, true] {
            let board = store.leaderboard(WORKFLOW, &schema, &[], all_runs).unwrap();
            assert_eq!(
                board.entry(0).unwrap().values,
                vec![
                    ("note".to_string(), Some(ResultValue::String("n".into()))),
                    ("steps".to_string(), Some(ResultValue::Int(2)))
                ]
            );
        }
    }

    #[test]
    fn unknown_columns_and_benchmarks_are_errors() {
        let (_dir, store) = fixture::store(&["alpha"]);
        let err = store
            .leaderboard(
                WORKFLOW,
                &fixture::schema(),
                &order(&[("accuracy", true)]),
                false,
            )
            .unwrap_err();
        assert_eq!(
            err.to_string(),
            "benchmark 'wf1' has no result column 'accuracy'"
        );
        let err = store
            .leaderboard("nope", &fixture::schema(), &[], false)
            .unwrap_err();
        assert_eq!(err.to_string(), "unknown benchmark 'nope'");
        let mut plain = fixture::workflow("plain", "Plain");
        plain.result_schema = None;
        store.insert_workflow(&plain).unwrap();
        let err = store
            .leaderboard("plain", &fixture::schema(), &[], false)
            .unwrap_err();
        assert!(matches!(err, StoreError::NoResultSchema { .. }), "{err}");
        assert!(store
            .leaderboard(WORKFLOW, &fixture::schema(), &[], true)
            .unwrap()
            .is_empty());
    }
}
