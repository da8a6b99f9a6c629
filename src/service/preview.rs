//! The one preview: what a run with given arguments would execute. The New run
//! form, `flowdesk run`'s checks and `flowdesk template expand` all come here, so
//! they bind arguments and expand references exactly as a run does, with the
//! same settings (the configured Python for `${python}`).

use super::{RunRequest, Service};
use crate::error::ServiceError;
use crate::template::{ExpandOptions, Template};
use crate::workflow::SerialWorkflow;
use serde_json::{Map, Value};

/// The expanded workflow for `arguments`, with `${var}` in commands substituted
/// as far as the workflow's own variables go.
pub fn preview(
    template: &Template,
    arguments: &Map<String, Value>,
    options: &ExpandOptions,
) -> Result<SerialWorkflow, ServiceError> {
    let bound = template.bind(arguments)?;
    Ok(template.expand(&bound, options)?.preview())
}

impl Service {
    /// The preview of a run of an installed benchmark, with the settings its runs
    /// get.
    pub fn preview(&self, request: &RunRequest) -> Result<SerialWorkflow, ServiceError> {
        let workflow = self.workflow(&request.workflow)?;
        let template = self.template(&workflow)?;
        preview(
            &template,
            &request.arguments,
            &self.shared.expand_options_for(&workflow.id),
        )
    }

    /// The options a run's expansion uses (also for previews of folders).
    pub fn expand_options(&self) -> ExpandOptions {
        self.shared.expand_options()
    }
}
