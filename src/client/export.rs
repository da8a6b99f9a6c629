//! Files the client writes for the caller: exports of leaderboards as CSV (full
//! precision, quoted by the `csv` crate) and any output written through a
//! temporary file, so a failed export never leaves half a file behind.

use super::error::ClientError;
use super::format::value_csv;
use super::view::LeaderboardView;
use std::io::Write;
use std::path::Path;

/// Write a leaderboard as CSV: rank, submission, run, one column per result
/// column (by name), duration in seconds. Returns the number of rows.
pub fn write_leaderboard_csv(board: &LeaderboardView, out: impl Write) -> csv::Result<usize> {
    let mut writer = csv::Writer::from_writer(out);
    let mut header = vec!["rank".to_string(), "submission".into(), "run".into()];
    header.extend(board.columns.iter().map(|c| c.name.clone()));
    header.push("duration_seconds".into());
    writer.write_record(&header)?;
    let mut count = 0;
    for row in board.rows() {
        let mut record = vec![row.rank.to_string(), row.submission, row.run_id];
        record.extend(row.values.iter().map(|v| value_csv(v.as_ref())));
        record.push(format!("{}", row.duration));
        writer.write_record(&record)?;
        count += 1;
    }
    writer.flush()?;
    Ok(count)
}

/// Write `board` as CSV to the file `out`; returns the number of rows.
pub(crate) fn leaderboard_csv(board: &LeaderboardView, out: &Path) -> Result<usize, ClientError> {
    write_file_atomically(out, |file| {
        write_leaderboard_csv(board, file).map_err(|e| match e.into_kind() {
            csv::ErrorKind::Io(source) => ClientError::io(out, source),
            other => ClientError::Invalid(format!("`{}`: {other:?}", out.display())),
        })
    })
}

/// Write `out` through a temporary file next to it, renamed into place once
/// complete, so a failed export never leaves half a file behind.
pub fn write_file_atomically<T>(
    out: &Path,
    write: impl FnOnce(&mut std::io::BufWriter<std::fs::File>) -> Result<T, ClientError>,
) -> Result<T, ClientError> {
    let name = out
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_else(|| "export".into());
    let tmp = out.with_file_name(format!(".{name}.partial"));
    let result = std::fs::File::create(&tmp)
        .map_err(|e| ClientError::io(out, e))
        .and_then(|file| {
            let mut writer = std::io::BufWriter::new(file);
            let value = write(&mut writer)?;
            writer
                .into_inner()
                .map_err(|e| ClientError::io(out, e.into_error()))?
                .sync_all()
                .map_err(|e| ClientError::io(out, e))?;
            Ok(value)
        })
        .and_then(|value| {
            std::fs::rename(&tmp, out).map_err(|e| ClientError::io(out, e))?;
            Ok(value)
        });
    if result.is_err() {
        let _ = std::fs::remove_file(&tmp);
    }
    result
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::client::view::{LeaderboardRow, RankedRows};
    use crate::template::{ColumnType, ResultColumn, ResultValue};
    use chrono::Utc;
    use std::sync::Arc;

    #[test]
    fn csv_keeps_full_precision_and_quotes_what_needs_quoting() {
        let column = |name: &str| ResultColumn {
            name: name.into(),
            label: name.into(),
            dtype: ColumnType::Float,
            required: true,
            path: None,
        };
        let now = Utc::now();
        let rows: Vec<LeaderboardRow> = vec![LeaderboardRow {
            rank: 1,
            run_id: "r1".into(),
            submission_id: "s1".into(),
            submission: "team, \"a\"".into(),
            created_at: now,
            started_at: now,
            finished_at: now,
            duration: 0.123456789,
            values: vec![Some(ResultValue::Float(1.0 / 3.0)), None],
            ..Default::default()
        }];
        let rows: Arc<dyn RankedRows> = Arc::new(rows);
        let board = LeaderboardView::new(
            "b".into(),
            vec![column("score"), column("other")],
            Vec::new(),
            false,
            rows,
        );
        let mut out = Vec::new();
        assert_eq!(write_leaderboard_csv(&board, &mut out).unwrap(), 1);
        let text = String::from_utf8(out).unwrap();
        assert_eq!(
            text,
            "rank,submission,run,score,other,duration_seconds\n1,\"team, \"\"a\"\"\",r1,0.3333333333333333,,0.123456789\n"
        );
    }
}
