//! Falco rules files, loaded in order as Falco 0.44 loads them.
//!
//! [`RuleSet::load`] reads one file (every YAML document in it) and applies its items to what
//! earlier files defined: new lists, macros and rules; `append: true`; Falco 0.44's
//! `override` (`append` or `replace` per key); a rule item with only `enabled`. Problems are
//! [`Finding`]s named as Falco names them (`LOAD_ERR_YAML_VALIDATE`, `LOAD_ERR_VALIDATE`, …),
//! with the item type and name Falco reports them on, so a verdict can be compared with
//! Falco's own loader tests. [`RuleSet::compile`] then checks what was loaded as Falco's
//! compile step does: macro conditions parse and name defined macros without a loop; each
//! enabled rule's condition parses, names defined macros, and checks against the field
//! catalog with its macros and lists expanded (a field or event-type error is the rule's,
//! not the macro's, as in Falco); outputs; exception fields and comparisons.
//! [`RuleSet::expanded`] gives every enabled rule's final condition (macros, lists and
//! exceptions expanded): what the filter compiler reads.

use crate::ast::{Expr, Op};
use crate::check::{self, Env, Kind, Problem};
use crate::parse::parse;
use serde_json::Value;
use std::collections::{BTreeMap, BTreeSet};

/// The newest engine version a rules file may require: the one falcosecurity/rules declares
/// for Falco 0.44 with the container plugin 0.4.0. A file requiring more is refused.
pub const ENGINE_VERSION: (u64, u64, u64) = (0, 57, 0);

/// The sources whose fields the catalog knows. Rules for other sources (plugins such as
/// `aws_cloudtrail`) are skipped with a warning, as Falco skips them without the plugin.
pub const KNOWN_SOURCES: &[&str] = &["syscall"];

/// Falco's load result codes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Code {
    YamlParse,
    YamlValidate,
    CompileCondition,
    CompileOutput,
    Validate,
    // Warnings.
    UnknownItem,
    UnknownSource,
    UnknownField,
    NoEvttype,
    UnusedMacro,
    UnusedList,
}

impl Code {
    /// Falco's name for the code.
    pub fn as_str(self) -> &'static str {
        match self {
            Code::YamlParse => "LOAD_ERR_YAML_PARSE",
            Code::YamlValidate => "LOAD_ERR_YAML_VALIDATE",
            Code::CompileCondition => "LOAD_ERR_COMPILE_CONDITION",
            Code::CompileOutput => "LOAD_ERR_COMPILE_OUTPUT",
            Code::Validate => "LOAD_ERR_VALIDATE",
            Code::UnknownItem => "LOAD_UNKNOWN_ITEM",
            Code::UnknownSource => "LOAD_UNKNOWN_SOURCE",
            Code::UnknownField => "LOAD_UNKNOWN_FIELD",
            Code::NoEvttype => "LOAD_NO_EVTTYPE",
            Code::UnusedMacro => "LOAD_UNUSED_MACRO",
            Code::UnusedList => "LOAD_UNUSED_LIST",
        }
    }

    /// True for the codes that make Falco refuse the rules.
    pub fn is_error(self) -> bool {
        matches!(
            self,
            Code::YamlParse
                | Code::YamlValidate
                | Code::CompileCondition
                | Code::CompileOutput
                | Code::Validate
        )
    }
}

/// What a finding is about, as Falco's `item_type`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum ItemType {
    RulesContent,
    RulesContentItem,
    RequiredEngineVersion,
    RequiredPluginVersions,
    List,
    Macro,
    Rule,
    Exception,
}

impl ItemType {
    /// Falco's name for the item type.
    pub fn as_str(self) -> &'static str {
        match self {
            ItemType::RulesContent => "rules content",
            ItemType::RulesContentItem => "rules content item",
            ItemType::RequiredEngineVersion => "required_engine_version",
            ItemType::RequiredPluginVersions => "required_plugin_versions",
            ItemType::List => "list",
            ItemType::Macro => "macro",
            ItemType::Rule => "rule",
            ItemType::Exception => "exception",
        }
    }
}

/// One problem of a loaded rule set.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Finding {
    pub code: Code,
    pub item_type: ItemType,
    pub item_name: String,
    /// The file the item came from.
    pub file: String,
    pub message: String,
    /// For condition and output problems: the checker's problem and the text it points into.
    pub problem: Option<(Problem, String)>,
}

impl std::fmt::Display for Finding {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "{}: {} {:?}: {} ({})",
            self.file,
            self.item_type.as_str(),
            self.item_name,
            self.message,
            self.code.as_str()
        )
    }
}

/// A list as loaded.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct LoadedList {
    /// The position of the list's first definition: Falco resolves lists in this order.
    pub index: usize,
    pub file: String,
    pub items: Vec<String>,
}

/// A macro as loaded.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct LoadedMacro {
    /// The position of the macro's first definition.
    pub index: usize,
    pub file: String,
    pub condition: String,
}

/// A rule as loaded.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct LoadedRule {
    pub file: String,
    pub condition: String,
    pub output: String,
    /// The exception entries as written (appended values merged into their entry).
    pub exceptions: Vec<Value>,
    pub enabled: bool,
    pub source: String,
    /// `skip-if-unknown-filter`: an unknown field skips the rule with a warning.
    pub skip_unknown: bool,
}

/// The items of rules files loaded in order.
#[derive(Debug, Clone, Default)]
pub struct RuleSet {
    pub lists: BTreeMap<String, LoadedList>,
    pub macros: BTreeMap<String, LoadedMacro>,
    pub rules: BTreeMap<String, LoadedRule>,
    /// What loading found (compile findings come from [`RuleSet::compile`]).
    pub findings: Vec<Finding>,
    /// Items defined so far (the next definition's index).
    defined: usize,
}

/// A value as Falco reads a scalar: strings as they are, anything else as YAML prints it.
pub fn text_of(v: &Value) -> String {
    match v {
        Value::String(s) => s.clone(),
        other => other.to_string(),
    }
}

/// How one key of an existing item changes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Mode {
    Append,
    Replace,
}

struct Item<'a> {
    file: &'a str,
    value: &'a Value,
    item_type: ItemType,
    name: String,
}

impl Item<'_> {
    fn get(&self, key: &str) -> Option<&Value> {
        self.value.get(key)
    }
    fn finding(&self, code: Code, message: impl Into<String>) -> Finding {
        Finding {
            code,
            item_type: self.item_type,
            item_name: self.name.clone(),
            file: self.file.to_string(),
            message: message.into(),
            problem: None,
        }
    }
    fn append(&self) -> bool {
        self.get("append").and_then(Value::as_bool) == Some(true)
    }
    /// The `override` map: key → mode. `Err` for a malformed one.
    fn overrides(&self) -> Result<BTreeMap<String, Mode>, Finding> {
        let Some(o) = self.get("override") else {
            return Ok(BTreeMap::new());
        };
        let Some(map) = o.as_object() else {
            return Err(self.finding(Code::YamlValidate, "`override` must be a map"));
        };
        let mut out = BTreeMap::new();
        for (k, v) in map {
            let mode = match v.as_str() {
                Some("append") => Mode::Append,
                Some("replace") => Mode::Replace,
                _ => {
                    return Err(self.finding(
                        Code::YamlValidate,
                        format!("`override.{k}` must be `append` or `replace`"),
                    ));
                }
            };
            if self.get(k).is_none() {
                return Err(self.finding(
                    Code::YamlValidate,
                    format!("`override.{k}` names a key the item does not set"),
                ));
            }
            out.insert(k.clone(), mode);
        }
        if !out.is_empty() && self.get("append").is_some() {
            return Err(self.finding(
                Code::YamlValidate,
                "an item may not have both `append` and `override`",
            ));
        }
        Ok(out)
    }
}

/// Parses `0.57.0`, `0.57` or a plain number (engine versions before semver were integers,
/// meaning `0.N.0`).
fn engine_version(v: &Value) -> Option<(u64, u64, u64)> {
    match v {
        Value::Number(n) => n.as_u64().map(|n| (0, n, 0)),
        Value::String(s) => {
            let parts: Vec<u64> = s
                .split('.')
                .map(|p| p.parse::<u64>().ok())
                .collect::<Option<Vec<_>>>()?;
            match parts.as_slice() {
                [a, b, c] => Some((*a, *b, *c)),
                [a, b] => Some((*a, *b, 0)),
                [n] => Some((0, *n, 0)),
                _ => None,
            }
        }
        _ => None,
    }
}

fn name_of(value: &Value, key: &str) -> Option<String> {
    value
        .get(key)
        .and_then(Value::as_str)
        .filter(|s| !s.is_empty())
        .map(str::to_string)
}

/// The fields of an exception entry (a list, or one field).
pub fn exception_fields(x: &Value) -> Vec<String> {
    match x.get("fields") {
        Some(Value::Array(a)) => a.iter().map(text_of).collect(),
        Some(Value::String(s)) => vec![s.clone()],
        _ => Vec::new(),
    }
}

/// The comparison operator of an exception's `comps` entry.
fn comp_op(comp: &str) -> Option<Op> {
    Op::ALL
        .iter()
        .copied()
        .find(|o| o.as_str() == comp || (comp == "==" && *o == Op::Eq))
}

/// A field as the parser reads it (`proc.aname[2]`), or `None`.
fn parse_field(f: &str) -> Option<crate::ast::Field> {
    match parse(&format!("{f} exists")).ok()? {
        Expr::Check { field, .. } => Some(field),
        _ => None,
    }
}

/// The condition an exception entry adds (`and not (…)`), built as Falco builds it: each
/// value tuple is `f1 c1 v1 and f2 c2 v2`, and the tuples are or-ed. `Ok(None)`: no values.
pub fn exception_condition(x: &Value) -> Result<Option<Expr>, String> {
    let fields = exception_fields(x);
    let comps: Vec<String> = match x.get("comps") {
        Some(Value::Array(a)) => a.iter().map(text_of).collect(),
        Some(Value::String(s)) => vec![s.clone()],
        _ => vec!["=".to_string(); fields.len()],
    };
    let Some(Value::Array(values)) = x.get("values") else {
        return Ok(None);
    };
    let mut alternatives = Vec::new();
    for tuple in values {
        let tuple: Vec<Value> = match tuple {
            Value::Array(a) => a.clone(),
            v => vec![v.clone()],
        };
        let mut parts = Vec::new();
        for (i, f) in fields.iter().enumerate() {
            let comp = comps.get(i).map(String::as_str).unwrap_or("=");
            let op = comp_op(comp).ok_or_else(|| format!("exception comparison `{comp}`"))?;
            let field = parse_field(f).ok_or_else(|| format!("exception field `{f}`"))?;
            let part = match tuple.get(i) {
                Some(Value::Array(items)) => Expr::list_op(
                    field,
                    op,
                    items
                        .iter()
                        .map(text_of)
                        .collect::<Vec<_>>()
                        .iter()
                        .map(String::as_str),
                ),
                Some(v) => Expr::cmp(field, op, &text_of(v)),
                None => return Err(format!("exception tuple shorter than its fields: {x}")),
            };
            parts.push(part);
        }
        if !parts.is_empty() {
            alternatives.push(Expr::all_of(parts));
        }
    }
    Ok((!alternatives.is_empty()).then(|| Expr::any_of(alternatives)))
}

impl RuleSet {
    /// Loads one rules file (every YAML document in it), after the files loaded before.
    pub fn load(&mut self, file: &str, text: &str) {
        let docs: Vec<Value> = match serde_saphyr::from_multiple(text) {
            Ok(d) => d,
            Err(e) => {
                self.findings.push(Finding {
                    code: Code::YamlParse,
                    item_type: ItemType::RulesContent,
                    item_name: String::new(),
                    file: file.to_string(),
                    message: format!("not YAML: {e}"),
                    problem: None,
                });
                return;
            }
        };
        for doc in docs {
            let items = match doc {
                Value::Null => continue,
                Value::Array(items) => items,
                _ => {
                    self.findings.push(Finding {
                        code: Code::YamlValidate,
                        item_type: ItemType::RulesContent,
                        item_name: String::new(),
                        file: file.to_string(),
                        message: "rules content is not a sequence".to_string(),
                        problem: None,
                    });
                    continue;
                }
            };
            for value in &items {
                if let Err(f) = self.item(file, value) {
                    self.findings.push(f);
                }
            }
        }
    }

    fn item(&mut self, file: &str, value: &Value) -> Result<(), Finding> {
        let bare = |item_type: ItemType, name: String| Item {
            file,
            value,
            item_type,
            name,
        };
        if !value.is_object() {
            return Err(bare(ItemType::RulesContentItem, String::new())
                .finding(Code::YamlValidate, "an item is not a map"));
        }
        if let Some(v) = value.get("required_engine_version") {
            let it = bare(ItemType::RequiredEngineVersion, String::new());
            let Some(version) = engine_version(v) else {
                return Err(it.finding(
                    Code::YamlValidate,
                    format!("`{}` is no version", text_of(v)),
                ));
            };
            if version > ENGINE_VERSION {
                let (a, b, c) = ENGINE_VERSION;
                return Err(it.finding(
                    Code::Validate,
                    format!(
                        "the rules require engine version {}, the engine is {a}.{b}.{c}",
                        text_of(v)
                    ),
                ));
            }
            return Ok(());
        }
        if let Some(v) = value.get("required_plugin_versions") {
            let it = bare(ItemType::RequiredPluginVersions, String::new());
            let ok = v.as_array().is_some_and(|a| {
                a.iter()
                    .all(|p| name_of(p, "name").is_some() && name_of(p, "version").is_some())
            });
            return if ok {
                Ok(())
            } else {
                Err(it.finding(
                    Code::YamlValidate,
                    "each plugin needs a `name` and a `version`",
                ))
            };
        }
        if value.get("list").is_some() {
            let it = bare(ItemType::List, name_of(value, "list").unwrap_or_default());
            return self.list(&it);
        }
        if value.get("macro").is_some() {
            let it = bare(ItemType::Macro, name_of(value, "macro").unwrap_or_default());
            return self.macro_(&it);
        }
        if value.get("rule").is_some() {
            let it = bare(ItemType::Rule, name_of(value, "rule").unwrap_or_default());
            return self.rule(&it);
        }
        Err(bare(ItemType::RulesContentItem, String::new())
            .finding(Code::UnknownItem, "unknown top-level item"))
    }

    fn list(&mut self, it: &Item<'_>) -> Result<(), Finding> {
        if it.name.is_empty() {
            return Err(it.finding(Code::YamlValidate, "a list needs a name"));
        }
        let Some(items) = it.get("items").and_then(Value::as_array) else {
            return Err(it.finding(Code::YamlValidate, "a list needs `items`"));
        };
        let items: Vec<String> = items.iter().map(text_of).collect();
        let overrides = it.overrides()?;
        let mode = if it.append() {
            Some(Mode::Append)
        } else {
            overrides.get("items").copied()
        };
        match (mode, self.lists.get_mut(&it.name)) {
            (Some(_), None) => Err(it.finding(
                Code::Validate,
                "`append` or `override` on a list that no earlier item defines",
            )),
            (Some(Mode::Append), Some(l)) => {
                l.items.extend(items);
                Ok(())
            }
            (Some(Mode::Replace), Some(l)) => {
                l.items = items;
                Ok(())
            }
            (None, _) => {
                // A redefinition keeps the first definition's place, as in Falco.
                let index = self.lists.get(&it.name).map_or(self.defined, |l| l.index);
                self.defined += 1;
                self.lists.insert(
                    it.name.clone(),
                    LoadedList {
                        index,
                        file: it.file.to_string(),
                        items,
                    },
                );
                Ok(())
            }
        }
    }

    fn macro_(&mut self, it: &Item<'_>) -> Result<(), Finding> {
        if it.name.is_empty() {
            return Err(it.finding(Code::YamlValidate, "a macro needs a name"));
        }
        let Some(condition) = it.get("condition").map(text_of) else {
            return Err(it.finding(Code::YamlValidate, "a macro needs a `condition`"));
        };
        let overrides = it.overrides()?;
        let mode = if it.append() {
            Some(Mode::Append)
        } else {
            overrides.get("condition").copied()
        };
        match (mode, self.macros.get_mut(&it.name)) {
            (Some(_), None) => Err(it.finding(
                Code::Validate,
                "`append` or `override` on a macro that no earlier item defines",
            )),
            (Some(Mode::Append), Some(m)) => {
                m.condition.push(' ');
                m.condition.push_str(&condition);
                m.file = it.file.to_string();
                Ok(())
            }
            (Some(Mode::Replace), Some(m)) => {
                m.condition = condition;
                m.file = it.file.to_string();
                Ok(())
            }
            (None, _) => {
                let index = self.macros.get(&it.name).map_or(self.defined, |m| m.index);
                self.defined += 1;
                self.macros.insert(
                    it.name.clone(),
                    LoadedMacro {
                        index,
                        file: it.file.to_string(),
                        condition,
                    },
                );
                Ok(())
            }
        }
    }

    fn rule(&mut self, it: &Item<'_>) -> Result<(), Finding> {
        if it.name.is_empty() {
            return Err(it.finding(Code::YamlValidate, "a rule needs a name"));
        }
        let exceptions = self.exception_entries(it)?;
        let overrides = it.overrides()?;
        let keys: BTreeSet<&str> = it
            .value
            .as_object()
            .map(|m| m.keys().map(String::as_str).collect())
            .unwrap_or_default();
        let enabled_only = keys.iter().all(|k| matches!(*k, "rule" | "enabled"));
        if it.append() || !overrides.is_empty() {
            return self.change_rule(it, &overrides, exceptions);
        }
        if enabled_only && keys.contains("enabled") {
            let Some(r) = self.rules.get_mut(&it.name) else {
                return Err(it.finding(
                    Code::Validate,
                    "a rule item with only `enabled` names no earlier rule",
                ));
            };
            r.enabled = it.get("enabled").and_then(Value::as_bool).unwrap_or(true);
            return Ok(());
        }
        for key in ["condition", "output", "desc", "priority"] {
            if it.get(key).is_none() {
                return Err(it.finding(Code::YamlValidate, format!("a rule needs `{key}`")));
            }
        }
        for x in &exceptions {
            if exception_fields(x).is_empty() {
                let name = name_of(x, "name").unwrap_or_default();
                return Err(Finding {
                    item_type: ItemType::Exception,
                    item_name: name,
                    ..it.finding(Code::YamlValidate, "an exception needs `fields`")
                });
            }
        }
        self.rules.insert(
            it.name.clone(),
            LoadedRule {
                file: it.file.to_string(),
                condition: it.get("condition").map(text_of).unwrap_or_default(),
                output: it.get("output").map(text_of).unwrap_or_default(),
                exceptions,
                enabled: it.get("enabled").and_then(Value::as_bool).unwrap_or(true),
                source: it
                    .get("source")
                    .map(text_of)
                    .unwrap_or_else(|| "syscall".to_string()),
                skip_unknown: it.get("skip-if-unknown-filter").and_then(Value::as_bool)
                    == Some(true),
            },
        );
        Ok(())
    }

    /// The item's `exceptions`, each a map with a `name`.
    fn exception_entries(&self, it: &Item<'_>) -> Result<Vec<Value>, Finding> {
        let Some(v) = it.get("exceptions") else {
            return Ok(Vec::new());
        };
        let Some(a) = v.as_array() else {
            return Err(it.finding(Code::YamlValidate, "`exceptions` must be a list"));
        };
        for x in a {
            if name_of(x, "name").is_none() {
                return Err(Finding {
                    item_type: ItemType::Exception,
                    item_name: String::new(),
                    ..it.finding(Code::YamlValidate, "an exception needs a `name`")
                });
            }
        }
        Ok(a.clone())
    }

    /// `append: true` or `override` on an earlier rule.
    fn change_rule(
        &mut self,
        it: &Item<'_>,
        overrides: &BTreeMap<String, Mode>,
        exceptions: Vec<Value>,
    ) -> Result<(), Finding> {
        let appending = it.append();
        if appending && it.get("condition").is_none() && it.get("exceptions").is_none() {
            return Err(it.finding(
                Code::Validate,
                "an appended rule must have `condition` or `exceptions`",
            ));
        }
        let Some(r) = self.rules.get_mut(&it.name) else {
            return Err(it.finding(
                Code::Validate,
                "`append` or `override` on a rule that no earlier item defines",
            ));
        };
        let mode = |key: &str| {
            if appending {
                Some(Mode::Append)
            } else {
                overrides.get(key).copied()
            }
        };
        for key in ["condition", "output", "desc"] {
            let (Some(m), Some(v)) = (mode(key), it.get(key)) else {
                continue;
            };
            let text = text_of(v);
            let target = match key {
                "condition" => &mut r.condition,
                "output" => &mut r.output,
                _ => continue,
            };
            match m {
                Mode::Append => {
                    target.push(' ');
                    target.push_str(&text);
                }
                Mode::Replace => *target = text,
            }
        }
        if let Some(m) = mode("exceptions") {
            if m == Mode::Replace {
                r.exceptions.clear();
            }
            for x in exceptions {
                let name = name_of(&x, "name").unwrap_or_default();
                let fail = |message: &str| Finding {
                    code: Code::Validate,
                    item_type: ItemType::Exception,
                    item_name: name.clone(),
                    file: it.file.to_string(),
                    message: message.to_string(),
                    problem: None,
                };
                match r
                    .exceptions
                    .iter_mut()
                    .find(|e| name_of(e, "name").as_deref() == Some(name.as_str()))
                {
                    Some(existing) => {
                        // Appending to an entry adds its values.
                        let add = x.get("values").and_then(Value::as_array).cloned();
                        if let (Some(add), Some(obj)) = (add, existing.as_object_mut()) {
                            let values = obj
                                .entry("values")
                                .or_insert_with(|| Value::Array(Vec::new()));
                            if let Some(v) = values.as_array_mut() {
                                v.extend(add);
                            }
                        }
                    }
                    None if exception_fields(&x).is_empty() => {
                        return Err(fail("a new exception needs `fields`"));
                    }
                    None => r.exceptions.push(x),
                }
            }
        }
        // `priority` only changes what is printed: nothing here reads it.
        if (appending || overrides.get("enabled") == Some(&Mode::Replace))
            && let Some(e) = it.get("enabled").and_then(Value::as_bool)
        {
            r.enabled = e;
        }
        r.file = it.file.to_string();
        Ok(())
    }

    /// The names conditions may refer to.
    pub fn env(&self) -> Env<'_> {
        Env {
            lists: self
                .lists
                .iter()
                .map(|(k, v)| (k.as_str(), v.items.as_slice()))
                .collect(),
            macros: self.macros.keys().map(String::as_str).collect(),
        }
    }

    /// The lists as Falco resolves them: in the order of their first definition, an item that
    /// names a list resolved before is replaced by that list's items; an item naming any other
    /// list (a later one, or itself) stays a literal, quoted so it is never expanded again.
    pub fn resolved_lists(&self) -> BTreeMap<String, Vec<String>> {
        let mut order: Vec<(&String, &LoadedList)> = self.lists.iter().collect();
        order.sort_by_key(|(_, l)| l.index);
        let mut out: BTreeMap<String, Vec<String>> = BTreeMap::new();
        for (name, l) in order {
            let mut items = Vec::new();
            for i in &l.items {
                if let Some(done) = out.get(i) {
                    items.extend(done.iter().cloned());
                } else if self.lists.contains_key(i) {
                    items.push(format!("\"{i}\""));
                } else {
                    items.push(i.clone());
                }
            }
            out.insert(name.clone(), items);
        }
        out
    }

    /// Every finding of loading and of compiling what was loaded, in that order.
    pub fn all_findings(&self) -> Vec<Finding> {
        let mut out = self.findings.clone();
        out.extend(self.compile());
        out
    }

    /// Checks what was loaded as Falco's compile step does. Only findings of this step.
    pub fn compile(&self) -> Vec<Finding> {
        let resolved = self.resolved_lists();
        let env = env_of(&resolved, &self.macros);
        let mut out = Vec::new();
        // Macros: each parses and names only defined macros, without a loop.
        let mut parsed: BTreeMap<&str, Expr> = BTreeMap::new();
        for (name, m) in &self.macros {
            let f = |code, message: String, problem| Finding {
                code,
                item_type: ItemType::Macro,
                item_name: name.clone(),
                file: m.file.clone(),
                message,
                problem,
            };
            match parse(&m.condition) {
                Ok(e) => {
                    for i in e.macros() {
                        if !self.macros.contains_key(&i.name) {
                            out.push(f(
                                Code::Validate,
                                format!("undefined macro `{}` used in filter", i.name),
                                None,
                            ));
                        }
                    }
                    parsed.insert(name, e);
                }
                Err(e) => out.push(f(
                    Code::CompileCondition,
                    format!("does not parse: {}", e.message),
                    None,
                )),
            }
        }
        let mut by_index: Vec<&str> = parsed.keys().copied().collect();
        by_index.sort_by_key(|n| self.macros[*n].index);
        let mut in_reported: BTreeSet<&str> = BTreeSet::new();
        for name in by_index {
            if in_reported.contains(name) {
                continue;
            }
            if reaches(&parsed, name, name, &mut BTreeSet::new()) {
                for other in parsed.keys() {
                    if reaches(&parsed, name, other, &mut BTreeSet::new())
                        && reaches(&parsed, other, name, &mut BTreeSet::new())
                    {
                        in_reported.insert(other);
                    }
                }
                let name: &str = name;
                let m = &self.macros[name];
                out.push(Finding {
                    code: Code::Validate,
                    item_type: ItemType::Macro,
                    item_name: name.to_string(),
                    file: m.file.clone(),
                    message: "reference loop in macro".to_string(),
                    problem: None,
                });
            }
        }
        let refs: BTreeMap<&str, &Expr> = parsed.iter().map(|(k, v)| (*k, v)).collect();
        let mut used_macros: BTreeSet<String> = BTreeSet::new();
        for (name, r) in &self.rules {
            let f = |code, message: String, problem| Finding {
                code,
                item_type: ItemType::Rule,
                item_name: name.clone(),
                file: r.file.clone(),
                message,
                problem,
            };
            if !KNOWN_SOURCES.contains(&r.source.as_str()) {
                out.push(f(
                    Code::UnknownSource,
                    format!(
                        "rule for source `{}`, which no loaded plugin provides",
                        r.source
                    ),
                    None,
                ));
                continue;
            }
            if !r.enabled {
                continue;
            }
            let e = match parse(&r.condition) {
                Ok(e) => e,
                Err(e) => {
                    out.push(f(
                        Code::CompileCondition,
                        format!("does not parse: {}", e.message),
                        None,
                    ));
                    continue;
                }
            };
            let undefined: Vec<String> = e
                .macros()
                .iter()
                .filter(|i| !self.macros.contains_key(&i.name))
                .map(|i| i.name.clone())
                .collect();
            if !undefined.is_empty() {
                for u in undefined {
                    out.push(f(
                        Code::Validate,
                        format!("undefined macro `{u}` used in filter"),
                        None,
                    ));
                }
                continue;
            }
            collect_macros(&e, &refs, &mut used_macros, 0);
            // Problems in the rule's own text keep their position; those that only show
            // with the macros expanded are the rule's too, as Falco reports them.
            let mut problems: Vec<(Problem, String)> = check::check(&e, &env)
                .into_iter()
                .filter(|p| p.kind.is_error() && p.kind != Kind::UndefinedMacro)
                .map(|p| (p, r.condition.clone()))
                .collect();
            let mut seen: BTreeSet<(Kind, String)> = problems
                .iter()
                .map(|(p, _)| (p.kind, p.message.clone()))
                .collect();
            let expanded = check::expand(&e, &refs, &env);
            let text = crate::print(&expanded);
            if let Ok(back) = parse(&text) {
                for p in check::check(&back, &Env::default()) {
                    if p.kind.is_error()
                        && p.kind != Kind::UndefinedMacro
                        && seen.insert((p.kind, p.message.clone()))
                    {
                        problems.push((p, text.clone()));
                    }
                }
            }
            let skip = r.skip_unknown
                && problems
                    .iter()
                    .all(|(p, _)| matches!(p.kind, Kind::UnknownField | Kind::FieldArgument));
            let had_errors = !problems.is_empty();
            for (p, text) in problems {
                let code = if skip {
                    Code::UnknownField
                } else {
                    Code::CompileCondition
                };
                out.push(f(code, p.message.clone(), Some((p, text))));
            }
            for p in check::check_output(&r.output) {
                if p.kind.is_error() {
                    out.push(f(
                        Code::CompileOutput,
                        p.message.clone(),
                        Some((p, r.output.clone())),
                    ));
                }
            }
            if !had_errors && no_evttype(&expanded) {
                out.push(f(
                    Code::NoEvttype,
                    "rule matches too many evt.type values".to_string(),
                    None,
                ));
            }
            for x in &r.exceptions {
                out.extend(Self::exception_problems(r, x));
            }
        }
        for (name, m) in &self.macros {
            if !used_macros.contains(name) {
                out.push(Finding {
                    code: Code::UnusedMacro,
                    item_type: ItemType::Macro,
                    item_name: name.clone(),
                    file: m.file.clone(),
                    message: "macro not referred to by any enabled rule".to_string(),
                    problem: None,
                });
            }
        }
        out
    }

    /// An exception entry's fields, comparisons and value tuples, as Falco validates them.
    fn exception_problems(r: &LoadedRule, x: &Value) -> Vec<Finding> {
        let name = name_of(x, "name").unwrap_or_default();
        let f = |message: String, problem| Finding {
            code: Code::Validate,
            item_type: ItemType::Exception,
            item_name: name.clone(),
            file: r.file.clone(),
            message,
            problem,
        };
        let mut out = Vec::new();
        let fields = exception_fields(x);
        let single = matches!(x.get("fields"), Some(Value::String(_)));
        for field in &fields {
            let text = format!("{field} exists");
            match parse(&text) {
                Ok(e) => {
                    for p in check::check(&e, &Env::default()) {
                        if p.kind.is_error() {
                            out.push(f(p.message.clone(), Some((p, text.clone()))));
                        }
                    }
                }
                Err(e) => out.push(f(format!("field `{field}`: {}", e.message), None)),
            }
        }
        let comps: Vec<String> = match x.get("comps") {
            None => Vec::new(),
            Some(Value::Array(a)) if !single => a.iter().map(text_of).collect(),
            Some(Value::String(s)) if single => vec![s.clone()],
            Some(_) => {
                out.push(f(
                    "`comps` must be a list when `fields` is a list, and one operator when it is one field".to_string(),
                    None,
                ));
                Vec::new()
            }
        };
        if !comps.is_empty() && comps.len() != fields.len() {
            out.push(f("`fields` and `comps` lengths differ".to_string(), None));
        }
        for c in &comps {
            if comp_op(c).is_none() {
                out.push(f(format!("`{c}` is no comparison operator"), None));
            }
        }
        if !single && let Some(Value::Array(values)) = x.get("values") {
            for v in values {
                match v {
                    Value::Array(t) if t.len() == fields.len() => {}
                    _ => out.push(f(
                        "a value tuple's length differs from `fields`".to_string(),
                        None,
                    )),
                }
            }
        }
        out
    }

    /// Every enabled rule's condition with macros, lists and exceptions expanded: what the
    /// filter compiler finally reads. `Err` names a condition that does not parse.
    pub fn expanded(&self) -> Result<BTreeMap<String, Expr>, String> {
        let resolved = self.resolved_lists();
        let env = env_of(&resolved, &self.macros);
        let mut macros: BTreeMap<&str, Expr> = BTreeMap::new();
        for (name, m) in &self.macros {
            macros.insert(
                name,
                parse(&m.condition).map_err(|e| format!("macro {name}: {e:?}"))?,
            );
        }
        let refs: BTreeMap<&str, &Expr> = macros.iter().map(|(k, v)| (*k, v)).collect();
        let mut out = BTreeMap::new();
        for (name, r) in &self.rules {
            if !r.enabled {
                continue;
            }
            let mut e = parse(&r.condition).map_err(|e| format!("rule {name}: {e:?}"))?;
            for x in &r.exceptions {
                if let Some(c) = exception_condition(x)? {
                    e = e.and(c.not());
                }
            }
            out.insert(name.clone(), check::expand(&e, &refs, &env));
        }
        Ok(out)
    }
}

fn env_of<'a>(
    lists: &'a BTreeMap<String, Vec<String>>,
    macros: &'a BTreeMap<String, LoadedMacro>,
) -> Env<'a> {
    Env {
        lists: lists
            .iter()
            .map(|(k, v)| (k.as_str(), v.as_slice()))
            .collect(),
        macros: macros.keys().map(String::as_str).collect(),
    }
}

/// True when `from`'s macro references reach `to`.
fn reaches<'a>(
    macros: &'a BTreeMap<&str, Expr>,
    from: &str,
    to: &str,
    seen: &mut BTreeSet<&'a str>,
) -> bool {
    let Some(e) = macros.get(from) else {
        return false;
    };
    for i in e.macros() {
        if i.name == to {
            return true;
        }
        if let Some((k, _)) = macros.get_key_value(i.name.as_str())
            && seen.insert(k)
            && reaches(macros, k, to, seen)
        {
            return true;
        }
    }
    false
}

fn collect_macros(
    e: &Expr,
    refs: &BTreeMap<&str, &Expr>,
    out: &mut BTreeSet<String>,
    depth: usize,
) {
    if depth > 32 {
        return;
    }
    for i in e.macros() {
        if out.insert(i.name.clone())
            && let Some(m) = refs.get(i.name.as_str())
        {
            collect_macros(m, refs, out, depth + 1);
        }
    }
}

/// The event types a condition can match, as Falco infers them: `None` for every type.
fn evttypes(e: &Expr) -> Option<BTreeSet<String>> {
    match e {
        Expr::Check { field, op, operand } if field.path == "evt.type" => {
            use crate::ast::Operand;
            match (op, operand) {
                (Op::Eq, Some(Operand::Value(v))) => Some(BTreeSet::from([v.text()])),
                (Op::In, Some(Operand::List(items))) => {
                    Some(items.iter().map(|v| v.text()).collect())
                }
                _ => None,
            }
        }
        Expr::Check { .. } | Expr::Macro(_) => None,
        Expr::Not(_) => None,
        Expr::And(v) => v
            .iter()
            .filter_map(evttypes)
            .reduce(|a, b| a.intersection(&b).cloned().collect()),
        Expr::Or(v) => v
            .iter()
            .map(evttypes)
            .collect::<Option<Vec<_>>>()
            .map(|sets| sets.into_iter().flatten().collect()),
    }
}

/// True when a rule's condition (macros expanded) does not restrict the event type.
fn no_evttype(e: &Expr) -> bool {
    evttypes(e).is_none()
}
