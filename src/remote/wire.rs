//! The JSON documents flowServ's REST API sends and receives, as typed structs
//! (the serializers of `flowserv.view.*`). Fields the server may leave out are
//! optional; unknown fields are ignored, so a newer server still reads.

use serde::{Deserialize, Serialize};
use serde_json::Value;

#[derive(Debug, Clone, Deserialize, Serialize)]
pub struct User {
    pub id: String,
    pub username: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub token: Option<String>,
}

#[derive(Debug, Clone, Deserialize)]
pub struct UserListing {
    #[serde(default)]
    pub users: Vec<User>,
}

#[derive(Debug, Clone, Deserialize, Serialize)]
pub struct WorkflowListing {
    #[serde(default)]
    pub workflows: Vec<WorkflowDescriptor>,
}

#[derive(Debug, Clone, Deserialize, Serialize)]
pub struct WorkflowDescriptor {
    pub id: String,
    pub name: String,
    #[serde(default)]
    pub description: Option<String>,
    #[serde(default)]
    pub instructions: Option<String>,
}

/// `GET workflows/{id}`: the benchmark with its parameter declarations, the
/// caller's submissions and the latest post-processing run.
#[derive(Debug, Clone, Deserialize, Serialize)]
pub struct WorkflowHandle {
    pub id: String,
    pub name: String,
    #[serde(default)]
    pub description: Option<String>,
    #[serde(default)]
    pub instructions: Option<String>,
    /// Parameter declarations in the template's own syntax.
    #[serde(default)]
    pub parameters: Vec<Value>,
    #[serde(default, rename = "parameterGroups")]
    pub parameter_groups: Vec<Value>,
    #[serde(default)]
    pub groups: Vec<GroupDescriptor>,
    #[serde(default)]
    pub postproc: Option<RunHandle>,
}

#[derive(Debug, Clone, Deserialize, Serialize)]
pub struct GroupDescriptor {
    pub id: String,
    pub name: String,
    #[serde(default)]
    pub workflow: Option<String>,
}

#[derive(Debug, Clone, Deserialize, Serialize)]
pub struct GroupListing {
    #[serde(default)]
    pub groups: Vec<GroupDescriptor>,
}

/// `GET groups/{id}`: a submission with its members, uploads and runs.
#[derive(Debug, Clone, Deserialize, Serialize)]
pub struct GroupHandle {
    pub id: String,
    pub name: String,
    #[serde(default)]
    pub workflow: Option<String>,
    #[serde(default)]
    pub members: Vec<User>,
    #[serde(default)]
    pub parameters: Vec<Value>,
    #[serde(default)]
    pub files: Vec<UploadedFile>,
    #[serde(default)]
    pub runs: Vec<RunDescriptor>,
}

#[derive(Debug, Clone, Deserialize, Serialize)]
pub struct UploadedFile {
    pub id: String,
    pub name: String,
    #[serde(default, rename = "createdAt")]
    pub created_at: Option<String>,
    #[serde(default)]
    pub size: Option<u64>,
}

#[derive(Debug, Clone, Deserialize, Serialize)]
pub struct FileListing {
    #[serde(default)]
    pub files: Vec<UploadedFile>,
}

#[derive(Debug, Clone, Deserialize, Serialize)]
pub struct RunDescriptor {
    pub id: String,
    pub state: String,
    #[serde(default, rename = "createdAt")]
    pub created_at: Option<String>,
}

#[derive(Debug, Clone, Deserialize, Serialize)]
pub struct RunListing {
    #[serde(default)]
    pub runs: Vec<RunDescriptor>,
}

/// `GET runs/{id}`: state, timestamps, arguments, messages and result files.
#[derive(Debug, Clone, Deserialize, Serialize)]
pub struct RunHandle {
    pub id: String,
    pub state: String,
    #[serde(default, rename = "workflowId")]
    pub workflow_id: Option<String>,
    #[serde(default, rename = "groupId")]
    pub group_id: Option<String>,
    #[serde(default, rename = "createdAt")]
    pub created_at: Option<String>,
    #[serde(default, rename = "startedAt")]
    pub started_at: Option<String>,
    #[serde(default, rename = "finishedAt")]
    pub finished_at: Option<String>,
    #[serde(default)]
    pub arguments: Vec<Argument>,
    #[serde(default)]
    pub parameters: Vec<Value>,
    #[serde(default)]
    pub messages: Vec<String>,
    #[serde(default)]
    pub files: Vec<ResultFile>,
}

impl RunHandle {
    pub fn is_active(&self) -> bool {
        matches!(self.state.as_str(), "PENDING" | "RUNNING")
    }
}

/// One run argument: `{name, value}`; a file is
/// `{type: "$file", value: {fileId, targetPath}}`.
#[derive(Debug, Clone, PartialEq, Deserialize, Serialize)]
pub struct Argument {
    pub name: String,
    pub value: Value,
}

impl Argument {
    pub fn file(name: &str, file_id: &str, target: Option<&str>) -> Argument {
        let mut file = serde_json::Map::new();
        file.insert("fileId".into(), Value::String(file_id.to_string()));
        if let Some(target) = target {
            file.insert("targetPath".into(), Value::String(target.to_string()));
        }
        Argument {
            name: name.to_string(),
            value: serde_json::json!({"type": "$file", "value": file}),
        }
    }

    /// `(file id, target path)` when the argument is a file.
    pub fn as_file(&self) -> Option<(&str, Option<&str>)> {
        let object = self.value.as_object()?;
        if object.get("type")?.as_str()? != "$file" {
            return None;
        }
        let file = object.get("value")?.as_object()?;
        Some((
            file.get("fileId")?.as_str()?,
            file.get("targetPath").and_then(Value::as_str),
        ))
    }
}

#[derive(Debug, Clone, Deserialize, Serialize)]
pub struct ResultFile {
    pub id: String,
    pub name: String,
    #[serde(default)]
    pub title: Option<String>,
    #[serde(default)]
    pub caption: Option<String>,
    #[serde(default)]
    pub widget: Option<Value>,
    #[serde(default)]
    pub format: Option<Value>,
}

/// `GET workflows/{id}/leaderboard`.
#[derive(Debug, Clone, Deserialize, Serialize)]
pub struct Ranking {
    #[serde(default)]
    pub schema: Vec<ResultColumn>,
    #[serde(default)]
    pub ranking: Vec<RankingEntry>,
    #[serde(default)]
    pub postproc: Option<RunHandle>,
}

#[derive(Debug, Clone, Deserialize, Serialize)]
pub struct ResultColumn {
    pub name: String,
    #[serde(default)]
    pub label: Option<String>,
    #[serde(default)]
    pub dtype: Option<String>,
}

#[derive(Debug, Clone, Deserialize, Serialize)]
pub struct RankingEntry {
    pub group: GroupDescriptor,
    pub run: RankedRun,
    #[serde(default)]
    pub results: Vec<ResultValue>,
}

#[derive(Debug, Clone, Deserialize, Serialize)]
pub struct RankedRun {
    pub id: String,
    #[serde(default, rename = "createdAt")]
    pub created_at: Option<String>,
    #[serde(default, rename = "startedAt")]
    pub started_at: Option<String>,
    #[serde(default, rename = "finishedAt")]
    pub finished_at: Option<String>,
}

#[derive(Debug, Clone, Deserialize, Serialize)]
pub struct ResultValue {
    pub name: String,
    #[serde(default)]
    pub value: Value,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn file_arguments_round_trip() {
        let argument = Argument::file("names", "f1", Some("data/names.txt"));
        assert_eq!(argument.as_file(), Some(("f1", Some("data/names.txt"))));
        let plain = Argument {
            name: "sleeptime".into(),
            value: Value::from(3),
        };
        assert_eq!(plain.as_file(), None);
    }
}
