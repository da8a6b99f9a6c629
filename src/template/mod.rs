//! The template language: manifests, template documents, parameter declarations
//! and argument casting, `$[[…]]` references, result schemas and includes. Pure:
//! nothing here runs a process or writes a file.

pub mod compat;
pub(crate) mod doc;
pub mod include;
pub mod lint;
pub mod manifest;
pub mod parameter;
pub mod reference;
pub mod schema;
pub mod schema_check;
pub mod spec;

pub use doc::{python_float, python_repr, python_str};
pub use include::set_document_limit;
pub use lint::{lint, lint_results, Lint};
pub use manifest::{CopySpec, LoadOptions, TemplateFolder};
pub use parameter::{FileArgument, Parameter, ParameterType, Range};
pub use schema::{ColumnType, ResultColumn, ResultSchema, ResultValue, SortColumn};
pub use schema_check::{ColumnCheck, ExtraKey, SchemaCheck};
pub use spec::{BoundArguments, ExpandOptions, OutputFile, ParameterGroup, PostProcSpec, Template};
