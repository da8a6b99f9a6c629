//! Reading records from rows, one way for every table: a record type names the
//! columns it reads ([`FromRow::COLUMNS`], for SELECT lists) and decodes itself
//! from a row by column name through [`Fields`], which turns text that does not
//! parse (JSON, timestamps, sizes) into an error naming the record. [`one`] and
//! [`all`] run a statement and decode its rows.

use super::{parse_json, time, to_u64};
use crate::error::StoreError;
use crate::template::ResultSchema;
use chrono::{DateTime, Utc};
use rusqlite::types::FromSql;
use rusqlite::{Params, Row, Statement};
use serde::de::DeserializeOwned;
use serde_json::Value;

/// A record read from one row.
pub(super) trait FromRow: Sized {
    /// The columns [`FromRow::from_row`] reads, comma-separated.
    const COLUMNS: &'static str;
    fn from_row(row: &Row<'_>) -> Result<Self, StoreError>;
}

/// The first row of the statement's result, decoded.
pub(super) fn one<T: FromRow>(
    statement: &mut Statement<'_>,
    params: impl Params,
) -> Result<Option<T>, StoreError> {
    let mut rows = statement.query(params)?;
    rows.next()?.map(T::from_row).transpose()
}

/// Every row of the statement's result, decoded.
pub(super) fn all<T: FromRow>(
    statement: &mut Statement<'_>,
    params: impl Params,
) -> Result<Vec<T>, StoreError> {
    let mut rows = statement.query(params)?;
    let mut out = Vec::new();
    while let Some(row) = rows.next()? {
        out.push(T::from_row(row)?);
    }
    Ok(out)
}

/// The columns of one record's row, read by name.
pub(super) struct Fields<'r> {
    row: &'r Row<'r>,
    /// The record as messages name it: `run 'abc'`.
    record: String,
}

impl<'r> Fields<'r> {
    /// A record of `kind` whose row has the `key` column naming it.
    pub(super) fn new(row: &'r Row<'r>, kind: &str, key: &str) -> Result<Self, StoreError> {
        let id: String = row.get(key)?;
        Ok(Fields {
            row,
            record: format!("{kind} '{id}'"),
        })
    }

    pub(super) fn get<T: FromSql>(&self, column: &str) -> Result<T, StoreError> {
        Ok(self.row.get(column)?)
    }

    fn what(&self, column: &str) -> String {
        format!("{}: {column}", self.record)
    }

    pub(super) fn json<T: DeserializeOwned>(&self, column: &str) -> Result<T, StoreError> {
        parse_json(&self.get::<String>(column)?, &self.what(column))
    }

    pub(super) fn json_opt<T: DeserializeOwned>(
        &self,
        column: &str,
    ) -> Result<Option<T>, StoreError> {
        self.get::<Option<String>>(column)?
            .map(|text| parse_json(&text, &self.what(column)))
            .transpose()
    }

    pub(super) fn time(&self, column: &str) -> Result<DateTime<Utc>, StoreError> {
        time::parse(&self.get::<String>(column)?)
    }

    pub(super) fn time_opt(&self, column: &str) -> Result<Option<DateTime<Utc>>, StoreError> {
        time::parse_opt(self.get::<Option<String>>(column)?)
    }

    pub(super) fn size(&self, column: &str) -> Result<u64, StoreError> {
        to_u64(self.get::<i64>(column)?, &self.what(column))
    }

    pub(super) fn schema_opt(&self, column: &str) -> Result<Option<ResultSchema>, StoreError> {
        self.get::<Option<String>>(column)?
            .map(|text| decode_schema(&text, &self.what(column)))
            .transpose()
    }
}

/// The stored schema is `ResultSchema`'s own serialization, which its parser reads.
pub(super) fn decode_schema(text: &str, what: &str) -> Result<ResultSchema, StoreError> {
    let value: Value = parse_json(text, what)?;
    ResultSchema::from_value(&value).map_err(|e| StoreError::Corrupt(format!("{what}: {e}")))
}

/// A record of `kind` ("benchmark", "submission", "upload", "run") that is not there.
pub(super) fn not_found(kind: &'static str, id: &str) -> StoreError {
    StoreError::NotFound {
        kind,
        id: id.to_string(),
    }
}
