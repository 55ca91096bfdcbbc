//! Buttons under a message (wire §5.2): accepted as a flat list or as rows, always stored and
//! returned as rows.

use serde::{Deserialize, Deserializer, Serialize, Serializer};
use serde_json::Value;

use crate::ApiError;
use crate::lenient::{Object, string_like};

/// What a click on a button does.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ActionType {
    /// `1`: open `url`.
    OpenUrl,
    /// `2`: copy `value` to the clipboard.
    Copy,
    /// `3`: report the click to the bot as `button.report.inline` carrying `value`.
    Report,
}

impl ActionType {
    /// The wire number.
    pub fn code(self) -> u8 {
        match self {
            ActionType::OpenUrl => 1,
            ActionType::Copy => 2,
            ActionType::Report => 3,
        }
    }

    /// The action for a wire number, if it is one.
    pub fn from_code(code: u64) -> Option<Self> {
        match code {
            1 => Some(ActionType::OpenUrl),
            2 => Some(ActionType::Copy),
            3 => Some(ActionType::Report),
            _ => None,
        }
    }
}

impl Serialize for ActionType {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_u8(self.code())
    }
}

impl<'de> Deserialize<'de> for ActionType {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let code = u64::deserialize(deserializer)?;
        ActionType::from_code(code)
            .ok_or_else(|| serde::de::Error::custom(format!("unknown actionType {code}")))
    }
}

/// One button. `url` and `value` are omitted from the JSON when empty, as in Yunhu's history
/// example (wire §6.6).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Button {
    /// The label.
    pub text: String,
    /// What a click does.
    pub action_type: ActionType,
    /// The address opened by [`ActionType::OpenUrl`].
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub url: String,
    /// The text copied by [`ActionType::Copy`], or reported by [`ActionType::Report`].
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub value: String,
}

impl Button {
    /// A button that opens `url`.
    pub fn open_url(text: impl Into<String>, url: impl Into<String>) -> Self {
        Button {
            text: text.into(),
            action_type: ActionType::OpenUrl,
            url: url.into(),
            value: String::new(),
        }
    }

    /// A button that copies `value` to the clipboard.
    pub fn copy(text: impl Into<String>, value: impl Into<String>) -> Self {
        Button {
            text: text.into(),
            action_type: ActionType::Copy,
            url: String::new(),
            value: value.into(),
        }
    }

    /// A button whose click is reported to the bot with `value`.
    pub fn report(text: impl Into<String>, value: impl Into<String>) -> Self {
        Button {
            text: text.into(),
            action_type: ActionType::Report,
            url: String::new(),
            value: value.into(),
        }
    }

    fn parse(v: &Value) -> Result<Self, ApiError> {
        let Value::Object(obj) = v else {
            return Err(buttons_error("每个按钮应为对象"));
        };
        let text = optional(obj, "text")?.unwrap_or_default();
        let action_type = match obj.get("actionType") {
            Some(v) => crate::lenient::non_negative_int(v).and_then(ActionType::from_code),
            None => None,
        }
        .ok_or_else(|| buttons_error("actionType取值仅支持1、2、3"))?;
        let url = optional(obj, "url")?.unwrap_or_default();
        // A link button may come without a link: `url` may be `""` (wire §12 item 6), and
        // Koishi sends its link button so when the element has no href. Kept as sent; a
        // client shows it as a button that opens nothing.
        let value = optional(obj, "value")?.unwrap_or_default();
        Ok(Button {
            text,
            action_type,
            url,
            value,
        })
    }
}

/// Buttons as rows: each inner list is one horizontal row.
pub type ButtonRows = Vec<Vec<Button>>;

/// Reads `content.buttons`: `null` and `[]` are no buttons; a flat list becomes one button per
/// row (the go-sdk calls the flat form "vertical"); rows stay rows; empty rows are dropped.
pub(crate) fn parse_rows(v: Option<&Value>) -> Result<ButtonRows, ApiError> {
    let items = match v {
        None | Some(Value::Null) => return Ok(Vec::new()),
        Some(Value::Array(items)) => items,
        Some(_) => return Err(buttons_error("buttons应为按钮数组")),
    };
    let mut rows = Vec::with_capacity(items.len());
    for item in items {
        match item {
            Value::Array(row) => {
                let row = row
                    .iter()
                    .map(Button::parse)
                    .collect::<Result<Vec<_>, _>>()?;
                if !row.is_empty() {
                    rows.push(row);
                }
            }
            other => rows.push(vec![Button::parse(other)?]),
        }
    }
    Ok(rows)
}

fn optional(obj: &Object, field: &str) -> Result<Option<String>, ApiError> {
    match obj.get(field) {
        None | Some(Value::Null) => Ok(None),
        Some(v) => string_like(v)
            .map(Some)
            .ok_or_else(|| buttons_error(&format!("按钮的{field}应为字符串"))),
    }
}

fn buttons_error(detail: &str) -> ApiError {
    ApiError::invalid_param(format!("buttons格式错误：{detail}"))
}
