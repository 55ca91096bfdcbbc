//! Group administration by a bot (wire §6.9): gag, remove, message-type limits and member
//! tags. Requests with their lenient parsers, the `data` of the calls that return some, and the
//! error texts of wire §6.9 and §9.1.

use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::ApiError;
use crate::lenient::{self, Object, opt_string, required_id};

/// The longest tag name, in characters (wire §8: 9).
pub const MAX_TAG_CHARS: usize = 9;

/// The message types `/group/msg-type-limit` may allow (wire §6.9).
pub const GROUP_MSG_TYPES: [&str; 10] = [
    "text",
    "image",
    "markdown",
    "file",
    "post",
    "expression",
    "html",
    "video",
    "audio",
    "liveAudio",
];

impl ApiError {
    /// The bot lacks `allowGagMember`.
    pub fn no_gag_permission() -> Self {
        Self::business("机器人无禁言用户权限")
    }

    /// The bot lacks `allowRemoveMember`.
    pub fn no_remove_permission() -> Self {
        Self::business("机器人无移除群成员权限")
    }

    /// The bot lacks `allowEditGroupInfo`.
    pub fn no_edit_group_info_permission() -> Self {
        Self::business("机器人无修改群信息权限")
    }

    /// The bot lacks `allowGroupTagManage`. The live server's text is not known; this one is
    /// worded like its siblings.
    pub fn no_tag_permission() -> Self {
        Self::business("机器人无群标签管理权限")
    }

    /// The gag target is the group's owner.
    pub fn cannot_gag_owner() -> Self {
        Self::business("不可以禁言群主！")
    }

    /// The removal target is the group's owner.
    pub fn cannot_remove_owner() -> Self {
        Self::business("不可以移除群主！")
    }

    /// The target user is not a member of the group (our own text).
    pub fn user_not_in_group(group_id: &str, user_id: &str) -> Self {
        Self::business(format!("用户(ID:{user_id})不在群(ID:{group_id})中。"))
    }

    /// `gag` is not a number of seconds, 0 or -1.
    pub fn gag_invalid() -> Self {
        Self::invalid_param("gag取值错误，应为禁言秒数(如600)，0为解除禁言，-1为永久禁言")
    }

    /// `type` of msg-type-limit names something that is not a message type.
    pub fn msg_type_limit_invalid() -> Self {
        Self::invalid_param("type格式错误，应为消息类型名称(如: text,image,video)")
    }

    /// A tag colour that is not `#RRGGBB`.
    pub fn tag_color_invalid() -> Self {
        Self::business("颜色输入错误")
    }

    /// A tag name longer than [`MAX_TAG_CHARS`].
    pub fn tag_too_long() -> Self {
        Self::business("标签长度过长")
    }

    /// A tag of that name already exists in the group.
    pub fn tag_exists() -> Self {
        Self::business("创建失败，该标签已存在")
    }

    /// No tag of that name in the group.
    pub fn tag_not_found() -> Self {
        Self::business("该标签不存在")
    }
}

/// `POST /group/gag-member`: mute a member for `gag` seconds; 0 unmutes, -1 is permanent.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct GagMemberRequest {
    /// The group.
    pub group_id: String,
    /// The member to mute.
    pub user_id: String,
    /// Seconds; 0 unmutes; -1 mutes until unmuted.
    pub gag: i64,
}

impl GagMemberRequest {
    /// Reads a gag body leniently (`gag` may be a number or a numeric string; absent is 0).
    pub fn parse(body: &[u8]) -> Result<Self, ApiError> {
        let obj = lenient::object(body)?;
        let group_id = required_id(&obj, "groupId")?;
        let user_id = required_id(&obj, "userId")?;
        let gag = match obj.get("gag") {
            None | Some(Value::Null) => 0,
            Some(v) => int(v).ok_or_else(ApiError::gag_invalid)?,
        };
        if gag < -1 {
            return Err(ApiError::gag_invalid());
        }
        Ok(GagMemberRequest {
            group_id,
            user_id,
            gag,
        })
    }
}

/// `POST /group/remove-member`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct RemoveMemberRequest {
    /// The group.
    pub group_id: String,
    /// The member to remove.
    pub user_id: String,
}

impl RemoveMemberRequest {
    /// Reads a remove-member body leniently.
    pub fn parse(body: &[u8]) -> Result<Self, ApiError> {
        let obj = lenient::object(body)?;
        Ok(RemoveMemberRequest {
            group_id: required_id(&obj, "groupId")?,
            user_id: required_id(&obj, "userId")?,
        })
    }
}

/// `POST /group/msg-type-limit`: which message types members may send; empty = any.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct MsgTypeLimitRequest {
    /// The group.
    pub group_id: String,
    /// The allowed types, each one of [`GROUP_MSG_TYPES`], without duplicates; empty lifts the
    /// restriction. On the wire: one comma-joined string.
    #[serde(rename = "type", serialize_with = "comma_joined")]
    pub types: Vec<String>,
}

impl MsgTypeLimitRequest {
    /// Reads a msg-type-limit body. `type` is a comma-joined string (`""` = no restriction);
    /// a JSON array of names is accepted too.
    pub fn parse(body: &[u8]) -> Result<Self, ApiError> {
        let obj = lenient::object(body)?;
        let group_id = required_id(&obj, "groupId")?;
        let names: Vec<String> = match obj.get("type") {
            None | Some(Value::Null) => return Err(ApiError::msg_type_limit_invalid()),
            Some(Value::String(s)) => s.split(',').map(|t| t.trim().to_owned()).collect(),
            Some(Value::Array(items)) => items
                .iter()
                .map(|v| v.as_str().map(|s| s.trim().to_owned()))
                .collect::<Option<_>>()
                .ok_or_else(ApiError::msg_type_limit_invalid)?,
            Some(_) => return Err(ApiError::msg_type_limit_invalid()),
        };
        let mut types: Vec<String> = Vec::new();
        for name in names.into_iter().filter(|n| !n.is_empty()) {
            if !GROUP_MSG_TYPES.contains(&name.as_str()) {
                return Err(ApiError::msg_type_limit_invalid());
            }
            if !types.contains(&name) {
                types.push(name);
            }
        }
        Ok(MsgTypeLimitRequest { group_id, types })
    }
}

fn comma_joined<S: serde::Serializer>(types: &[String], s: S) -> Result<S::Ok, S::Error> {
    s.serialize_str(&types.join(","))
}

/// `/group/tag/list`, by GET (`?groupId=`) or POST (`{"groupId"}`) (wire §12 item 12).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct TagListRequest {
    /// The group.
    pub group_id: String,
}

impl TagListRequest {
    /// Reads the group from the query pairs first, then from a JSON body.
    pub fn parse<'a>(
        query: impl IntoIterator<Item = (&'a str, &'a str)>,
        body: &[u8],
    ) -> Result<Self, ApiError> {
        if let Some((_, id)) = query
            .into_iter()
            .find(|(k, v)| *k == "groupId" && !v.trim().is_empty())
        {
            return Ok(TagListRequest {
                group_id: id.trim().to_owned(),
            });
        }
        let obj = lenient::object(body)?;
        Ok(TagListRequest {
            group_id: required_id(&obj, "groupId")?,
        })
    }
}

/// `POST /group/tag/create`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct TagCreateRequest {
    /// The group.
    pub group_id: String,
    /// The tag's name, 1 to [`MAX_TAG_CHARS`] characters.
    pub tag: String,
    /// `#RRGGBB`, or `""` when not given.
    pub color: String,
    /// A description, `""` when not given.
    pub desc: String,
    /// Sort order, 0 when not given.
    pub sort: i64,
}

impl TagCreateRequest {
    /// Reads a tag/create body; checks the name's length and the colour's form.
    pub fn parse(body: &[u8]) -> Result<Self, ApiError> {
        let obj = lenient::object(body)?;
        let group_id = required_id(&obj, "groupId")?;
        let tag = tag_name(&obj, "tag")?.ok_or_else(|| ApiError::field_empty("tag"))?;
        Ok(TagCreateRequest {
            group_id,
            tag,
            color: color(&obj)?.unwrap_or_default(),
            desc: opt_string(&obj, "desc")?.unwrap_or_default(),
            sort: sort(&obj)?.unwrap_or(0),
        })
    }
}

/// `POST /group/tag/edit`: rename and/or restyle a tag; absent fields stay as they are.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct TagEditRequest {
    /// The group.
    pub group_id: String,
    /// The tag to edit.
    pub tag: String,
    /// The new name.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub new_tag: Option<String>,
    /// The new colour.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub color: Option<String>,
    /// The new description.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub desc: Option<String>,
    /// The new sort order.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub sort: Option<i64>,
}

impl TagEditRequest {
    /// Reads a tag/edit body. An empty `newTag` or `color` means "unchanged".
    pub fn parse(body: &[u8]) -> Result<Self, ApiError> {
        let obj = lenient::object(body)?;
        Ok(TagEditRequest {
            group_id: required_id(&obj, "groupId")?,
            tag: required_id(&obj, "tag")?.trim().to_owned(),
            new_tag: tag_name(&obj, "newTag")?,
            color: color(&obj)?,
            desc: opt_string(&obj, "desc")?,
            sort: sort(&obj)?,
        })
    }
}

/// `POST /group/tag/delete`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct TagDeleteRequest {
    /// The group.
    pub group_id: String,
    /// The tag to delete.
    pub tag: String,
}

impl TagDeleteRequest {
    /// Reads a tag/delete body.
    pub fn parse(body: &[u8]) -> Result<Self, ApiError> {
        let obj = lenient::object(body)?;
        Ok(TagDeleteRequest {
            group_id: required_id(&obj, "groupId")?,
            tag: required_id(&obj, "tag")?.trim().to_owned(),
        })
    }
}

/// `POST /group/tag/user-relate` and `/group/tag/user-relate-cancel`: give a member a tag, or
/// take it away.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct TagUserRequest {
    /// The group.
    pub group_id: String,
    /// The member.
    pub user_id: String,
    /// The tag.
    pub tag: String,
}

impl TagUserRequest {
    /// Reads a user-relate or user-relate-cancel body.
    pub fn parse(body: &[u8]) -> Result<Self, ApiError> {
        let obj = lenient::object(body)?;
        Ok(TagUserRequest {
            group_id: required_id(&obj, "groupId")?,
            user_id: required_id(&obj, "userId")?,
            tag: required_id(&obj, "tag")?.trim().to_owned(),
        })
    }
}

/// One tag of `/group/tag/list`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct GroupTag {
    /// The tag's name.
    pub tag: String,
    /// Its description.
    #[serde(default)]
    pub desc: String,
    /// Its colour, `#RRGGBB` or `""`.
    #[serde(default)]
    pub color: String,
    /// Its sort order.
    #[serde(default)]
    pub sort: i64,
}

/// `data` of `/group/tag/list`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TagListData {
    /// The group's tags, by sort order then name.
    pub list: Vec<GroupTag>,
}

/// `data` of `/group/tag/create`: `{"tagId": 4093}`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct TagCreateData {
    /// The new tag's ID.
    pub tag_id: i64,
}

/// An integer given as a number or a numeric string.
fn int(v: &Value) -> Option<i64> {
    match v {
        Value::Number(n) => n.as_i64(),
        Value::String(s) => s.trim().parse().ok(),
        _ => None,
    }
}

/// A tag name field: absent or empty is `None`; too long is Yunhu's -1 error (wire §6.9).
fn tag_name(obj: &Object, field: &str) -> Result<Option<String>, ApiError> {
    let Some(name) = opt_string(obj, field)?
        .map(|s| s.trim().to_owned())
        .filter(|s| !s.is_empty())
    else {
        return Ok(None);
    };
    if name.chars().count() > MAX_TAG_CHARS {
        return Err(ApiError::tag_too_long());
    }
    Ok(Some(name))
}

/// `color`: absent or empty is `None`; anything but `#RRGGBB` is Yunhu's -1 error (wire §6.9).
fn color(obj: &Object) -> Result<Option<String>, ApiError> {
    let Some(color) = opt_string(obj, "color")
        .map_err(|_| ApiError::tag_color_invalid())?
        .map(|s| s.trim().to_owned())
        .filter(|s| !s.is_empty())
    else {
        return Ok(None);
    };
    let hex = color.strip_prefix('#').unwrap_or("");
    if hex.len() != 6 || !hex.bytes().all(|b| b.is_ascii_hexdigit()) {
        return Err(ApiError::tag_color_invalid());
    }
    Ok(Some(color))
}

fn sort(obj: &Object) -> Result<Option<i64>, ApiError> {
    match obj.get("sort") {
        None | Some(Value::Null) => Ok(None),
        Some(v) => int(v)
            .map(Some)
            .ok_or_else(|| ApiError::field_type("sort", "整数")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn gag_takes_numbers_strings_and_minus_one() {
        let req = GagMemberRequest::parse(br#"{"groupId":1,"userId":"2","gag":"600"}"#);
        assert_eq!(req.map(|r| r.gag), Ok(600));
        let req = GagMemberRequest::parse(br#"{"groupId":"1","userId":"2","gag":-1}"#);
        assert_eq!(req.map(|r| r.gag), Ok(-1));
        let err = GagMemberRequest::parse(br#"{"groupId":"1","userId":"2","gag":-5}"#);
        assert_eq!(err, Err(ApiError::gag_invalid()));
    }

    #[test]
    fn msg_type_limit_checks_every_name() {
        let req = MsgTypeLimitRequest::parse(br#"{"groupId":"1","type":"text, image,text"}"#);
        assert_eq!(
            req.map(|r| r.types),
            Ok(vec!["text".into(), "image".into()])
        );
        let req = MsgTypeLimitRequest::parse(br#"{"groupId":"1","type":""}"#);
        assert_eq!(req.map(|r| r.types), Ok(vec![]));
        let err = MsgTypeLimitRequest::parse(br#"{"groupId":"1","type":"text,sticker"}"#);
        assert_eq!(err, Err(ApiError::msg_type_limit_invalid()));
    }

    #[test]
    fn tag_names_and_colours_are_checked() {
        let ok = TagCreateRequest::parse(
            r##"{"groupId":"1","tag":"九个字的标签名字啊","color":"#A1b2C3"}"##.as_bytes(),
        );
        assert!(ok.is_ok(), "{ok:?}");
        let long =
            TagCreateRequest::parse(r#"{"groupId":"1","tag":"十个字的标签名字啊啊"}"#.as_bytes());
        assert_eq!(long, Err(ApiError::tag_too_long()));
        let bad = TagCreateRequest::parse(br#"{"groupId":"1","tag":"t","color":"red"}"#);
        assert_eq!(bad, Err(ApiError::tag_color_invalid()));
    }

    #[test]
    fn tag_list_reads_the_query_then_the_body() {
        let req = TagListRequest::parse([("token", "x"), ("groupId", "42")], b"");
        assert_eq!(req.map(|r| r.group_id), Ok("42".to_owned()));
        let req = TagListRequest::parse([], br#"{"groupId":"43"}"#);
        assert_eq!(req.map(|r| r.group_id), Ok("43".to_owned()));
        assert!(TagListRequest::parse([], b"").is_err());
    }
}
