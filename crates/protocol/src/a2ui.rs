//! A2UI cards (wire §5.1, §7.10): a message of `contentType: "a2ui"` carries an A2UI v0.9
//! document in `content.text`, a JSON object or a JSON Lines stream of messages
//! (`createSurface`, `updateComponents`, `updateDataModel`, `deleteSurface`), whose components
//! form a tree from the one with ID `root`. Clicking one of its buttons becomes
//! `a2ui.button.report` for the bot that sent it.
//!
//! This reads the document only as far as a server must: that it is one, the components by
//! ID, and each button's action. Drawing it is the client's (the web client's `a2ui.js`).

use std::collections::HashMap;

use serde_json::{Map, Value, json};

/// The most components a card may have: a card is a message, not an application.
pub const MAX_A2UI_COMPONENTS: usize = 500;
/// The most input values a click may carry in `formContext`.
pub const MAX_FORM_CONTEXT: usize = 100;
/// The longest text value in `formContext`, in characters.
pub const MAX_FORM_VALUE_CHARS: usize = 4000;

/// The four message kinds of A2UI v0.9 (a message has exactly one of them).
const MESSAGE_KINDS: [&str; 4] = [
    "createSurface",
    "updateComponents",
    "updateDataModel",
    "deleteSurface",
];

/// The components that take a person's input, whose values a click reports by component ID.
const INPUTS: [&str; 5] = [
    "TextField",
    "CheckBox",
    "ChoicePicker",
    "Slider",
    "DateTimeInput",
];

/// A parsed A2UI card: its components by ID.
#[derive(Debug, Clone, PartialEq)]
pub struct Card {
    components: HashMap<String, Map<String, Value>>,
}

/// What a button does when clicked: its action's name and context, as the card declares them.
#[derive(Debug, Clone, PartialEq)]
pub struct ButtonAction {
    /// `action.name` (v0.9; `action.event.name` is read too).
    pub name: String,
    /// `action.context`, as declared (an empty object when none).
    pub context: Value,
}

impl Card {
    /// Reads `text` as an A2UI document: one JSON message, a JSON array of them, or JSON Lines.
    /// The reason it is not one, in English, otherwise.
    pub fn parse(text: &str) -> Result<Card, String> {
        let messages: Vec<Value> = match serde_json::from_str::<Value>(text) {
            Ok(Value::Array(items)) => items,
            Ok(one @ Value::Object(_)) => vec![one],
            Ok(_) => return Err("an A2UI document is a JSON object, or JSON Lines of them".into()),
            Err(_) => text
                .lines()
                .map(str::trim)
                .filter(|l| !l.is_empty())
                .enumerate()
                .map(|(i, line)| {
                    serde_json::from_str(line)
                        .map_err(|e| format!("line {} is not JSON: {e}", i + 1))
                })
                .collect::<Result<_, _>>()?,
        };
        let mut components = HashMap::new();
        for (i, message) in messages.iter().enumerate() {
            let Some(object) = message.as_object() else {
                return Err(format!("message {} is not a JSON object", i + 1));
            };
            let kinds: Vec<&str> = MESSAGE_KINDS
                .iter()
                .copied()
                .filter(|k| object.contains_key(*k))
                .collect();
            if kinds.len() != 1 {
                return Err(format!(
                    "message {} must have exactly one of {}",
                    i + 1,
                    MESSAGE_KINDS.join(", ")
                ));
            }
            let Some(update) = object.get("updateComponents") else {
                continue;
            };
            let Some(list) = update.get("components").and_then(Value::as_array) else {
                return Err(format!(
                    "message {}: updateComponents needs a components list",
                    i + 1
                ));
            };
            for component in list {
                let (Some(id), Some(_)) = (
                    component.get("id").and_then(Value::as_str),
                    component.get("component").and_then(Value::as_str),
                ) else {
                    return Err(format!(
                        "message {}: every component needs a string id and component",
                        i + 1
                    ));
                };
                if let Some(fields) = component.as_object() {
                    components.insert(id.to_owned(), fields.clone());
                }
                if components.len() > MAX_A2UI_COMPONENTS {
                    return Err(format!(
                        "a card has at most {MAX_A2UI_COMPONENTS} components"
                    ));
                }
            }
        }
        if !components.contains_key("root") {
            return Err("no component has the id root".into());
        }
        Ok(Card { components })
    }

    /// The kind of component `id` (`Text`, `Button`, …), if the card has it.
    pub fn kind(&self, id: &str) -> Option<&str> {
        self.components
            .get(id)
            .and_then(|c| c.get("component"))
            .and_then(Value::as_str)
    }

    /// The action of button `id`; `None` if `id` is not a button of this card.
    pub fn button(&self, id: &str) -> Option<ButtonAction> {
        if self.kind(id) != Some("Button") {
            return None;
        }
        let action = self.components.get(id).and_then(|c| c.get("action"));
        let declared = action.and_then(|a| a.get("event")).or(action);
        Some(ButtonAction {
            name: declared
                .and_then(|a| a.get("name"))
                .and_then(Value::as_str)
                .unwrap_or_default()
                .to_owned(),
            context: declared
                .and_then(|a| a.get("context"))
                .filter(|c| c.is_object())
                .cloned()
                .unwrap_or_else(|| json!({})),
        })
    }

    /// Checks a click's `formContext` (input component ID → value): each key an input of this
    /// card, each value a string, number, boolean or list of strings, within the bounds.
    pub fn check_form_context(&self, values: &Map<String, Value>) -> Result<(), String> {
        if values.len() > MAX_FORM_CONTEXT {
            return Err(format!("formContext has at most {MAX_FORM_CONTEXT} values"));
        }
        for (id, value) in values {
            if !self.kind(id).is_some_and(|k| INPUTS.contains(&k)) {
                return Err(format!("{id:?} is not an input of this card"));
            }
            let long = |s: &str| s.chars().count() > MAX_FORM_VALUE_CHARS;
            let fits = match value {
                Value::String(s) => !long(s),
                Value::Bool(_) | Value::Number(_) | Value::Null => true,
                Value::Array(items) => items.iter().all(|v| v.as_str().is_some_and(|s| !long(s))),
                Value::Object(_) => false,
            };
            if !fits {
                return Err(format!(
                    "the value of {id:?} is not a string (at most {MAX_FORM_VALUE_CHARS} characters), number, boolean or list of strings"
                ));
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const CARD: &str = r#"{"createSurface":{"surfaceId":"s","catalogId":"c"}}
{"updateComponents":{"surfaceId":"s","components":[
  {"id":"root","component":"Card","child":"col"},
  {"id":"col","component":"Column","children":["title","name","ok"]},
  {"id":"title","component":"Text","text":"Order"},
  {"id":"name","component":"TextField","label":"Name"},
  {"id":"ok_label","component":"Text","text":"Confirm"},
  {"id":"ok","component":"Button","child":"ok_label","action":{"name":"confirm","context":{"order":42}}}]}}"#;

    #[test]
    fn a_card_as_json_lines_has_its_buttons_and_inputs() {
        // Each JSON line on one line: JSON Lines proper.
        let jsonl: String = CARD.replace("[\n  ", "[").replace(",\n  ", ",");
        let card = Card::parse(&jsonl).unwrap();
        assert_eq!(
            card.button("ok"),
            Some(ButtonAction {
                name: "confirm".into(),
                context: json!({"order": 42})
            })
        );
        assert_eq!(card.button("title"), None);
        assert!(
            card.check_form_context(json!({"name": "Li"}).as_object().unwrap())
                .is_ok()
        );
        assert!(
            card.check_form_context(json!({"title": "x"}).as_object().unwrap())
                .is_err()
        );
        assert!(
            card.check_form_context(json!({"name": {"a": 1}}).as_object().unwrap())
                .is_err()
        );
    }

    #[test]
    fn what_is_not_a_card_says_why() {
        for (bad, says) in [
            ("hello", "not JSON"),
            ("42", "JSON object"),
            (
                r#"{"updateComponents":{"surfaceId":"s"}}"#,
                "components list",
            ),
            (
                r#"{"updateComponents":{"surfaceId":"s","components":[{"id":"a","component":"Text"}]}}"#,
                "root",
            ),
            (r#"{"surface":1}"#, "exactly one of"),
            (
                r#"{"updateComponents":{"surfaceId":"s","components":[{"id":1,"component":"Text"}]}}"#,
                "string id",
            ),
        ] {
            let err = Card::parse(bad).unwrap_err();
            assert!(err.contains(says), "{bad} → {err}");
        }
        let many: Vec<Value> = (0..=MAX_A2UI_COMPONENTS)
            .map(|i| json!({"id": if i == 0 { "root".to_owned() } else { i.to_string() }, "component": "Text"}))
            .collect();
        let doc = json!({"updateComponents": {"surfaceId": "s", "components": many}}).to_string();
        assert!(Card::parse(&doc).unwrap_err().contains("at most"));
    }
}
