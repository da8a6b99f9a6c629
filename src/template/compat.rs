//! What flowdesk deliberately does differently from flowserv-core 0.9.4, the
//! implementation whose behaviour flowdesk follows. This table is the one
//! list: README's compatibility section shows it, and the differential suite
//! (`tests/conformance.rs`) checks that the differences it finds between
//! flowdesk and the real flowServ are exactly these.
//!
//! Each one is either an extension (flowdesk runs something 0.9.4 refuses or
//! gets wrong, so no benchmark that works in flowServ changes) or a refusal
//! that protects the user's data.

/// One intentional difference.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Difference {
    /// Short stable name, used by the suite and in README.
    pub id: &'static str,
    /// What differs.
    pub what: &'static str,
    /// Why flowdesk does it its way.
    pub why: &'static str,
}

/// Every intentional difference, in README order.
pub const DIFFERENCES: &[Difference] = &[
    Difference {
        id: "reana-syntax",
        what: "Workflows in the REANA serial syntax of the user guide (`inputs`, `workflow.specification.steps`, `outputs`) run; flowserv-core 0.9.4 finds no `steps` in them and ends the run in ERROR without running anything.",
        why: "The user guide teaches this syntax; flowdesk normalizes both syntaxes to the same steps.",
    },
    Difference {
        id: "embedded-references",
        what: "`$[[name]]` inside a longer string (a workflow parameter like `--n $[[n]]`, or a command) is replaced by the argument's text; 0.9.4 replaces only a value that is exactly one reference, leaves the others as written and fails a command that holds one.",
        why: "Templates written from the user guide put references in commands; nothing that works in flowServ contains one.",
    },
    Difference {
        id: "reference-spaces",
        what: "`$[[ name ]]` with spaces inside the brackets is the reference `name`; 0.9.4 accepts the template but fails every run that uses it (KeyError `' name '`).",
        why: "The spaces are a typing habit, not a different name.",
    },
    Difference {
        id: "shell-dollar",
        what: "A `$` in a command that flowServ cannot substitute (`$(date)`, `$1`, a final `$`, or `$HOME/x` when `HOME` is not a workflow variable) stays in the command for the shell; 0.9.4 fails the run (ValueError or KeyError from `string.Template`).",
        why: "Failing helps no one; what flowServ substitutes (`${name}`, `$name `, `$$`) is substituted exactly as it does.",
    },
    Difference {
        id: "conditional-default",
        what: "`$[[flag ? a : b]]` on a parameter that gets its value from its `defaultValue` uses that default; 0.9.4's client passes only defaults Python finds true, so a conditional on a `false` (or missing) default fails the run with MissingArgumentError.",
        why: "A declared default is a value; a form that leaves a checkbox unchecked must be able to run.",
    },
    Difference {
        id: "actor-default",
        what: "An actor parameter's `defaultValue` (a step serialization, or `['container', {image, commands}]` as flowServ's GUI writes it) runs as the step when no other step is given; 0.9.4 refuses the run (`invalid actor value`).",
        why: "The default is declared to be run; optional actors without a value and without a default skip their step in both.",
    },
    Difference {
        id: "select-isdefault",
        what: "A `select` parameter without `defaultValue` takes the option marked `isDefault: true`; 0.9.4 requires an argument for it.",
        why: "flowServ's own forms preselect that option; a run should get what the form shows.",
    },
    Difference {
        id: "select-option-text",
        what: "A text argument matches a `select` option whose value is a number or boolean with the same text (`\"3\"` chooses `3`); 0.9.4 compares with `==` and refuses it.",
        why: "Command lines and forms give text; otherwise numeric options could not be chosen from `flowdesk run --arg`.",
    },
    Difference {
        id: "list-record-text",
        what: "`list` and `record` arguments may also be given as JSON text, and a record as a mapping `{field: value}`; 0.9.4 takes only a Python list (of `{name, value}` for records).",
        why: "Command lines and forms give text.",
    },
    Difference {
        id: "nested-declarations",
        what: "A list's `para` and a record's `fields` may leave out `index` and `isRequired` (defaults as for top-level parameters); 0.9.4 refuses such a template.",
        why: "The same defaults everywhere are less to remember.",
    },
    Difference {
        id: "key-aliases",
        what: "The key spellings of the user guide's examples are accepted (`type`/`datatype` for `dtype`, `required`, `description`, `module`, result type `decimal`); 0.9.4 refuses unknown keys.",
        why: "Templates are written from the user guide.",
    },
    Difference {
        id: "inline-workflowspec",
        what: "A manifest may hold the template inline as `workflowSpec` instead of naming a `specfile`; 0.9.4 refuses the manifest.",
        why: "The reference API documents the key.",
    },
    Difference {
        id: "include-whitespace",
        what: "`{{ file.md }}` includes in instructions may have spaces inside the braces; 0.9.4 looks for a file named with the spaces and refuses to install the template.",
        why: "The spaces are layout, not part of the file name.",
    },
    Difference {
        id: "unsafe-paths",
        what: "Paths in manifests, templates and arguments that leave their folder (`..`, absolute paths, links pointing out) are refused; 0.9.4 copies and writes wherever they point.",
        why: "Protects the user's files: a benchmark must not read or overwrite anything outside its folders.",
    },
    Difference {
        id: "broken-steps",
        what: "A workflow step whose action has neither `commands`, `notebook` nor `func` is refused when the template is loaded; 0.9.4 installs the template and fails every run.",
        why: "A template that cannot run is better reported to its author at once.",
    },
    Difference {
        id: "all-files-when-undeclared",
        what: "A run of a workflow that declares no outputs (neither `outputs` nor `files.outputs`) lists every file it produced; 0.9.4 lists none.",
        why: "Without a declaration the participant would see nothing of what the run made.",
    },
    Difference {
        id: "result-errors",
        what: "A run whose result file is missing, unreadable, lacks a required column or holds a value that does not cast ends in ERROR with a message naming the file and column; 0.9.4 ends it in SUCCESS without results (so it is silently left out of the leaderboard).",
        why: "The participant learns why the run is not ranked.",
    },
    Difference {
        id: "missing-sort-values",
        what: "Leaderboard rows without a value in a sort column (an optional column) sort last; 0.9.4 fails to build the ranking (TypeError comparing None).",
        why: "One run without an optional value must not take the whole leaderboard down.",
    },
    Difference {
        id: "duplicate-name",
        what: "Installing a benchmark under a name that is taken is refused with the next free name suggested (`Hello World (1)`); 0.9.4 installs it under that name silently.",
        why: "Two benchmarks must not be confused; the suggestion is one click (or `--name`) away.",
    },
];

/// The difference called `id`.
pub fn difference(id: &str) -> Option<&'static Difference> {
    DIFFERENCES.iter().find(|d| d.id == id)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_are_unique_and_readme_lists_every_difference() {
        let readme = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/README.md"))
            .unwrap_or_default();
        for (i, d) in DIFFERENCES.iter().enumerate() {
            assert!(
                DIFFERENCES[..i].iter().all(|e| e.id != d.id),
                "{} twice",
                d.id
            );
            let row = format!("| `{}` | {} | {} |", d.id, d.what, d.why);
            assert!(
                readme.contains(&row),
                "README.md's compatibility table lacks the row\n{row}"
            );
        }
    }
}
