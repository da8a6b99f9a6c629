//! The offline cache of server mode: the last leaderboards, runs and
//! benchmarks seen on each flowServ server, so that they can still be shown
//! (marked offline, with their time) when the server cannot be reached.
//!
//! It is its own small SQLite file (`server-cache.db`), apart from the
//! database of local benchmarks: it only ever holds copies of what a server
//! said, so it can be deleted at any time, it needs no migrations shared with
//! the main schema, and a damaged cache never endangers local runs. Entries are
//! keyed by server and by what was asked (`leaderboard/<workflow>?…`) and hold
//! the server's JSON as it came.

use super::{configure, time};
use crate::error::StoreError;
use chrono::{DateTime, Utc};
use rusqlite::{params, Connection, OptionalExtension};
use std::path::{Path, PathBuf};
use std::sync::{Mutex, PoisonError};

/// Name of the cache file inside the home folder.
pub const CACHE_FILE: &str = "server-cache.db";
/// Entries larger than this are not cached (a document that big is better
/// fetched again than kept twice).
pub const MAX_ENTRY_BYTES: usize = 64 * 1024 * 1024;
/// At most this many entries per server; the oldest go first.
pub const MAX_ENTRIES_PER_SERVER: i64 = 500;

const SCHEMA: &str = "
CREATE TABLE IF NOT EXISTS server_cache (
    server     TEXT NOT NULL,
    key        TEXT NOT NULL,
    body       TEXT NOT NULL,
    fetched_at TEXT NOT NULL,
    PRIMARY KEY (server, key)
) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS server_cache_age ON server_cache (server, fetched_at);
";

/// One cached document.
#[derive(Debug, Clone, PartialEq)]
pub struct CachedEntry {
    pub body: String,
    pub fetched_at: DateTime<Utc>,
}

/// Handle on the cache file.
pub struct CacheStore {
    conn: Mutex<Connection>,
    path: Option<PathBuf>,
}

impl CacheStore {
    pub fn open(path: &Path) -> Result<CacheStore, StoreError> {
        let open_error = |source| StoreError::Open {
            path: path.to_path_buf(),
            source,
        };
        let conn = Connection::open(path).map_err(open_error)?;
        configure(&conn, true).map_err(open_error)?;
        conn.execute_batch(SCHEMA).map_err(open_error)?;
        Ok(CacheStore {
            conn: Mutex::new(conn),
            path: Some(path.to_path_buf()),
        })
    }

    pub fn open_in_memory() -> Result<CacheStore, StoreError> {
        let conn = Connection::open_in_memory()?;
        conn.execute_batch(SCHEMA)?;
        Ok(CacheStore {
            conn: Mutex::new(conn),
            path: None,
        })
    }

    pub fn path(&self) -> Option<&Path> {
        self.path.as_deref()
    }

    /// Keep `body` as what `server` said for `key` now; returns false when it
    /// was too large to keep.
    pub fn put(&self, server: &str, key: &str, body: &str) -> Result<bool, StoreError> {
        self.put_at(server, key, body, &time::now())
    }

    pub fn put_at(
        &self,
        server: &str,
        key: &str,
        body: &str,
        at: &DateTime<Utc>,
    ) -> Result<bool, StoreError> {
        if body.len() > MAX_ENTRY_BYTES {
            return Ok(false);
        }
        let mut conn = self.conn.lock().unwrap_or_else(PoisonError::into_inner);
        let tx = conn.transaction_with_behavior(rusqlite::TransactionBehavior::Immediate)?;
        tx.execute(
            "INSERT INTO server_cache (server, key, body, fetched_at) VALUES (?1, ?2, ?3, ?4)
             ON CONFLICT (server, key) DO UPDATE SET body = excluded.body, fetched_at = excluded.fetched_at",
            params![server, key, body, time::format(at)],
        )?;
        tx.execute(
            "DELETE FROM server_cache WHERE server = ?1 AND key NOT IN
               (SELECT key FROM server_cache WHERE server = ?1 ORDER BY fetched_at DESC LIMIT ?2)",
            params![server, MAX_ENTRIES_PER_SERVER],
        )?;
        tx.commit()?;
        Ok(true)
    }

    pub fn get(&self, server: &str, key: &str) -> Result<Option<CachedEntry>, StoreError> {
        let conn = self.conn.lock().unwrap_or_else(PoisonError::into_inner);
        let row: Option<(String, String)> = conn
            .query_row(
                "SELECT body, fetched_at FROM server_cache WHERE server = ?1 AND key = ?2",
                params![server, key],
                |row| Ok((row.get(0)?, row.get(1)?)),
            )
            .optional()?;
        row.map(|(body, fetched_at)| {
            Ok(CachedEntry {
                body,
                fetched_at: time::parse(&fetched_at)?,
            })
        })
        .transpose()
    }

    /// Drop one entry (a run that was deleted, a submission that is gone).
    pub fn remove(&self, server: &str, key: &str) -> Result<(), StoreError> {
        let conn = self.conn.lock().unwrap_or_else(PoisonError::into_inner);
        conn.execute(
            "DELETE FROM server_cache WHERE server = ?1 AND key = ?2",
            params![server, key],
        )?;
        Ok(())
    }

    /// Forget the entries of every scope that starts with `prefix` (a
    /// server's per-user scopes, `url#user`).
    pub fn clear_prefix(&self, prefix: &str) -> Result<usize, StoreError> {
        let conn = self.conn.lock().unwrap_or_else(PoisonError::into_inner);
        // substr, not LIKE: URLs hold `_` and `%`.
        Ok(conn.execute(
            "DELETE FROM server_cache WHERE substr(server, 1, length(?1)) = ?1",
            params![prefix],
        )?)
    }

    /// Forget everything about a server (it was removed from the list).
    pub fn clear_server(&self, server: &str) -> Result<usize, StoreError> {
        let conn = self.conn.lock().unwrap_or_else(PoisonError::into_inner);
        Ok(conn.execute(
            "DELETE FROM server_cache WHERE server = ?1",
            params![server],
        )?)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn entries_round_trip_per_server_and_survive_reopening() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join(CACHE_FILE);
        let at = time::parse("2026-12-01T10:00:00.000000").unwrap();
        {
            let cache = CacheStore::open(&path).unwrap();
            assert!(cache
                .put_at("http://a", "leaderboard/hw", "{\"x\":1}", &at)
                .unwrap());
            assert!(cache
                .put_at("http://b", "leaderboard/hw", "{\"x\":2}", &at)
                .unwrap());
            assert!(cache
                .put("http://a", "leaderboard/hw", "{\"x\":3}")
                .unwrap());
        }
        let cache = CacheStore::open(&path).unwrap();
        let a = cache.get("http://a", "leaderboard/hw").unwrap().unwrap();
        assert_eq!(a.body, "{\"x\":3}");
        assert!(a.fetched_at > at, "the second put replaced the time");
        let b = cache.get("http://b", "leaderboard/hw").unwrap().unwrap();
        assert_eq!((b.body.as_str(), b.fetched_at), ("{\"x\":2}", at));
        assert_eq!(cache.get("http://a", "runs/x").unwrap(), None);

        cache.remove("http://b", "leaderboard/hw").unwrap();
        assert_eq!(cache.get("http://b", "leaderboard/hw").unwrap(), None);
        assert_eq!(cache.clear_server("http://a").unwrap(), 1);
        assert_eq!(cache.get("http://a", "leaderboard/hw").unwrap(), None);

        cache.put("http://a_b#alice", "k", "{}").unwrap();
        cache.put("http://a_b#bob", "k", "{}").unwrap();
        cache.put("http://aXb#carol", "k", "{}").unwrap();
        assert_eq!(cache.clear_prefix("http://a_b#").unwrap(), 2);
        assert!(cache.get("http://aXb#carol", "k").unwrap().is_some());
    }

    #[test]
    fn the_oldest_entries_go_when_a_server_has_too_many() {
        let cache = CacheStore::open_in_memory().unwrap();
        let start = time::parse("2026-12-01T10:00:00.000000").unwrap();
        for i in 0..(MAX_ENTRIES_PER_SERVER + 3) {
            let at = start + chrono::Duration::seconds(i);
            cache.put_at("s", &format!("run/{i}"), "{}", &at).unwrap();
        }
        assert_eq!(cache.get("s", "run/0").unwrap(), None);
        assert_eq!(cache.get("s", "run/2").unwrap(), None);
        assert!(cache.get("s", "run/3").unwrap().is_some());
        let last = format!("run/{}", MAX_ENTRIES_PER_SERVER + 2);
        assert!(cache.get("s", &last).unwrap().is_some());
    }

    #[test]
    fn oversized_documents_are_not_kept() {
        let cache = CacheStore::open_in_memory().unwrap();
        let big = "x".repeat(MAX_ENTRY_BYTES + 1);
        assert!(!cache.put("s", "k", &big).unwrap());
        assert_eq!(cache.get("s", "k").unwrap(), None);
    }
}
