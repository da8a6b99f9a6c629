//! The generated corpus: random templates, parameter declarations, argument
//! values, workflows with references and `${var}`, result documents and
//! rankings. A case carries at most one known difference it exercises on
//! purpose (`feature`); a case without one must come out the same in flowdesk
//! and flowServ.

use super::rng::Rng;
use serde_json::{json, Map, Value};

/// One static case: what is sent to the oracle (its `op` says what kind) and
/// the known difference it exercises, if any.
pub struct Case {
    pub request: Value,
    pub feature: Option<&'static str>,
}

const SCALARS: [&str; 5] = ["bool", "string", "int", "float", "select"];

const RANGES: [&str; 9] = [
    "[0,10]",
    "(0,1]",
    "[-5,)",
    "(,100)",
    "[1,1]",
    "[-inf,inf]",
    " [ 0 , 5 ) ",
    "[0,",
    "[2,1]",
];

/// Values of every shape an argument (or a default) can have.
fn any_value(rng: &mut Rng) -> Value {
    let pool = [
        json!(0),
        json!(1),
        json!(-3),
        json!(7),
        json!(2.7),
        json!(-2.5),
        json!(3.0),
        json!(0.5),
        json!(1e-5),
        json!(true),
        json!(false),
        Value::Null,
        json!("0"),
        json!("1"),
        json!("3"),
        json!(" 7 "),
        json!("+4"),
        json!("1_000"),
        json!("1__0"),
        json!("1e3"),
        json!("2.5"),
        json!("-4"),
        json!("inf"),
        json!("-inf"),
        json!(" inf"),
        json!("nan"),
        json!("Infinity"),
        json!("abc"),
        json!(""),
        json!("true"),
        json!("TRUE"),
        json!("t"),
        json!("F"),
        json!("yes"),
        json!("a b"),
        json!("it's"),
        json!([1, 2]),
        json!(["x", 2.5, null]),
        json!({"a": 1}),
    ];
    rng.pick(&pool)
}

fn options(rng: &mut Rng) -> Vec<Value> {
    let pool = [
        json!("a"),
        json!("b"),
        json!(1),
        json!(2),
        json!(3.5),
        json!(true),
    ];
    let n = 1 + rng.below(4);
    let mut values: Vec<Value> = Vec::new();
    while values.len() < n {
        let v = rng.pick(&pool);
        if !values.contains(&v) {
            values.push(v);
        }
    }
    values
}

/// A value that is right for a declaration (mostly), used for defaults and
/// arguments that should pass.
fn valid_value(rng: &mut Rng, decl: &Value) -> Value {
    match decl["dtype"].as_str().unwrap_or("") {
        "bool" => rng.pick(&[json!(true), json!(false), json!("true"), json!("false")]),
        "string" => rng.pick(&[json!("hello"), json!("a b"), json!(""), json!(5)]),
        "int" => {
            let n = rng.int(0, 9);
            if rng.chance(0.3) {
                json!(n.to_string())
            } else {
                json!(n)
            }
        }
        "float" => rng.pick(&[json!(0.5), json!(1), json!(0.0), json!("0.25"), json!(1.0)]),
        "select" => {
            let values = decl["values"].as_array().cloned().unwrap_or_default();
            values
                .get(rng.below(values.len().max(1)))
                .map(|o| o["value"].clone())
                .unwrap_or(Value::Null)
        }
        "list" => {
            let n = rng.below(3);
            Value::Array((0..n).map(|_| valid_value(rng, &decl["para"])).collect())
        }
        "record" => {
            let fields = decl["fields"].as_array().cloned().unwrap_or_default();
            let mut items = Vec::new();
            for field in &fields {
                if rng.chance(0.8) {
                    items.push(json!({"name": field["name"], "value": valid_value(rng, field)}));
                }
            }
            Value::Array(items)
        }
        "file" => json!("data/in.txt"),
        "actor" => json!({"environment": "img", "commands": ["echo from the actor"]}),
        _ => Value::Null,
    }
}

/// A declaration of `dtype` named `name`. `nested` declarations (a list's
/// `para`, a record's fields) carry `index` and `isRequired`, as flowServ
/// needs, unless `drop_nested_keys`.
fn declaration(
    rng: &mut Rng,
    name: &str,
    dtype: &str,
    nested: bool,
    drop_nested_keys: bool,
) -> Value {
    let mut decl = Map::new();
    decl.insert("name".into(), json!(name));
    decl.insert("dtype".into(), json!(dtype));
    if nested && !drop_nested_keys {
        decl.insert("index".into(), json!(0));
        decl.insert("isRequired".into(), json!(rng.chance(0.5)));
    } else if !nested {
        if rng.chance(0.5) {
            decl.insert("index".into(), json!(rng.int(0, 5)));
        }
        if rng.chance(0.4) {
            decl.insert("isRequired".into(), json!(rng.chance(0.5)));
        }
    }
    if rng.chance(0.3) {
        decl.insert("label".into(), json!(format!("Label {name}")));
    }
    if rng.chance(0.2) {
        decl.insert("help".into(), json!("Some help."));
    }
    match dtype {
        "int" | "float" if rng.chance(0.5) => {
            decl.insert("range".into(), json!(rng.pick(&RANGES)));
        }
        "select" => {
            let mut values: Vec<Value> = options(rng)
                .into_iter()
                .map(|v| json!({"name": format!("Option {v}"), "value": v}))
                .collect();
            if rng.chance(0.3) {
                let i = rng.below(values.len());
                values[i]["isDefault"] = json!(true);
            }
            decl.insert("values".into(), Value::Array(values));
        }
        "file" if rng.chance(0.7) => {
            decl.insert("target".into(), json!("data/in.txt"));
        }
        "list" => {
            let item = rng.pick(&SCALARS);
            decl.insert(
                "para".into(),
                declaration(rng, "item", item, true, drop_nested_keys),
            );
        }
        "record" => {
            let n = 1 + rng.below(3);
            let fields: Vec<Value> = (0..n)
                .map(|i| {
                    let dtype = rng.pick(&SCALARS);
                    declaration(
                        rng,
                        &format!("f{i}"),
                        dtype,
                        true,
                        drop_nested_keys && i == 0,
                    )
                })
                .collect();
            decl.insert("fields".into(), Value::Array(fields));
        }
        _ => {}
    }
    let decl_value = Value::Object(decl.clone());
    if rng.chance(0.5) {
        let default = if rng.chance(0.75) {
            valid_value(rng, &decl_value)
        } else {
            any_value(rng)
        };
        decl.insert("defaultValue".into(), default);
    }
    Value::Object(decl)
}

fn steps() -> Value {
    json!([{"name": "main", "action": {"environment": "img", "commands": ["echo"]}}])
}

// ----- template cases ------------------------------------------------------------

/// A template document: parameters of every type with and without `index`,
/// `isRequired`, `defaultValue`; groups; outputs; a result schema.
pub fn template_case(rng: &mut Rng, id: usize) -> Case {
    let mut feature = None;
    let roll = rng.below(100);
    let n = rng.below(6);
    let mut parameters: Vec<Value> = Vec::new();
    let types = [
        "bool", "string", "int", "float", "select", "file", "list", "record", "actor",
    ];
    for i in 0..n {
        let dtype = rng.pick(&types);
        let nested_feature = roll < 8 && matches!(dtype, "list" | "record") && feature.is_none();
        let mut decl = declaration(rng, &format!("p{i}"), dtype, false, nested_feature);
        if nested_feature {
            feature = Some("nested-declarations");
        }
        if rng.chance(0.2) {
            decl["group"] = json!(rng.pick(&["g1", "g2", "nogroup"]));
        }
        parameters.push(decl);
    }
    if (8..14).contains(&roll) && !parameters.is_empty() {
        // The user guide's spellings.
        let decl = parameters[0].as_object_mut().unwrap();
        let dtype = decl.remove("dtype").unwrap();
        decl.insert(rng.pick(&["type", "datatype"]).to_string(), dtype);
        feature = Some("key-aliases");
    }
    if (14..17).contains(&roll) && n > 1 {
        let copy = parameters[0]["name"].clone();
        parameters[1]["name"] = copy;
    }
    let mut workflow = json!({"steps": steps()});
    let mut refs = Map::new();
    for p in &parameters {
        if rng.chance(0.5) {
            let name = p["name"].as_str().unwrap().to_string();
            refs.insert(format!("v_{name}"), json!(format!("$[[{name}]]")));
        }
    }
    if (17..20).contains(&roll) {
        refs.insert("nope".into(), json!("$[[undeclared]]"));
    }
    workflow["parameters"] = Value::Object(refs);
    if (20..23).contains(&roll) {
        workflow["steps"] = json!([{"name": "nothing", "action": {"environment": "img"}}]);
        feature = Some("broken-steps");
    }
    let mut doc = json!({"workflow": workflow, "parameters": parameters});
    if rng.chance(0.3) {
        doc["parameterGroups"] = json!([
            {"name": "g1", "title": "First", "index": 2},
            {"name": "g2", "title": "Second", "index": 1}
        ]);
    }
    if rng.chance(0.3) {
        let mut output = json!({"source": "results/a.txt"});
        if rng.chance(0.5) {
            output["key"] = json!("a");
        }
        if rng.chance(0.5) {
            output["title"] = json!("A");
        }
        doc["outputs"] = json!([output]);
    }
    if (23..26).contains(&roll) {
        doc["outputs"] = json!([{"source": "../outside.txt"}]);
        feature = Some("unsafe-paths");
    }
    if rng.chance(0.6) {
        let columns = 1 + rng.below(4);
        let mut schema: Vec<Value> = (0..columns)
            .map(|i| {
                let mut column = json!({
                    "name": format!("c{i}"),
                    "label": format!("Column {i}"),
                    "dtype": rng.pick(&["int", "float", "string"]),
                });
                if rng.chance(0.3) {
                    column["path"] = json!(format!("values/c{i}"));
                }
                if rng.chance(0.3) {
                    column["required"] = json!(rng.chance(0.5));
                }
                column
            })
            .collect();
        if (26..29).contains(&roll) {
            schema[0]["dtype"] = json!("decimal");
            feature = Some("key-aliases");
        }
        if (29..32).contains(&roll) && columns > 1 {
            schema[1]["label"] = schema[0]["label"].clone();
        }
        let mut results = json!({"file": "results/r.json", "schema": schema});
        if rng.chance(0.5) {
            let order: Vec<Value> = (0..1 + rng.below(2))
                .map(|_| {
                    let mut entry = json!({"name": format!("c{}", rng.below(columns))});
                    if rng.chance(0.6) {
                        entry["sortDesc"] = json!(rng.chance(0.5));
                    }
                    entry
                })
                .collect();
            results["orderBy"] = Value::Array(order);
        }
        if (32..35).contains(&roll) {
            results["orderBy"] = json!([{"name": "nocolumn"}]);
        }
        doc["results"] = results;
    }
    Case {
        request: json!({"id": id, "op": "template", "doc": doc}),
        feature,
    }
}

// ----- cast cases ------------------------------------------------------------------

/// One declaration and one value to cast.
pub fn cast_case(rng: &mut Rng, id: usize) -> Case {
    let dtype = rng.pick(&["bool", "string", "int", "float", "select", "list", "record"]);
    let mut decl = declaration(rng, "x", dtype, false, false);
    // Casting does not look at the default; keep the declaration loadable.
    decl.as_object_mut().unwrap().remove("defaultValue");
    if let Some(range) = decl.get("range").and_then(Value::as_str) {
        if range == "[0," || range == "[2,1]" {
            decl["range"] = json!("[0,10]");
        }
    }
    let mut feature = None;
    let value = match dtype {
        "select" if rng.chance(0.5) => {
            let values = decl["values"].as_array().cloned().unwrap_or_default();
            let option = values[rng.below(values.len())]["value"].clone();
            if !option.is_string() && rng.chance(0.5) {
                feature = Some("select-option-text");
                json!(flowdesk::template::python_str(&option))
            } else {
                option
            }
        }
        "list" if rng.chance(0.6) => {
            let items = valid_value(rng, &decl);
            if rng.chance(0.3) {
                feature = Some("list-record-text");
                json!(items.to_string())
            } else {
                items
            }
        }
        "record" if rng.chance(0.6) => {
            let items = valid_value(rng, &decl);
            if rng.chance(0.3) {
                feature = Some("list-record-text");
                let mapping: Map<String, Value> = items
                    .as_array()
                    .unwrap()
                    .iter()
                    .map(|i| (i["name"].as_str().unwrap().to_string(), i["value"].clone()))
                    .collect();
                Value::Object(mapping)
            } else if rng.chance(0.2) {
                json!([{"name": "nofield", "value": 1}])
            } else {
                items
            }
        }
        _ if rng.chance(0.5) => valid_value(rng, &decl),
        _ => any_value(rng),
    };
    // A value from the general pool can hit a convenience just as well.
    if feature.is_none() {
        feature = match (dtype, &value) {
            ("select", Value::String(text)) => decl["values"]
                .as_array()
                .unwrap()
                .iter()
                .any(|o| {
                    !o["value"].is_string() && flowdesk::template::python_str(&o["value"]) == *text
                })
                .then_some("select-option-text"),
            ("list" | "record", Value::String(_)) | ("record", Value::Object(_)) => {
                Some("list-record-text")
            }
            _ => None,
        };
    }
    Case {
        request: json!({"id": id, "op": "cast", "decl": decl, "value": value}),
        feature,
    }
}

// ----- expand cases ------------------------------------------------------------

/// A workflow whose parameters reference the template's, with conditionals,
/// commands with `${var}`, `$var`, `$$` and names that are not variables, and
/// random arguments.
pub fn expand_case(rng: &mut Rng, id: usize) -> Case {
    let types = [
        "bool", "string", "int", "float", "select", "list", "record", "file", "actor",
    ];
    let roll = rng.below(100);
    let mut feature: Option<&'static str> = None;
    let n = 1 + rng.below(4);
    let mut parameters: Vec<Value> = Vec::new();
    for i in 0..n {
        let dtype = rng.pick(&types);
        let mut decl = declaration(rng, &format!("p{i}"), dtype, false, false);
        let decl_map = decl.as_object_mut().unwrap();
        // Only well-formed declarations and defaults: this is about expansion.
        if let Some(range) = decl_map.get("range").and_then(Value::as_str) {
            if range == "[0," || range == "[2,1]" || range == "[1,1]" || range == "(0,1]" {
                decl_map.remove("range");
            }
        }
        if let Some(values) = decl_map.get_mut("values").and_then(Value::as_array_mut) {
            for option in values.iter_mut() {
                option.as_object_mut().unwrap().remove("isDefault");
            }
        }
        if dtype == "file" {
            decl_map.insert("target".into(), json!("data/in.txt"));
        }
        if dtype == "actor" {
            decl_map.remove("defaultValue");
        }
        if decl_map.contains_key("defaultValue") {
            let decl_value = Value::Object(decl_map.clone());
            let default = if rng.chance(0.3) {
                // The falsy defaults flowServ's client leaves out.
                match dtype {
                    "bool" => json!(false),
                    "int" => json!(0),
                    "float" => json!(0),
                    "string" => json!(""),
                    "list" => json!([]),
                    _ => valid_value(rng, &decl_value),
                }
            } else {
                valid_value(rng, &decl_value)
            };
            decl_map.insert("defaultValue".into(), default);
        }
        parameters.push(decl);
    }
    let mut arguments = Map::new();
    for p in &parameters {
        if rng.chance(0.6) {
            arguments.insert(p["name"].as_str().unwrap().to_string(), valid_value(rng, p));
        }
    }
    // Workflow variables.
    let mut variables = Map::new();
    let mut names: Vec<String> = Vec::new();
    for (i, p) in parameters.iter().enumerate() {
        let name = p["name"].as_str().unwrap().to_string();
        if p["dtype"] == "actor" {
            continue;
        }
        let conditional = p["dtype"] == "bool" && rng.chance(0.6);
        let value = if conditional {
            if rng.chance(0.3) {
                format!("$[[{name} ? --on]]")
            } else {
                format!("$[[{name} ? yes : no]]")
            }
        } else {
            format!("$[[{name}]]")
        };
        if conditional && !arguments.contains_key(&name) {
            let default = p.get("defaultValue");
            // flowServ's client passes only defaults Python finds true.
            if default.is_some_and(|d| !flowdesk_truthy(d)) {
                if feature.is_none() {
                    feature = Some("conditional-default");
                } else {
                    arguments.insert(name.clone(), json!(true));
                }
            }
        }
        variables.insert(format!("v{i}"), json!(value));
        names.push(format!("v{i}"));
    }
    variables.insert("const".into(), json!("fixed text"));
    variables.insert(
        "num".into(),
        json!(rng.pick(&[json!(5), json!(1.5), json!(true)])),
    );
    names.push("const".into());
    names.push("num".into());
    // The one difference this case exercises on purpose, if any.
    if feature.is_none() {
        match roll {
            0..=5 => {
                let target = rng.pick(&parameters)["name"].as_str().unwrap().to_string();
                if parameters
                    .iter()
                    .any(|p| p["name"] == target.as_str() && p["dtype"] != "actor")
                {
                    variables.insert("embedded".into(), json!(format!("--x $[[{target}]]")));
                    names.push("embedded".into());
                    feature = Some("embedded-references");
                }
            }
            6..=10 => {
                let target = rng.pick(&parameters);
                if target["dtype"] != "actor" {
                    let name = target["name"].as_str().unwrap();
                    variables.insert("spaced".into(), json!(format!("$[[ {name} ]]")));
                    names.push("spaced".into());
                    feature = Some("reference-spaces");
                }
            }
            _ => {}
        }
    }
    // Commands.
    let mut commands: Vec<String> = Vec::new();
    for _ in 0..1 + rng.below(3) {
        let mut words: Vec<String> = vec!["echo".into()];
        for _ in 0..1 + rng.below(4) {
            let var = rng.pick(&names);
            let word = match rng.below(9) {
                0 => format!("${{{var}}}"),
                1 => format!("${var}"),
                2 => format!("'${{{var}}}'"),
                3 => "${python}".to_string(),
                4 => "$$HOME".to_string(),
                5 => "${UNKNOWN}".to_string(),
                6 => "$unknown".to_string(),
                7 => format!("--{var}=\"${{{var}}}\""),
                _ => "plain".to_string(),
            };
            words.push(word);
        }
        commands.push(words.join(" "));
    }
    if feature.is_none() && (11..=16).contains(&roll) {
        let shell = rng.pick(&["$(date)", "$HOME/x", "cost 5$", "$1", "${ x}"]);
        commands.push(format!("echo {shell}"));
        feature = Some("shell-dollar");
    }
    if feature.is_none() && (17..=19).contains(&roll) {
        commands.push(format!(
            "echo $[[{}]]",
            parameters[0]["name"].as_str().unwrap()
        ));
        if parameters[0]["dtype"] != "actor" {
            feature = Some("embedded-references");
        } else {
            commands.pop();
        }
    }
    let mut steps =
        vec![json!({"name": "main", "action": {"environment": "img", "commands": commands}})];
    for p in &parameters {
        if p["dtype"] == "actor" {
            steps.push(json!({"name": format!("step_{}", p["name"].as_str().unwrap()), "action": format!("$[[{}]]", p["name"].as_str().unwrap())}));
        }
    }
    let mut workflow = json!({"parameters": variables, "steps": steps});
    if rng.chance(0.5) {
        workflow["files"] = json!({"inputs": ["code/run.py"], "outputs": ["results/out.txt"]});
    }
    // An actor with a default and no argument; a select preselecting an option.
    if feature.is_none()
        && (20..=25).contains(&roll)
        && !parameters.iter().any(|p| p["dtype"] == "actor")
    {
        let name = format!("p{}", parameters.len());
        parameters.push(json!({"name": name, "dtype": "actor", "isRequired": false}));
        let step = format!("step_{name}");
        workflow["steps"]
            .as_array_mut()
            .unwrap()
            .push(json!({"name": step, "action": format!("$[[{name}]]")}));
    }
    if feature.is_none()
        && (26..=30).contains(&roll)
        && !parameters.iter().any(|p| p["dtype"] == "select")
    {
        parameters.push(json!({"name": format!("p{}", parameters.len()), "dtype": "select", "values": [{"name": "A", "value": "a"}, {"name": "B", "value": 2}]}));
    }
    if feature.is_none() && (20..=25).contains(&roll) {
        if let Some(actor) = parameters.iter_mut().find(|p| p["dtype"] == "actor") {
            let name = actor["name"].as_str().unwrap().to_string();
            actor["defaultValue"] = rng.pick(&[
                json!({"environment": "img", "commands": ["echo default ${const}"]}),
                json!(["container", {"image": "img", "commands": ["echo default"]}]),
            ]);
            arguments.remove(&name);
            feature = Some("actor-default");
        }
    }
    if feature.is_none() && (26..=30).contains(&roll) {
        if let Some(select) = parameters.iter_mut().find(|p| p["dtype"] == "select") {
            let name = select["name"].as_str().unwrap().to_string();
            let decl = select.as_object_mut().unwrap();
            decl.remove("defaultValue");
            decl.remove("isRequired");
            decl["values"][0]["isDefault"] = json!(true);
            arguments.remove(&name);
            feature = Some("select-isdefault");
        }
    }
    let doc = json!({"workflow": workflow, "parameters": parameters});
    Case {
        request: json!({"id": id, "op": "expand", "doc": doc, "arguments": arguments}),
        feature,
    }
}

fn flowdesk_truthy(value: &Value) -> bool {
    match value {
        Value::Null => false,
        Value::Bool(b) => *b,
        Value::Number(n) => n.as_f64() != Some(0.0),
        Value::String(s) => !s.is_empty(),
        Value::Array(a) => !a.is_empty(),
        Value::Object(o) => !o.is_empty(),
    }
}

// ----- result cases --------------------------------------------------------------

fn put(document: &mut Value, path: &[String], value: Value) {
    let mut current = document;
    for key in &path[..path.len() - 1] {
        if !current.get(key).is_some_and(Value::is_object) {
            current[key.as_str()] = json!({});
        }
        current = current.get_mut(key.as_str()).unwrap();
    }
    current[path[path.len() - 1].as_str()] = value;
}

/// A result schema and a result document with nested, missing, extra and
/// mistyped values.
pub fn results_case(rng: &mut Rng, id: usize) -> Case {
    let columns = 1 + rng.below(4);
    let mut schema: Vec<Value> = Vec::new();
    let mut document = json!({"extra": {"ignored": [1, 2]}});
    for i in 0..columns {
        let dtype = rng.pick(&["int", "float", "string"]);
        let mut column = json!({"name": format!("c{i}"), "label": format!("C{i}"), "dtype": dtype});
        let path: Vec<String> = if rng.chance(0.4) {
            let path = rng.pick(&["a/b", "a/c", "deep/er/value", "list/0"]);
            column["path"] = json!(format!("{path}{i}"));
            format!("{path}{i}").split('/').map(String::from).collect()
        } else {
            vec![format!("c{i}")]
        };
        if rng.chance(0.4) {
            column["required"] = json!(rng.chance(0.5));
        }
        schema.push(column);
        let value = match rng.below(12) {
            0 => None,
            1 => Some(Value::Null),
            2 => Some(json!("x")),
            3 => Some(json!(true)),
            4 => Some(json!("12")),
            5 => Some(json!(2.7)),
            6 => Some(json!([1])),
            7 => Some(json!({"n": 1})),
            8 => Some(json!(" 3 ")),
            9 => Some(json!(1e15)),
            _ => Some(match dtype {
                "int" => json!(rng.int(-5, 50)),
                "float" => json!(rng.int(-50, 50) as f64 / 4.0),
                _ => json!(format!("text {i}")),
            }),
        };
        if let Some(value) = value {
            if path[0] == "list" {
                document["list"] = json!([value]);
            } else {
                put(&mut document, &path, value);
            }
        }
    }
    let schema = json!({"file": "results/r.json", "schema": schema});
    let text = document.to_string();
    Case {
        request: json!({"id": id, "op": "results", "schema": schema, "text": text}),
        feature: None,
    }
}

// ----- ranking cases ------------------------------------------------------------

/// A schema with `orderBy` and runs of a few submissions with tied values.
pub fn ranking_case(rng: &mut Rng, id: usize) -> Case {
    let columns = 1 + rng.below(3);
    let mut schema: Vec<Value> = Vec::new();
    for i in 0..columns {
        let mut column = json!({
            "name": format!("c{i}"),
            "label": format!("C{i}"),
            "dtype": rng.pick(&["int", "float", "string"]),
        });
        if rng.chance(0.2) {
            column["required"] = json!(false);
        }
        schema.push(column);
    }
    let mut results = json!({"file": "results/r.json", "schema": schema.clone()});
    let mut sort: Vec<usize> = vec![0];
    if rng.chance(0.7) {
        let order: Vec<usize> = (0..1 + rng.below(2)).map(|_| rng.below(columns)).collect();
        results["orderBy"] = Value::Array(
            order
                .iter()
                .map(|i| {
                    let mut entry = json!({"name": format!("c{i}")});
                    if rng.chance(0.7) {
                        entry["sortDesc"] = json!(rng.chance(0.5));
                    }
                    entry
                })
                .collect(),
        );
        sort = order;
    }
    let n = 1 + rng.below(6);
    let mut runs: Vec<Value> = Vec::new();
    let mut missing_in_sort = false;
    for _ in 0..n {
        let mut values = Map::new();
        for (i, column) in schema.iter().enumerate() {
            if column["required"] == json!(false) && rng.chance(0.3) {
                missing_in_sort |= sort.contains(&i);
                continue;
            }
            let value = match column["dtype"].as_str().unwrap() {
                "int" => json!(rng.int(0, 3)),
                "float" => json!(rng.pick(&[0.5, 1.0, 1.5, -2.25])),
                _ => json!(rng.pick(&["a", "b", "B", "ab", ""])),
            };
            values.insert(format!("c{i}"), value);
        }
        runs.push(json!({"submission": rng.pick(&["g1", "g2", "g3"]), "values": values}));
    }
    let feature = (missing_in_sort && n >= 2).then_some("missing-sort-values");
    Case {
        request: json!({"id": id, "op": "ranking", "schema": results, "runs": runs}),
        feature,
    }
}
