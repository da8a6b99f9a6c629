//! The one preview: what a run with given arguments would execute. Starting a
//! run, the New run form's preview and `flowdesk template expand` all expand
//! through [`expand`] here, so they bind arguments and expand references the
//! same way, with the same settings (the configured Python for `${python}`).

use super::{RunRequest, Service};
use crate::error::ServiceError;
use crate::template::{BoundArguments, ExpandOptions, Template};
use crate::workflow::SerialWorkflow;
use serde_json::{Map, Value};

/// Bind `arguments` and expand the workflow: what a run executes.
pub(crate) fn expand(
    template: &Template,
    arguments: &Map<String, Value>,
    options: &ExpandOptions,
) -> Result<(BoundArguments, SerialWorkflow), ServiceError> {
    let bound = template.bind(arguments)?;
    let workflow = template.expand(&bound, options)?;
    Ok((bound, workflow))
}

/// The expanded workflow for `arguments`, with `${var}` in commands substituted
/// as far as the workflow's own variables go.
pub fn preview(
    template: &Template,
    arguments: &Map<String, Value>,
    options: &ExpandOptions,
) -> Result<SerialWorkflow, ServiceError> {
    Ok(expand(template, arguments, options)?.1.preview())
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
