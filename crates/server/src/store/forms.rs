//! Form commands (自定义输入指令, wire §7.4): the fields an operator defines for a command, the
//! check of what a user submits against them, and the `formJson` Yunhu sends the bot.
//!
//! Plain data rules, no I/O: the admin API checks a definition with [`check_definition`]
//! before it is stored, and the store fills a submission with [`fill`] inside the write that
//! stores the message, so a command changed meanwhile is checked as it stands.

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value, json};

/// The kinds of form field Yunhu has, spelled as in `formJson`'s `type`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum FieldType {
    /// One line of text (`value`: string or null).
    Input,
    /// Several lines of text (`value`: string or null).
    Textarea,
    /// One of the options, as radio buttons (`selectIndex`, `selectValue`).
    Radio,
    /// Any of the options (`selectStatus`, `selectValues`).
    Checkbox,
    /// On or off (`value`: bool).
    Switch,
    /// One of the options, as a drop-down (`selectIndex`, `selectValue`).
    Select,
}

impl FieldType {
    /// Whether the field picks among `options`.
    pub fn has_options(self) -> bool {
        matches!(
            self,
            FieldType::Radio | FieldType::Checkbox | FieldType::Select
        )
    }
}

/// One field of a form command, as the operator defines it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct FormField {
    /// The key of its item in `formJson` (Yunhu makes six lowercase letters, e.g. `loktny`).
    pub id: String,
    /// Its kind.
    #[serde(rename = "type")]
    pub field_type: FieldType,
    /// The label shown beside it; `formJson` carries `null` for none.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub label: Option<String>,
    /// The choices of a radio, checkbox or select field, in order.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub options: Vec<String>,
    /// What the field holds before the user changes it: a string (input, textarea), a bool
    /// (switch), an option index (radio, select) or a list of them (checkbox); `null` for
    /// empty or none.
    #[serde(default, skip_serializing_if = "Value::is_null")]
    pub default: Value,
}

/// The most fields a form has.
pub const MAX_FIELDS: usize = 20;
/// The most options a field has.
pub const MAX_OPTIONS: usize = 50;
/// The longest label, option or field ID, in characters.
pub const MAX_LABEL_CHARS: usize = 100;
/// The longest text a user may put in an input or textarea field, in characters.
pub const MAX_VALUE_CHARS: usize = 4000;

/// Checks an operator's form: one field at least, unique non-empty IDs, options where the
/// type has them (distinct, non-empty) and nowhere else, and a default the field can hold.
/// The error says which field is wrong and why.
pub fn check_definition(fields: &[FormField]) -> Result<(), String> {
    if fields.is_empty() {
        return Err("a form command needs at least one field in `form`".into());
    }
    if fields.len() > MAX_FIELDS {
        return Err(format!("a form has at most {MAX_FIELDS} fields"));
    }
    let mut seen = std::collections::HashSet::new();
    for field in fields {
        let id = &field.id;
        if id.is_empty()
            || id.chars().count() > MAX_LABEL_CHARS
            || !id.chars().all(|c| c.is_ascii_alphanumeric() || c == '_')
        {
            return Err(format!(
                "field id {id:?} is not 1–{MAX_LABEL_CHARS} letters, digits or _"
            ));
        }
        if !seen.insert(id.as_str()) {
            return Err(format!("field id {id:?} is used twice"));
        }
        if field
            .label
            .as_ref()
            .is_some_and(|l| l.chars().count() > MAX_LABEL_CHARS)
        {
            return Err(format!(
                "the label of field {id:?} is longer than {MAX_LABEL_CHARS} characters"
            ));
        }
        if field.field_type.has_options() {
            if field.options.is_empty() || field.options.len() > MAX_OPTIONS {
                return Err(format!(
                    "field {id:?} ({}) needs 1–{MAX_OPTIONS} options",
                    type_name(field.field_type)
                ));
            }
            let mut distinct = std::collections::HashSet::new();
            for option in &field.options {
                if option.trim().is_empty() || option.chars().count() > MAX_LABEL_CHARS {
                    return Err(format!(
                        "an option of field {id:?} is empty or longer than {MAX_LABEL_CHARS} characters"
                    ));
                }
                if !distinct.insert(option.as_str()) {
                    return Err(format!("field {id:?} has option {option:?} twice"));
                }
            }
        } else if !field.options.is_empty() {
            return Err(format!(
                "field {id:?} ({}) has no options; only radio, checkbox and select do",
                type_name(field.field_type)
            ));
        }
        item(field, &field.default).map_err(|e| format!("the default of {e}"))?;
    }
    Ok(())
}

fn type_name(t: FieldType) -> &'static str {
    match t {
        FieldType::Input => "input",
        FieldType::Textarea => "textarea",
        FieldType::Radio => "radio",
        FieldType::Checkbox => "checkbox",
        FieldType::Switch => "switch",
        FieldType::Select => "select",
    }
}

/// The `formJson` of a submission: one item per field of the form, keyed by its ID, each
/// from the user's value or else the field's default (wire §7.4). Refuses an ID the form
/// does not have, and a value of the wrong type or an option out of range.
pub fn fill(fields: &[FormField], values: &Map<String, Value>) -> Result<Value, String> {
    if let Some(unknown) = values.keys().find(|k| !fields.iter().any(|f| &f.id == *k)) {
        return Err(format!("the form has no field {unknown:?}"));
    }
    let mut form = Map::new();
    for field in fields {
        let value = values.get(&field.id).unwrap_or(&field.default);
        form.insert(field.id.clone(), item(field, value)?);
    }
    Ok(Value::Object(form))
}

/// Of `values` (field ID → value, as [`fill`] takes them), those that still fit `fields`: a
/// value kept for a form that has changed since (a field removed, an option gone) is dropped,
/// and the field shows its default instead.
pub fn fitting(fields: &[FormField], values: &Map<String, Value>) -> Map<String, Value> {
    values
        .iter()
        .filter(|(id, value)| {
            fields
                .iter()
                .find(|f| &f.id == *id)
                .is_some_and(|f| item(f, value).is_ok())
        })
        .map(|(id, value)| (id.clone(), value.clone()))
        .collect()
}

/// One `formJson` item for `value` in `field`; the error names the field.
fn item(field: &FormField, value: &Value) -> Result<Value, String> {
    let id = &field.id;
    let label = field.label.clone().map_or(Value::Null, Value::String);
    let head = |rest: Value| {
        let mut item = json!({"id": id, "type": type_name(field.field_type), "label": label});
        if let (Some(item), Value::Object(rest)) = (item.as_object_mut(), rest) {
            item.extend(rest);
        }
        item
    };
    let wrong = |wanted: &str| format!("field {id:?}: {wanted}, not {value}");
    match field.field_type {
        FieldType::Input | FieldType::Textarea => match value {
            Value::Null => Ok(head(json!({"value": null}))),
            Value::String(s) if s.chars().count() <= MAX_VALUE_CHARS => {
                Ok(head(json!({"value": s})))
            }
            Value::String(_) => Err(format!(
                "field {id:?}: the text is longer than {MAX_VALUE_CHARS} characters"
            )),
            _ => Err(wrong("a string or null")),
        },
        FieldType::Switch => match value {
            Value::Null => Ok(head(json!({"value": false}))),
            Value::Bool(b) => Ok(head(json!({"value": b}))),
            _ => Err(wrong("true or false")),
        },
        FieldType::Radio | FieldType::Select => {
            let index = match value {
                Value::Null => -1,
                Value::Number(n) => n
                    .as_i64()
                    .filter(|i| *i == -1 || option(field, *i).is_some())
                    .ok_or_else(|| out_of_range(field, value))?,
                _ => return Err(wrong("an option index (or -1 / null for none)")),
            };
            let chosen = option(field, index).unwrap_or_default();
            Ok(head(json!({"selectIndex": index, "selectValue": chosen})))
        }
        FieldType::Checkbox => {
            let picked: Vec<i64> = match value {
                Value::Null => Vec::new(),
                Value::Array(items) => items
                    .iter()
                    .map(|v| {
                        v.as_i64()
                            .filter(|i| option(field, *i).is_some())
                            .ok_or_else(|| out_of_range(field, v))
                    })
                    .collect::<Result<_, _>>()?,
                _ => return Err(wrong("a list of option indexes")),
            };
            let status: Vec<bool> = (0..field.options.len())
                .map(|i| picked.contains(&(i as i64)))
                .collect();
            // `selectValues` is every option's text, `selectStatus` beside it says which are
            // chosen: the ErisPulse adapter reads the chosen ones by pairing the two lists by
            // index (its `_build_form_data`), the one client seen to read them.
            Ok(head(
                json!({"selectStatus": status, "selectValues": field.options}),
            ))
        }
    }
}

fn option(field: &FormField, index: i64) -> Option<String> {
    usize::try_from(index)
        .ok()
        .and_then(|i| field.options.get(i))
        .cloned()
}

fn out_of_range(field: &FormField, value: &Value) -> String {
    format!(
        "field {:?}: {value} is not an option index (0–{})",
        field.id,
        field.options.len().saturating_sub(1)
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn field(id: &str, t: FieldType, options: &[&str], default: Value) -> FormField {
        FormField {
            id: id.into(),
            field_type: t,
            label: Some(format!("{id} label")),
            options: options.iter().map(|o| (*o).to_owned()).collect(),
            default,
        }
    }

    #[test]
    fn every_type_fills_its_yunhu_item() {
        let form = vec![
            field("a", FieldType::Input, &[], json!("默认内容")),
            field("b", FieldType::Textarea, &[], Value::Null),
            field("c", FieldType::Radio, &["x", "y"], json!(1)),
            field("d", FieldType::Select, &["x", "y"], Value::Null),
            field("e", FieldType::Checkbox, &["x", "y", "z"], json!([2])),
            field("f", FieldType::Switch, &[], json!(true)),
        ];
        check_definition(&form).unwrap();
        let filled = fill(&form, json!({"e": [0, 2], "b": "hi"}).as_object().unwrap()).unwrap();
        assert_eq!(
            filled,
            json!({
                "a": {"id": "a", "type": "input", "label": "a label", "value": "默认内容"},
                "b": {"id": "b", "type": "textarea", "label": "b label", "value": "hi"},
                "c": {"id": "c", "type": "radio", "label": "c label", "selectIndex": 1, "selectValue": "y"},
                "d": {"id": "d", "type": "select", "label": "d label", "selectIndex": -1, "selectValue": ""},
                "e": {"id": "e", "type": "checkbox", "label": "e label", "selectStatus": [true, false, true], "selectValues": ["x", "y", "z"]},
                "f": {"id": "f", "type": "switch", "label": "f label", "value": true},
            })
        );
    }

    #[test]
    fn values_of_a_changed_form_keep_only_what_still_fits() {
        let form = vec![
            field("c", FieldType::Radio, &["x"], Value::Null),
            field("t", FieldType::Input, &[], Value::Null),
        ];
        let kept = fitting(
            &form,
            json!({"c": 1, "t": "hi", "gone": true})
                .as_object()
                .unwrap(),
        );
        assert_eq!(Value::Object(kept), json!({"t": "hi"}));
    }

    #[test]
    fn bad_submissions_and_definitions_are_refused() {
        let form = vec![
            field("c", FieldType::Radio, &["x"], Value::Null),
            field("f", FieldType::Switch, &[], Value::Null),
        ];
        for bad in [
            json!({"zz": 1}),
            json!({"c": 1}),
            json!({"c": "x"}),
            json!({"f": "yes"}),
        ] {
            assert!(fill(&form, bad.as_object().unwrap()).is_err(), "{bad}");
        }
        for bad in [
            vec![],
            vec![field("c", FieldType::Radio, &[], Value::Null)],
            vec![field("c", FieldType::Input, &["x"], Value::Null)],
            vec![field("c", FieldType::Radio, &["x"], json!(3))],
            vec![field("c", FieldType::Input, &[], Value::Null); 2],
            vec![field("c d", FieldType::Input, &[], Value::Null)],
        ] {
            assert!(check_definition(&bad).is_err(), "{bad:?}");
        }
    }
}
