//! Property test: arbitrary documents and arbitrary YAML text fed to the template
//! loader and the expander end as values or errors, never as panics.

use flowdesk::template::include::parse_document;
use flowdesk::template::{ExpandOptions, Template};
use proptest::prelude::*;
use serde_json::{Map, Value};
use std::path::Path;

/// Keys the loader looks at, so generated documents reach deep into it.
const KEYS: &[&str] = &[
    "workflow",
    "parameters",
    "parameterGroups",
    "outputs",
    "results",
    "postproc",
    "name",
    "dtype",
    "type",
    "datatype",
    "label",
    "index",
    "isRequired",
    "defaultValue",
    "range",
    "values",
    "value",
    "isDefault",
    "target",
    "para",
    "fields",
    "group",
    "steps",
    "action",
    "commands",
    "environment",
    "notebook",
    "func",
    "files",
    "inputs",
    "outputs",
    "file",
    "schema",
    "orderBy",
    "sortDesc",
    "path",
    "specification",
    "runs",
    "source",
    "key",
];

const WORDS: &[&str] = &[
    "int",
    "float",
    "bool",
    "select",
    "file",
    "string",
    "list",
    "record",
    "actor",
    "serial",
    "$[[x]]",
    "$[[x ? a : b]]",
    "$[[",
    "]]",
    "${x}",
    "$$",
    "[0,1]",
    "(0,]",
    "[0,",
    "../up",
    "/abs",
    "a/b.txt",
    "x",
    "1",
    "true",
    "inf",
    "",
];

fn scalar() -> impl Strategy<Value = Value> {
    prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::Bool),
        any::<i64>().prop_map(|i| Value::Number(i.into())),
        any::<f64>().prop_map(|f| serde_json::Number::from_f64(f)
            .map(Value::Number)
            .unwrap_or(Value::Null)),
        prop::sample::select(WORDS).prop_map(|s| Value::String(s.to_string())),
        "\\PC{0,12}".prop_map(Value::String),
    ]
}

fn document() -> impl Strategy<Value = Value> {
    scalar().prop_recursive(5, 64, 6, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..5).prop_map(Value::Array),
            prop::collection::vec((prop::sample::select(KEYS), inner), 0..6).prop_map(|pairs| {
                let mut map = Map::new();
                for (k, v) in pairs {
                    map.insert(k.to_string(), v);
                }
                Value::Object(map)
            }),
        ]
    })
}

fn exercise(document: Value, arguments: Map<String, Value>) {
    if let Ok(template) = Template::from_value(document, "fuzz.yaml") {
        let options = ExpandOptions {
            python: "python3".into(),
        };
        if let Ok(bound) = template.bind(&arguments) {
            let _ = template.expand(&bound, &options);
        }
        let _ = template.expand_postproc(&options);
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(2000))]

    #[test]
    fn arbitrary_documents_never_panic(doc in document(), args in prop::collection::vec((prop::sample::select(WORDS), scalar()), 0..4)) {
        let arguments: Map<String, Value> = args.into_iter().map(|(k, v)| (k.to_string(), v)).collect();
        exercise(doc, arguments);
    }

    #[test]
    fn arbitrary_yaml_text_never_panics(text in "\\PC{0,200}") {
        let dir = Path::new("/nonexistent-fuzz-root");
        if let Ok(doc) = parse_document(&text, &dir.join("spec.yaml"), "spec.yaml", dir, 0) {
            exercise(doc, Map::new());
        }
    }

    #[test]
    fn structured_yaml_text_never_panics(doc in document()) {
        let text = serde_yaml::to_string(&doc).unwrap_or_default();
        let dir = Path::new("/nonexistent-fuzz-root");
        if let Ok(parsed) = parse_document(&text, &dir.join("spec.yaml"), "spec.yaml", dir, 0) {
            exercise(parsed, Map::new());
        }
    }
}

/// A well-formed template with every parameter type, so the expander's success
/// path is exercised with arbitrary argument values too.
fn full_template() -> Template {
    let doc: Value = serde_json::from_str(
        r#"{
        "workflow": {"steps": [
            {"name": "a", "action": {"environment": "x", "commands": ["run $[[n]] $[[f]] $[[b ? y : n]] ${s} $[[l]] $[[r]]"]}},
            {"name": "b", "action": "$[[actor]]"}
        ]},
        "parameters": [
            {"name": "n", "dtype": "int", "range": "[0,10]", "defaultValue": 1},
            {"name": "f", "dtype": "float", "defaultValue": 0.5},
            {"name": "b", "dtype": "bool"},
            {"name": "s", "dtype": "select", "values": ["a", "b"], "defaultValue": "a"},
            {"name": "l", "dtype": "list", "para": {"name": "i", "dtype": "int"}, "defaultValue": [1]},
            {"name": "r", "dtype": "record", "fields": [{"name": "x", "dtype": "string"}], "defaultValue": {"x": "1"}},
            {"name": "file", "dtype": "file", "target": "in.txt"},
            {"name": "actor", "dtype": "actor", "defaultValue": {"commands": ["echo"]}}
        ]}"#,
    )
    .unwrap();
    Template::from_value(doc, "full.yaml").unwrap()
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(2000))]

    #[test]
    fn arbitrary_arguments_never_panic(args in prop::collection::vec((prop::sample::select(&["n", "f", "b", "s", "l", "r", "file", "actor", "zzz"][..]), document()), 0..5)) {
        let template = full_template();
        let arguments: Map<String, Value> = args.into_iter().map(|(k, v)| (k.to_string(), v)).collect();
        if let Ok(bound) = template.bind(&arguments) {
            let _ = template.expand(&bound, &ExpandOptions { python: "python3".into() });
        }
    }
}
