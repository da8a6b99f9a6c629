//! Template parameter declarations of every type the reference defines (bool,
//! select, file, float, int, string, list, record, actor) and the casting of user
//! arguments to them, following `flowserv.model.parameter.*`.

use super::doc::{
    kind, python_float, python_float_text, python_int, python_str, scalar_string, Element,
};
use crate::error::ArgumentError;
use crate::paths::check_relative;
use serde::Serialize;
use serde_json::{Map, Number, Value};
use std::fmt;

/// One declared parameter.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Parameter {
    pub name: String,
    pub label: String,
    #[serde(flatten)]
    pub dtype: ParameterType,
    pub index: i64,
    pub required: bool,
    #[serde(rename = "defaultValue", skip_serializing_if = "Option::is_none")]
    pub default: Option<Value>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub help: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub group: Option<String>,
}

/// The type of a parameter with its type-specific declaration.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(tag = "dtype", rename_all = "lowercase")]
pub enum ParameterType {
    Bool,
    String,
    Int {
        #[serde(skip_serializing_if = "Option::is_none")]
        range: Option<Range>,
    },
    Float {
        #[serde(skip_serializing_if = "Option::is_none")]
        range: Option<Range>,
    },
    Select {
        values: Vec<SelectOption>,
    },
    File {
        #[serde(skip_serializing_if = "Option::is_none")]
        target: Option<String>,
    },
    List {
        para: Box<Parameter>,
    },
    Record {
        fields: Vec<Parameter>,
    },
    Actor,
}

impl ParameterType {
    pub fn name(&self) -> &'static str {
        match self {
            ParameterType::Bool => "bool",
            ParameterType::String => "string",
            ParameterType::Int { .. } => "int",
            ParameterType::Float { .. } => "float",
            ParameterType::Select { .. } => "select",
            ParameterType::File { .. } => "file",
            ParameterType::List { .. } => "list",
            ParameterType::Record { .. } => "record",
            ParameterType::Actor => "actor",
        }
    }
}

/// One entry of a select parameter's `values`.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct SelectOption {
    pub name: String,
    pub value: Value,
    #[serde(rename = "isDefault")]
    pub is_default: bool,
}

/// One end of a range interval; `None` value means infinity.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Bound {
    pub value: Option<f64>,
    pub closed: bool,
}

/// A numeric range constraint in interval notation: `[0,1]`, `(0,]`, `[-inf,10)`.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Range {
    pub min: Bound,
    pub max: Bound,
}

impl Range {
    /// Parse the interval notation of `RangeConstraint.from_string`.
    pub fn parse(text: &str) -> Result<Range, String> {
        let bad =
            || format!("range '{text}' is not an interval like '[0,1]', '(0,]' or '[-inf,10)'");
        let trimmed = text.trim();
        let mut chars = trimmed.chars();
        let open = chars.next().ok_or_else(bad)?;
        let close = chars.next_back().ok_or_else(bad)?;
        let min_closed = match open {
            '[' => true,
            '(' => false,
            _ => return Err(bad()),
        };
        let max_closed = match close {
            ']' => true,
            ')' => false,
            _ => return Err(bad()),
        };
        let inner = chars.as_str();
        let (left, right) = inner.split_once(',').ok_or_else(bad)?;
        if right.contains(',') {
            return Err(bad());
        }
        let bound = |s: &str, infinite: &[&str]| -> Result<Option<f64>, String> {
            let s = s.trim();
            if s.is_empty() || infinite.contains(&s.to_ascii_lowercase().as_str()) {
                return Ok(None);
            }
            match s.parse::<f64>() {
                Ok(v) if v.is_finite() => Ok(Some(v)),
                _ => Err(bad()),
            }
        };
        let range = Range {
            min: Bound {
                value: bound(left, &["-inf", "-infinity"])?,
                closed: min_closed,
            },
            max: Bound {
                value: bound(right, &["inf", "+inf", "infinity"])?,
                closed: max_closed,
            },
        };
        if let (Some(a), Some(b)) = (range.min.value, range.max.value) {
            if a > b {
                return Err(format!("range '{text}' is empty: {a} is greater than {b}"));
            }
        }
        Ok(range)
    }

    /// Whether `value` passes `RangeConstraint.validate`: it is refused only
    /// when a comparison with a bound says so, which a NaN never does.
    pub fn admits(&self, value: f64) -> bool {
        // A missing bound is an infinity that keeps its bracket: `[0,)` refuses
        // `inf`, as flowServ's `float('inf')` boundary does.
        let min = self.min.value.unwrap_or(f64::NEG_INFINITY);
        let max = self.max.value.unwrap_or(f64::INFINITY);
        let below_min = if self.min.closed {
            min > value
        } else {
            min >= value
        };
        let above_max = if self.max.closed {
            value > max
        } else {
            value >= max
        };
        !below_min && !above_max
    }
}

impl fmt::Display for Range {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let num = |v: f64| {
            if v.fract() == 0.0 && v.abs() < 1e15 {
                format!("{}", v as i64)
            } else {
                format!("{v}")
            }
        };
        write!(
            f,
            "{}{},{}{}",
            if self.min.closed { '[' } else { '(' },
            self.min.value.map(num).unwrap_or_default(),
            self.max.value.map(num).unwrap_or_default(),
            if self.max.closed { ']' } else { ')' }
        )
    }
}

impl Serialize for Range {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(&self.to_string())
    }
}

/// The value of a file argument: where the file comes from and where it goes in the
/// run folder.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct FileArgument {
    /// Local path, uploaded file id or template file the content comes from.
    pub source: String,
    /// Relative target path inside the run folder.
    pub target: String,
    /// True when no file was given and the parameter's `defaultValue` (a file of
    /// the template) stands in.
    pub from_default: bool,
}

impl Parameter {
    /// Parse one declaration. `element` names it for messages, e.g.
    /// `parameters[1]`; `position` is its place in its list, the `index` it gets
    /// when it declares none (flowServ's `ParameterIndex.from_dict`).
    pub fn from_value(value: &Value, element: &str, position: usize) -> Result<Parameter, String> {
        let doc = Element::new(value, element)?;
        let name = doc.required_string(&["name"])?;
        let doc = Element {
            map: doc.map,
            name: format!("{element} '{name}'"),
        };
        if name.trim().is_empty() {
            return Err(doc.error("'name' must not be empty"));
        }
        let type_name = doc
            .string(&["dtype", "type", "datatype"])?
            .ok_or_else(|| doc.error("'dtype' is missing"))?;
        let dtype = match type_name.to_ascii_lowercase().as_str() {
            "bool" | "boolean" => ParameterType::Bool,
            "string" | "str" | "text" => ParameterType::String,
            "int" | "integer" => ParameterType::Int {
                range: parse_range(&doc)?,
            },
            "float" | "decimal" | "double" | "number" => ParameterType::Float {
                range: parse_range(&doc)?,
            },
            "select" | "enum" => ParameterType::Select {
                values: parse_options(&doc)?,
            },
            "file" => {
                let target = doc.string(&["target"])?;
                if let Some(target) = &target {
                    check_relative(target, false).map_err(|e| doc.error(format!("'target': {e}")))?;
                }
                ParameterType::File { target }
            }
            "list" | "array" => {
                let para = doc
                    .get(&["para", "parameter"])
                    .ok_or_else(|| doc.error("a list parameter needs 'para', the declaration of its items"))?;
                ParameterType::List {
                    para: Box::new(Parameter::from_value(para, &format!("{} para", doc.name), 0)?),
                }
            }
            "record" => {
                let fields = doc
                    .list(&["fields"])?
                    .ok_or_else(|| doc.error("a record parameter needs 'fields'"))?;
                let mut parsed: Vec<Parameter> = Vec::new();
                for (i, field) in fields.iter().enumerate() {
                    let field_name = format!("{} fields[{i}]", doc.name);
                    // flowServ serializes fields as {name, para}; plain declarations are accepted too.
                    let declaration = match field.get("para") {
                        Some(para) if field.get("dtype").is_none() && field.get("type").is_none() => {
                            let mut para = para.clone();
                            if let (Value::Object(map), Some(name)) = (&mut para, field.get("name")) {
                                map.entry("name").or_insert_with(|| name.clone());
                            }
                            para
                        }
                        _ => field.clone(),
                    };
                    let field = Parameter::from_value(&declaration, &field_name, i)?;
                    if parsed.iter().any(|p| p.name == field.name) {
                        return Err(doc.error(format!("record field '{}' is declared twice", field.name)));
                    }
                    parsed.push(field);
                }
                ParameterType::Record { fields: parsed }
            }
            "actor" => ParameterType::Actor,
            other => {
                return Err(doc.error(format!(
                    "unknown dtype '{other}'; expected one of bool, select, file, float, int, string, list, record, actor"
                )))
            }
        };
        let label = doc.string(&["label"])?.unwrap_or_else(|| name.clone());
        let has_default = ["defaultValue", "default"]
            .iter()
            .any(|key| doc.map.contains_key(*key));
        let parameter = Parameter {
            label,
            index: doc.int(&["index"])?.unwrap_or(position as i64),
            // 0.9.4: a parameter without `defaultValue` is required unless it
            // says otherwise.
            required: doc
                .bool(&["isRequired", "required"])?
                .unwrap_or(!has_default),
            default: doc.get(&["defaultValue", "default"]).cloned(),
            help: doc.string(&["description", "help"])?,
            group: doc.string(&["group", "module"])?,
            name,
            dtype,
        };
        // A file default is a path in the template folder (and a target in the
        // run folder): one that leaves it is refused. Anything else is checked
        // only when a run uses it, as flowServ does (`default_problem`).
        if let (Some(Value::String(path)), ParameterType::File { .. }) =
            (&parameter.default, &parameter.dtype)
        {
            check_relative(path, true).map_err(|e| doc.error(format!("'defaultValue': {e}")))?;
        }
        Ok(parameter)
    }

    /// Why the declared default cannot be used, if it cannot: flowServ does not
    /// check defaults when it loads a template, so flowdesk does not refuse the
    /// template either; a run that needs the default fails then.
    pub fn default_problem(&self) -> Option<String> {
        let default = self.default.as_ref()?;
        let problem = match &self.dtype {
            ParameterType::File { .. } => match default {
                Value::String(path) if !path.trim().is_empty() => return None,
                _ => Some("a file default must be the path of a file in the template".to_string()),
            },
            ParameterType::Actor => crate::workflow::steps::actor_step(default).err(),
            _ => self.cast_declared(default).err().map(|e| strip_name(&e)),
        };
        problem.map(|p| {
            format!(
                "'defaultValue' is not valid: {p}; a run without a value for '{}' fails",
                self.name
            )
        })
    }

    /// Human-readable type with its constraints, for form hints and `template check`.
    pub fn constraints(&self) -> String {
        match &self.dtype {
            ParameterType::Int { range: Some(r) } | ParameterType::Float { range: Some(r) } => {
                format!("range {r}")
            }
            ParameterType::Select { values } => format!(
                "one of {}",
                values
                    .iter()
                    .map(|o| super::doc::python_str(&o.value))
                    .collect::<Vec<_>>()
                    .join(", ")
            ),
            ParameterType::File { target: Some(t) } => format!("target {t}"),
            ParameterType::List { para } => format!("list of {}", para.dtype.name()),
            ParameterType::Record { fields } => format!(
                "fields {}",
                fields
                    .iter()
                    .map(|f| f.name.as_str())
                    .collect::<Vec<_>>()
                    .join(", ")
            ),
            _ => String::new(),
        }
    }

    /// The default for a form: `defaultValue`, or a select's `isDefault` option.
    pub fn effective_default(&self) -> Option<Value> {
        if self.default.is_some() {
            return self.default.clone();
        }
        if let ParameterType::Select { values } = &self.dtype {
            return values
                .iter()
                .find(|o| o.is_default)
                .map(|o| o.value.clone());
        }
        None
    }

    /// Cast a user-provided value to this parameter's type with the rules of
    /// the reference's `cast()` of each type (Python's `int()`, `float()`,
    /// `str()`; flowServ's boolean spellings), plus two conveniences for values
    /// typed as text on a command line or in a form: a select option matches
    /// by its text, and lists and records may be written as JSON. File
    /// parameters are handled by [`Parameter::cast_file`]; for them this checks
    /// only the shape.
    pub fn cast(&self, value: &Value) -> Result<Value, ArgumentError> {
        self.cast_with(value, true)
    }

    /// Cast a value the template itself declares (a `defaultValue`, a record
    /// field's default) exactly as flowServ does, without the conveniences
    /// for typed-in text.
    pub fn cast_declared(&self, value: &Value) -> Result<Value, ArgumentError> {
        self.cast_with(value, false)
    }

    fn cast_with(&self, value: &Value, lenient: bool) -> Result<Value, ArgumentError> {
        let fail = |message: String| ArgumentError::invalid(&self.name, message);
        match &self.dtype {
            ParameterType::Bool => match value {
                Value::Null => Ok(Value::Bool(false)),
                Value::Bool(b) => Ok(Value::Bool(*b)),
                other => {
                    let text = python_str(other);
                    match text.to_lowercase().as_str() {
                        "1" | "t" | "true" => Ok(Value::Bool(true)),
                        "" | "0" | "f" | "false" => Ok(Value::Bool(false)),
                        _ => Err(fail(format!(
                            "'{text}' is not a boolean; use true or false"
                        ))),
                    }
                }
            },
            ParameterType::String => Ok(Value::String(python_str(value))),
            ParameterType::Int { range } => {
                if let Some(infinite) = infinity(value) {
                    return self.check_range(range, infinite, float_value(infinite));
                }
                let number = match value {
                    Value::Bool(b) => *b as i64,
                    Value::Number(n) if n.is_i64() => n.as_i64().unwrap_or(0),
                    Value::Number(n) if n.is_u64() => {
                        return Err(fail(format!("{n} is too large for an integer")))
                    }
                    // Python's int() of a float cuts off the fraction.
                    Value::Number(n) => {
                        let f = n.as_f64().unwrap_or(f64::NAN);
                        if f.abs() >= 9.2e18 {
                            return Err(fail(format!("{n} is too large for an integer")));
                        }
                        f.trunc() as i64
                    }
                    Value::String(s) => {
                        python_int(s).ok_or_else(|| fail(format!("'{s}' is not an integer")))?
                    }
                    other => return Err(fail(format!("expected an integer, got {}", kind(other)))),
                };
                self.check_range(range, number as f64, Value::Number(number.into()))
            }
            ParameterType::Float { range } => {
                let number = match value {
                    Value::Bool(b) => *b as i64 as f64,
                    Value::Number(n) => n.as_f64().unwrap_or(f64::NAN),
                    Value::String(s) => python_float_text(s)
                        .ok_or_else(|| fail(format!("'{s}' is not a number")))?,
                    other => return Err(fail(format!("expected a number, got {}", kind(other)))),
                };
                self.check_range(range, number, float_value(number))
            }
            ParameterType::Select { values } => {
                // Python's `==`: 1, 1.0 and True are equal; "1" is not 1.
                if values.iter().any(|o| python_eq(&o.value, value)) {
                    return Ok(value.clone());
                }
                if let (Value::String(text), true) = (value, lenient) {
                    if let Some(option) = values.iter().find(|o| {
                        !o.value.is_string() && scalar_string(&o.value).as_deref() == Some(text)
                    }) {
                        return Ok(option.value.clone());
                    }
                }
                Err(fail(format!(
                    "'{}' is not one of {}",
                    python_str(value),
                    values
                        .iter()
                        .map(|o| format!("'{}'", python_str(&o.value)))
                        .collect::<Vec<_>>()
                        .join(", ")
                )))
            }
            ParameterType::File { .. } => {
                self.cast_file(value)?;
                Ok(value.clone())
            }
            ParameterType::List { para } => {
                let parsed;
                let items = match value {
                    Value::Array(items) => items,
                    Value::String(s) if lenient => {
                        parsed = parse_json_text(s).ok_or_else(|| {
                            fail(format!(
                                "'{s}' is not a list; write it as JSON, e.g. [1, 2]"
                            ))
                        })?;
                        match &parsed {
                            Value::Array(items) => items,
                            _ => return Err(fail(format!("'{s}' is not a list"))),
                        }
                    }
                    other => return Err(fail(format!("expected a list, got {}", kind(other)))),
                };
                let mut cast = Vec::with_capacity(items.len());
                for (i, item) in items.iter().enumerate() {
                    cast.push(
                        para.cast_with(item, lenient)
                            .map_err(|e| fail(format!("item {}: {}", i + 1, strip_name(&e))))?,
                    );
                }
                Ok(Value::Array(cast))
            }
            ParameterType::Record { fields } => {
                let parsed;
                let value = match value {
                    Value::String(s) if lenient => {
                        parsed = parse_json_text(s).ok_or_else(|| {
                            fail(format!(
                                "'{s}' is not a record; write it as JSON, e.g. [{{\"name\": \"a\", \"value\": 1}}]"
                            ))
                        })?;
                        &parsed
                    }
                    other => other,
                };
                // flowServ's list of {name, value}, or a plain mapping.
                let mut given: Vec<(String, Value)> = Vec::new();
                match value {
                    Value::Object(map) if lenient => {
                        given.extend(map.iter().map(|(k, v)| (k.clone(), v.clone())))
                    }
                    Value::Array(items) => {
                        for item in items {
                            let name = item.get("name").and_then(Value::as_str);
                            let field_value = item.get("value");
                            match (name, field_value) {
                                (Some(name), Some(v)) => given.push((name.to_string(), v.clone())),
                                _ => {
                                    return Err(fail(
                                        "record items must have a 'name' and a 'value'".to_string(),
                                    ))
                                }
                            }
                        }
                    }
                    other => return Err(fail(format!("expected a record, got {}", kind(other)))),
                }
                let mut result = Map::new();
                for (key, v) in &given {
                    let field = fields
                        .iter()
                        .find(|f| &f.name == key)
                        .ok_or_else(|| fail(format!("record has no field '{key}'")))?;
                    let cast = field
                        .cast_with(v, lenient)
                        .map_err(|e| fail(format!("field '{}': {}", field.name, strip_name(&e))))?;
                    result.insert(field.name.clone(), cast);
                }
                // Missing fields: their cast default, else an error if required.
                for field in fields {
                    if result.contains_key(&field.name) {
                        continue;
                    }
                    match &field.default {
                        Some(default) => {
                            let cast = field.cast_declared(default).map_err(|e| {
                                fail(format!("field '{}': {}", field.name, strip_name(&e)))
                            })?;
                            result.insert(field.name.clone(), cast);
                        }
                        None if field.required => {
                            return Err(fail(format!("field '{}' is required", field.name)))
                        }
                        None => {}
                    }
                }
                Ok(Value::Object(result))
            }
            ParameterType::Actor => {
                let parsed;
                let step = match value {
                    Value::String(s) if lenient => {
                        parsed = parse_json_text(s).ok_or_else(|| {
                            fail("an actor is a workflow step, e.g. {\"environment\": \"python:3.9\", \"commands\": [\"python run.py\"]}".to_string())
                        })?;
                        &parsed
                    }
                    other => other,
                };
                crate::workflow::steps::actor_step(step).map_err(fail)?;
                Ok(step.clone())
            }
        }
    }

    /// Check a number against a range the way `RangeConstraint.validate` does
    /// (a comparison with NaN is false, so NaN passes every range).
    fn check_range(
        &self,
        range: &Option<Range>,
        number: f64,
        value: Value,
    ) -> Result<Value, ArgumentError> {
        if let Some(range) = range {
            if !range.admits(number) {
                let shown = match &value {
                    Value::Number(n) if !n.is_f64() => n.to_string(),
                    _ => python_float(number),
                };
                return Err(ArgumentError::invalid(
                    &self.name,
                    format!("{shown} is outside the range {range}"),
                ));
            }
        }
        Ok(value)
    }

    /// Cast a file argument: a source (local path or file id), given as a string or
    /// as `{value|source, as|target}`. The target in the run folder is the
    /// argument's `as`, else the declared `target`, else the `defaultValue`.
    pub fn cast_file(&self, value: &Value) -> Result<FileArgument, ArgumentError> {
        let fail = |message: String| ArgumentError::invalid(&self.name, message);
        let declared_target = match &self.dtype {
            ParameterType::File { target } => target.clone(),
            _ => return Err(fail("is not a file parameter".to_string())),
        };
        let (source, given_target) = match value {
            Value::String(s) => (s.clone(), None),
            Value::Object(map) => {
                let source = map
                    .get("value")
                    .or_else(|| map.get("source"))
                    .or_else(|| map.get("fileId"))
                    .and_then(scalar_string)
                    .ok_or_else(|| {
                        fail("a file argument needs a 'value' (the file)".to_string())
                    })?;
                let target = map
                    .get("as")
                    .or_else(|| map.get("target"))
                    .and_then(scalar_string);
                (source, target)
            }
            other => return Err(fail(format!("expected a file, got {}", kind(other)))),
        };
        if source.trim().is_empty() {
            return Err(fail("no file given".to_string()));
        }
        let target = given_target
            .or(declared_target)
            .or_else(|| self.default.as_ref().and_then(scalar_string))
            .ok_or_else(|| {
                fail(
                    "no target path: the declaration has no 'target' and the argument no 'as'"
                        .to_string(),
                )
            })?;
        let normalized =
            check_relative(&target, false).map_err(|e| fail(format!("target: {e}")))?;
        Ok(FileArgument {
            source,
            target: normalized.to_string_lossy().into_owned(),
            from_default: false,
        })
    }
}

fn parse_range(doc: &Element<'_>) -> Result<Option<Range>, String> {
    match doc.get(&["range"]) {
        None => Ok(None),
        Some(Value::String(s)) => Range::parse(s).map(Some).map_err(|e| doc.error(e)),
        Some(other) => Err(doc.error(format!(
            "'range' must be an interval string like '[0,1]', not {}",
            kind(other)
        ))),
    }
}

fn parse_options(doc: &Element<'_>) -> Result<Vec<SelectOption>, String> {
    let values = doc
        .list(&["values"])?
        .ok_or_else(|| doc.error("a select parameter needs 'values'"))?;
    if values.is_empty() {
        return Err(doc.error("'values' must not be empty"));
    }
    values
        .iter()
        .enumerate()
        .map(|(i, v)| match v {
            Value::Object(_) => {
                let option = Element::new(v, format!("{} values[{i}]", doc.name))?;
                let value = option
                    .get(&["value"])
                    .cloned()
                    .ok_or_else(|| option.error("'value' is missing"))?;
                let name = option
                    .string(&["name"])?
                    .unwrap_or_else(|| super::doc::python_str(&value));
                Ok(SelectOption {
                    name,
                    value,
                    is_default: option.bool(&["isDefault", "default"])?.unwrap_or(false),
                })
            }
            scalar => {
                let name = scalar_string(scalar).ok_or_else(|| {
                    doc.error(format!("values[{i}] must be a mapping or a value"))
                })?;
                Ok(SelectOption {
                    name,
                    value: scalar.clone(),
                    is_default: false,
                })
            }
        })
        .collect()
}

/// `Numeric.cast` turns exactly the texts `inf` and `-inf` into infinities
/// before anything else (for int parameters too).
fn infinity(value: &Value) -> Option<f64> {
    match value.as_str() {
        Some("inf") => Some(f64::INFINITY),
        Some("-inf") => Some(f64::NEG_INFINITY),
        _ => None,
    }
}

/// Python's `==` of two JSON values: numbers and booleans compare by value
/// (`True == 1 == 1.0`), text only with text.
pub(crate) fn python_eq(a: &Value, b: &Value) -> bool {
    fn number(v: &Value) -> Option<f64> {
        match v {
            Value::Bool(b) => Some(*b as i64 as f64),
            Value::Number(n) => n.as_f64(),
            _ => None,
        }
    }
    match (a, b) {
        (Value::Array(x), Value::Array(y)) => {
            x.len() == y.len() && x.iter().zip(y).all(|(p, q)| python_eq(p, q))
        }
        (Value::Object(x), Value::Object(y)) => {
            x.len() == y.len()
                && x.iter()
                    .all(|(k, v)| y.get(k).is_some_and(|w| python_eq(v, w)))
        }
        _ => match (number(a), number(b)) {
            (Some(x), Some(y)) => x == y,
            _ => a == b,
        },
    }
}

/// JSON cannot hold infinity; it is kept as the string Python prints for it.
fn float_value(number: f64) -> Value {
    Number::from_f64(number)
        .map(Value::Number)
        .unwrap_or_else(|| Value::String(python_float(number)))
}

fn parse_json_text(text: &str) -> Option<Value> {
    serde_json::from_str(text.trim()).ok()
}

/// The message of an argument error without the "parameter 'x': " prefix, for
/// nesting inside another parameter's message.
fn strip_name(error: &ArgumentError) -> String {
    match error {
        ArgumentError::Invalid { message, .. } => message.clone(),
        other => other.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn para(v: Value) -> Parameter {
        Parameter::from_value(&v, "parameters[0]", 0).unwrap()
    }

    fn para_err(v: Value) -> String {
        Parameter::from_value(&v, "parameters[0]", 0).unwrap_err()
    }

    fn cast_err(p: &Parameter, v: Value) -> String {
        p.cast(&v).unwrap_err().to_string()
    }

    #[test]
    fn common_keys_and_aliases() {
        let p = para(
            json!({"name": "a", "type": "int", "isRequired": true, "description": "d", "module": "g", "index": 3}),
        );
        assert_eq!(p.label, "a");
        assert!(p.required);
        assert_eq!(p.help.as_deref(), Some("d"));
        assert_eq!(p.group.as_deref(), Some("g"));
        assert_eq!(p.index, 3);
        let p = para(
            json!({"name": "b", "datatype": "string", "required": "true", "help": "h", "group": "x", "label": "B"}),
        );
        assert_eq!(p.dtype, ParameterType::String);
        assert!(p.required);
        assert_eq!(p.label, "B");
        // 0.9.4: required unless a defaultValue is declared; index = position.
        assert!(para(json!({"name": "c", "dtype": "bool"})).required);
        assert!(!para(json!({"name": "c", "dtype": "bool", "defaultValue": false})).required);
        assert!(!para(json!({"name": "c", "dtype": "bool", "isRequired": false})).required);
        let p = Parameter::from_value(&json!({"name": "d", "dtype": "int"}), "parameters[4]", 4)
            .unwrap();
        assert_eq!(p.index, 4);
        assert!(para_err(json!({"name": "c"})).contains("'dtype' is missing"));
        assert!(para_err(json!({"dtype": "int"})).contains("'name' is missing"));
        assert!(
            para_err(json!({"name": "c", "dtype": "complex"})).contains("unknown dtype 'complex'")
        );
        assert!(para_err(json!({"name": "c", "dtype": "int", "index": "x"}))
            .contains("'index' must be an integer"));
    }

    #[test]
    fn bool_casting() {
        let p = para(json!({"name": "flag", "dtype": "bool"}));
        // flowServ's Bool.cast: the text of the value, in any case.
        for t in ["true", "TRUE", "1", "t", "T"] {
            assert_eq!(p.cast(&json!(t)).unwrap(), json!(true), "{t}");
        }
        for f in ["false", "0", "f", "", "False"] {
            assert_eq!(p.cast(&json!(f)).unwrap(), json!(false), "{f}");
        }
        assert_eq!(p.cast(&json!(true)).unwrap(), json!(true));
        assert_eq!(p.cast(&json!(1)).unwrap(), json!(true));
        assert_eq!(p.cast(&json!(0)).unwrap(), json!(false));
        assert_eq!(p.cast(&Value::Null).unwrap(), json!(false));
        assert_eq!(
            cast_err(&p, json!("maybe")),
            "parameter 'flag': 'maybe' is not a boolean; use true or false"
        );
        for bad in [
            json!("yes"),
            json!(" true"),
            json!(2),
            json!(1.0),
            json!([true]),
        ] {
            assert!(p.cast(&bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn int_casting_and_ranges() {
        let p = para(json!({"name": "n", "dtype": "int", "range": "[0,10)"}));
        assert_eq!(p.cast(&json!("7")).unwrap(), json!(7));
        assert_eq!(p.cast(&json!(" 3 ")).unwrap(), json!(3));
        assert_eq!(p.cast(&json!(0)).unwrap(), json!(0));
        assert_eq!(p.cast(&json!(4.0)).unwrap(), json!(4));
        // Python's int(): a float loses its fraction, a bool is 0 or 1,
        // underscores may group digits; a text with a point is refused.
        assert_eq!(p.cast(&json!(2.7)).unwrap(), json!(2));
        assert_eq!(p.cast(&json!(true)).unwrap(), json!(1));
        assert_eq!(
            p.cast(&json!("+1_0")).unwrap_err().to_string(),
            "parameter 'n': 10 is outside the range [0,10)"
        );
        assert_eq!(
            cast_err(&p, json!(10)),
            "parameter 'n': 10 is outside the range [0,10)"
        );
        assert!(cast_err(&p, json!(-1)).contains("outside the range"));
        assert_eq!(
            cast_err(&p, json!("3.5")),
            "parameter 'n': '3.5' is not an integer"
        );
        assert!(cast_err(&p, json!("abc")).contains("'abc' is not an integer"));
        assert!(cast_err(&p, json!("1__0")).contains("not an integer"));
        assert!(cast_err(&p, json!([1])).contains("expected an integer"));
        // `inf` is an infinity for int parameters too.
        assert!(cast_err(&p, json!("inf")).contains("inf is outside"));
        let unbounded = para(json!({"name": "n", "dtype": "int"}));
        assert_eq!(unbounded.cast(&json!("-99999")).unwrap(), json!(-99999));
    }

    #[test]
    fn float_casting_and_infinity() {
        let p = para(json!({"name": "x", "dtype": "float", "range": "(0,]"}));
        assert_eq!(p.cast(&json!("0.5")).unwrap(), json!(0.5));
        assert_eq!(p.cast(&json!(3)).unwrap(), json!(3.0));
        assert_eq!(p.cast(&json!("inf")).unwrap(), json!("inf"));
        assert_eq!(
            cast_err(&p, json!(0)),
            "parameter 'x': 0.0 is outside the range (0,]"
        );
        assert!(cast_err(&p, json!("-inf")).contains("outside the range"));
        // NaN passes every range, as in flowServ (every comparison is false).
        assert_eq!(p.cast(&json!("nan")).unwrap(), json!("nan"));
        assert_eq!(p.cast(&json!(" Infinity ")).unwrap(), json!("inf"));
        assert_eq!(p.cast(&json!(true)).unwrap(), json!(1.0));
        assert!(cast_err(&p, json!("1,5")).contains("'1,5' is not a number"));
        let free = para(json!({"name": "x", "dtype": "float"}));
        assert_eq!(free.cast(&json!("-inf")).unwrap(), json!("-inf"));
        assert_eq!(free.cast(&json!("1e3")).unwrap(), json!(1000.0));
    }

    #[test]
    fn range_notation() {
        let r = Range::parse("[0,1]").unwrap();
        assert!(r.admits(0.0) && r.admits(1.0) && !r.admits(1.01));
        let r = Range::parse("(0,1)").unwrap();
        assert!(!r.admits(0.0) && !r.admits(1.0) && r.admits(0.5));
        let r = Range::parse("[0,1)").unwrap();
        assert!(r.admits(0.0) && !r.admits(1.0));
        let r = Range::parse("(0,1]").unwrap();
        assert!(!r.admits(0.0) && r.admits(1.0));
        let r = Range::parse("(,5]").unwrap();
        assert!(r.admits(-1e300) && r.admits(5.0));
        let r = Range::parse("[-inf, inf]").unwrap();
        assert!(r.admits(1e300) && r.admits(-1e300));
        let r = Range::parse(" [ -2.5 , ) ").unwrap();
        assert!(r.admits(-2.5) && r.admits(1e9) && !r.admits(-3.0));
        // An open side without a number is an open infinity (flowServ).
        assert!(!r.admits(f64::INFINITY));
        assert!(Range::parse("[0,]").unwrap().admits(f64::INFINITY));
        assert!(Range::parse("[0,1]").unwrap().admits(f64::NAN));
        assert_eq!(Range::parse("(0,]").unwrap().to_string(), "(0,]");
        assert_eq!(Range::parse("[-1.5,2)").unwrap().to_string(), "[-1.5,2)");
        for bad in [
            "[0,", "0,1", "[0;1]", "[a,1]", "[0,1,2]", "", "[", "{0,1}", "[1,0]",
        ] {
            assert!(Range::parse(bad).is_err(), "{bad}");
        }
        assert!(Range::parse("[0,").unwrap_err().contains("range '[0,'"));
        assert!(
            para_err(json!({"name": "r", "dtype": "float", "range": "[0,"}))
                .contains("parameters[0] 'r': range '[0,' is not an interval")
        );
        assert!(
            para_err(json!({"name": "r", "dtype": "int", "range": 5})).contains("interval string")
        );
    }

    #[test]
    fn select_casting() {
        let p = para(json!({"name": "m", "type": "select", "values": [
            {"name": "Brightfield", "value": "brightfield", "isDefault": true},
            {"name": "Phase", "value": "phasecontrast"},
            {"name": "Three", "value": 3}
        ]}));
        assert_eq!(
            p.cast(&json!("phasecontrast")).unwrap(),
            json!("phasecontrast")
        );
        // Python's ==, and a text matching a numeric option by its text.
        assert_eq!(p.cast(&json!("3")).unwrap(), json!(3));
        assert_eq!(p.cast(&json!(3.0)).unwrap(), json!(3.0));
        assert_eq!(p.effective_default(), Some(json!("brightfield")));
        assert_eq!(
            cast_err(&p, json!("Phase")),
            "parameter 'm': 'Phase' is not one of 'brightfield', 'phasecontrast', '3'"
        );
        assert!(para_err(json!({"name": "m", "dtype": "select"})).contains("needs 'values'"));
        assert!(
            para_err(json!({"name": "m", "dtype": "select", "values": []}))
                .contains("must not be empty")
        );
        let p = para(json!({"name": "m", "dtype": "select", "values": ["a"], "defaultValue": "b"}));
        assert!(p
            .default_problem()
            .unwrap()
            .contains("'defaultValue' is not valid"));
    }

    #[test]
    fn string_casting() {
        let p = para(json!({"name": "s", "dtype": "string", "defaultValue": "Hello"}));
        assert_eq!(p.cast(&json!("x y")).unwrap(), json!("x y"));
        assert_eq!(p.cast(&json!(5)).unwrap(), json!("5"));
        assert_eq!(p.cast(&json!(true)).unwrap(), json!("True"));
        assert_eq!(p.cast(&json!(1.0)).unwrap(), json!("1.0"));
        assert_eq!(
            p.cast(&json!({"a": [1, "b"]})).unwrap(),
            json!("{'a': [1, 'b']}")
        );
    }

    #[test]
    fn file_casting_and_targets() {
        let p = para(json!({"name": "names", "dtype": "file", "target": "data/names.txt"}));
        let f = p.cast_file(&json!("/tmp/my.txt")).unwrap();
        assert_eq!(
            (f.source.as_str(), f.target.as_str()),
            ("/tmp/my.txt", "data/names.txt")
        );
        let f = p
            .cast_file(&json!({"value": "abc", "as": "data/other.txt"}))
            .unwrap();
        assert_eq!(f.target, "data/other.txt");
        assert_eq!(
            p.cast_file(&json!({"value": "abc", "as": "../x"}))
                .unwrap_err()
                .to_string(),
            "parameter 'names': target: path '../x' leaves its folder ('..' is not allowed)"
        );
        assert!(p
            .cast_file(&json!({"value": "abc", "as": "/etc/x"}))
            .unwrap_err()
            .to_string()
            .contains("absolute"));
        let defaulted = para(json!({"name": "f", "dtype": "file", "defaultValue": "data/in.txt"}));
        assert_eq!(
            defaulted.cast_file(&json!("/tmp/x")).unwrap().target,
            "data/in.txt"
        );
        let bare = para(json!({"name": "f", "dtype": "file"}));
        assert!(bare
            .cast_file(&json!("/tmp/x"))
            .unwrap_err()
            .to_string()
            .contains("no target path"));
        assert_eq!(
            bare.cast_file(&json!({"value": "/tmp/x", "as": "in.txt"}))
                .unwrap()
                .target,
            "in.txt"
        );
        assert!(
            para_err(json!({"name": "f", "dtype": "file", "target": "../up"}))
                .contains("'target': path '../up'")
        );
        assert!(bare.cast_file(&json!(3)).is_err());
    }

    #[test]
    fn list_casting() {
        let p = para(
            json!({"name": "l", "dtype": "list", "para": {"name": "item", "dtype": "int", "range": "[0,]"}}),
        );
        assert_eq!(p.cast(&json!([1, "2"])).unwrap(), json!([1, 2]));
        assert_eq!(p.cast(&json!("[3, 4]")).unwrap(), json!([3, 4]));
        assert_eq!(
            cast_err(&p, json!([1, -1])),
            "parameter 'l': item 2: -1 is outside the range [0,]"
        );
        assert!(cast_err(&p, json!("nope")).contains("is not a list"));
        assert!(cast_err(&p, json!(5)).contains("expected a list"));
        assert!(para_err(json!({"name": "l", "dtype": "list"})).contains("needs 'para'"));
    }

    #[test]
    fn record_casting() {
        let p = para(json!({"name": "r", "dtype": "record", "fields": [
            {"name": "a", "dtype": "int", "isRequired": true},
            {"name": "b", "dtype": "string", "defaultValue": "x"},
            {"name": "c", "para": {"dtype": "bool", "isRequired": false}}
        ]}));
        assert_eq!(
            p.cast(&json!({"a": "1"})).unwrap(),
            json!({"a": 1, "b": "x"})
        );
        assert_eq!(
            p.cast(&json!([{"name": "a", "value": 2}, {"name": "c", "value": "true"}]))
                .unwrap(),
            json!({"a": 2, "b": "x", "c": true})
        );
        assert_eq!(
            p.cast(&json!("{\"a\": 5, \"b\": \"y\"}")).unwrap(),
            json!({"a": 5, "b": "y"})
        );
        assert_eq!(
            cast_err(&p, json!({"b": "y"})),
            "parameter 'r': field 'a' is required"
        );
        assert_eq!(
            cast_err(&p, json!({"a": 1, "z": 2})),
            "parameter 'r': record has no field 'z'"
        );
        assert!(cast_err(&p, json!({"a": "q"})).contains("field 'a': 'q' is not an integer"));
        assert!(cast_err(&p, json!([{"value": 1}])).contains("'name'"));
        assert!(para_err(json!({"name": "r", "dtype": "record", "fields": [{"name": "a", "dtype": "int"}, {"name": "a", "dtype": "int"}]})).contains("declared twice"));
    }

    #[test]
    fn actor_casting() {
        let p = para(json!({"name": "model", "dtype": "actor"}));
        let step = json!({"environment": "python:3.9", "commands": ["python m.py"]});
        assert_eq!(p.cast(&step).unwrap(), step);
        assert_eq!(p.cast(&json!(step.to_string())).unwrap(), step);
        assert!(cast_err(&p, json!({"environment": "x"}))
            .contains("neither 'commands' nor 'notebook' nor 'func'"));
        assert!(cast_err(&p, json!("python m.py")).contains("an actor is a workflow step"));
    }

    #[test]
    fn defaults_are_checked_only_when_used() {
        // flowServ loads such templates; flowdesk warns and fails the run that
        // needs the default.
        let p = para(json!({"name": "n", "dtype": "int", "defaultValue": "x"}));
        assert_eq!(
            p.default_problem().unwrap(),
            "'defaultValue' is not valid: 'x' is not an integer; a run without a value for 'n' fails"
        );
        let p = para(json!({"name": "n", "dtype": "int", "range": "[0,1]", "defaultValue": 5}));
        assert!(p.default_problem().unwrap().contains("outside the range"));
        // Any actor step form flowServ takes: a step, or flowServ GUI's list.
        for default in [
            json!({"environment": "python:3.9", "commands": ["python m.py"]}),
            json!(["container", {"image": "python:3.9", "commands": ["python m.py"]}]),
        ] {
            let p = para(json!({"name": "a", "dtype": "actor", "defaultValue": default}));
            assert_eq!(p.default_problem(), None);
        }
        let p = para(json!({"name": "a", "dtype": "actor", "defaultValue": "nope"}));
        assert!(p.default_problem().is_some());
        // File defaults are paths: they must stay inside the template.
        assert!(
            para_err(json!({"name": "f", "dtype": "file", "defaultValue": "../x"}))
                .contains("'defaultValue'")
        );
        assert_eq!(
            para(json!({"name": "n", "dtype": "float", "defaultValue": 0.75})).default,
            Some(json!(0.75))
        );
    }
}
