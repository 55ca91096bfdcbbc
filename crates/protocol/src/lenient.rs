//! Field readers that accept what real clients send (wire §12) and name the field when they
//! cannot: `null` is "absent", numbers stand in for ID strings, unknown keys are ignored.

use serde_json::{Map, Value};

use crate::ApiError;

/// A JSON object, as request bodies are.
pub(crate) type Object = Map<String, Value>;

/// Parses a request body into a JSON object. A zero-length body is an empty object, because
/// several clients post nothing at all to body-less calls (wire §12 item 8).
pub(crate) fn object(body: &[u8]) -> Result<Object, ApiError> {
    if body.iter().all(u8::is_ascii_whitespace) {
        return Ok(Object::new());
    }
    match serde_json::from_slice::<Value>(body) {
        Ok(Value::Object(map)) => Ok(map),
        // `null` is what some clients send for "no parameters".
        Ok(Value::Null) => Ok(Object::new()),
        Ok(_) => Err(ApiError::invalid_param("请求参数应为json对象")),
        Err(_) => Err(ApiError::body_not_json(body)),
    }
}

/// The field as a string: absent and `null` are `None`, numbers are written out (IDs are
/// sometimes sent as numbers), anything else is a typed error naming the field.
pub(crate) fn opt_string(obj: &Object, field: &str) -> Result<Option<String>, ApiError> {
    match obj.get(field) {
        None | Some(Value::Null) => Ok(None),
        Some(v) => string_like(v)
            .map(Some)
            .ok_or_else(|| ApiError::field_type(field, "字符串")),
    }
}

/// A non-empty string field, or the "cannot be empty" error for it.
pub(crate) fn required_id(obj: &Object, field: &str) -> Result<String, ApiError> {
    match opt_string(obj, field)? {
        Some(s) if !s.trim().is_empty() => Ok(s),
        _ => Err(ApiError::field_empty(field)),
    }
}

/// A string, or a number written out as one.
pub(crate) fn string_like(v: &Value) -> Option<String> {
    match v {
        Value::String(s) => Some(s.clone()),
        Value::Number(n) => Some(n.to_string()),
        _ => None,
    }
}

/// A non-negative integer given as a number or a numeric string.
pub(crate) fn non_negative_int(v: &Value) -> Option<u64> {
    match v {
        Value::Number(n) => n.as_u64(),
        Value::String(s) => s.trim().parse().ok(),
        _ => None,
    }
}

/// `parentId` degrades instead of failing (wire §5.4, §12 item 5): only a non-empty string
/// can quote a message. nonebot sends the literal `"False"`; the store later drops any id that
/// names no message in the chat, so junk like that simply means "no quote".
pub(crate) fn parent_id(obj: &Object) -> Option<String> {
    match obj.get("parentId") {
        Some(Value::String(s)) if !s.trim().is_empty() => Some(s.trim().to_owned()),
        _ => None,
    }
}
