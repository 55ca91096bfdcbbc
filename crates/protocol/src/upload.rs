//! Uploads (wire §6.7): what kinds there are, their limits and failure texts, and the `data` of
//! a successful upload.

use serde::{Deserialize, Serialize};

use crate::ApiError;

/// One mebibyte, the unit of the documented upload limits.
const MIB: u64 = 1024 * 1024;

/// What an upload call uploads. Each kind has its own path, multipart field name, size limit
/// and failure text.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum UploadKind {
    /// `POST /image/upload`, field `image`, at most 10 MB.
    Image,
    /// `POST /video/upload`, field `video`, at most 20 MB.
    Video,
    /// `POST /file/upload`, field `file`, at most 20 MB.
    File,
}

impl UploadKind {
    /// Every kind.
    pub const ALL: [UploadKind; 3] = [UploadKind::Image, UploadKind::Video, UploadKind::File];

    /// The wire and stored spelling, which is also the multipart field name (wire §6.7: the
    /// file part is named after the resource type).
    pub fn as_str(self) -> &'static str {
        match self {
            UploadKind::Image => "image",
            UploadKind::Video => "video",
            UploadKind::File => "file",
        }
    }

    /// Parses the stored spelling.
    pub fn from_wire(s: &str) -> Option<Self> {
        UploadKind::ALL.into_iter().find(|k| k.as_str() == s)
    }

    /// The largest upload accepted, in bytes (wire §8: 10 / 20 / 20 MB, read as MiB).
    pub fn max_bytes(self) -> u64 {
        match self {
            UploadKind::Image => 10 * MIB,
            UploadKind::Video | UploadKind::File => 20 * MIB,
        }
    }

    /// The name of the content field that carries this kind's key: `imageKey`, `videoKey`,
    /// `fileKey`.
    pub fn key_field(self) -> &'static str {
        match self {
            UploadKind::Image => "imageKey",
            UploadKind::Video => "videoKey",
            UploadKind::File => "fileKey",
        }
    }

    fn noun(self) -> &'static str {
        match self {
            UploadKind::Image => "图片",
            UploadKind::Video => "视频",
            UploadKind::File => "文件",
        }
    }
}

impl ApiError {
    /// The upload's file part is missing or unreadable: `-1` `图片获取失败` / `视频获取失败` /
    /// `文件获取失败`, the live server's texts (wire §6.7, §9.1).
    pub fn upload_failed(kind: UploadKind) -> Self {
        Self::business(format!("{}获取失败", kind.noun()))
    }

    /// The upload did not arrive whole within the server's upload time limit (cloudlake's
    /// own: Yunhu documents none): `-1` with the limit in seconds.
    pub fn upload_timed_out(kind: UploadKind, limit_secs: u64) -> Self {
        Self::business(format!(
            "{}上传超时，须在{limit_secs}秒内传完 (the upload took longer than {limit_secs} s)",
            kind.noun()
        ))
    }

    /// The upload is larger than its kind allows (wire §8).
    pub fn upload_too_large(kind: UploadKind) -> Self {
        Self::invalid_param(format!(
            "{}大小超过限制，上限为{}MB",
            kind.noun(),
            kind.max_bytes() / MIB
        ))
    }

    /// A content key names no upload of this kind by the calling bot.
    pub fn media_key_unknown(kind: UploadKind) -> Self {
        Self::invalid_param(format!(
            "{}值错误，该{}不存在或不是当前机器人上传的",
            kind.key_field(),
            kind.noun()
        ))
    }
}

/// `data` of `/image/upload`: `{"imageKey": "…"}`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ImageUploadData {
    /// The key to send as `content.imageKey`.
    pub image_key: String,
}

/// `data` of `/video/upload`: `{"videoKey": "…"}`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct VideoUploadData {
    /// The key to send as `content.videoKey`.
    pub video_key: String,
}

/// `data` of `/file/upload`: `{"fileKey": "…"}`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct FileUploadData {
    /// The key to send as `content.fileKey`.
    pub file_key: String,
}

/// The `data` of any upload, serialized as the one key its kind uses.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(untagged)]
pub enum UploadData {
    /// An image's key.
    Image(ImageUploadData),
    /// A video's key.
    Video(VideoUploadData),
    /// A file's key.
    File(FileUploadData),
}

impl UploadData {
    /// The data of a successful upload of `kind` under `key`.
    pub fn new(kind: UploadKind, key: String) -> Self {
        match kind {
            UploadKind::Image => UploadData::Image(ImageUploadData { image_key: key }),
            UploadKind::Video => UploadData::Video(VideoUploadData { video_key: key }),
            UploadKind::File => UploadData::File(FileUploadData { file_key: key }),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn upload_data_has_the_one_key_of_its_kind() {
        let json = |kind| serde_json::to_string(&UploadData::new(kind, "k".into())).ok();
        assert_eq!(
            json(UploadKind::Image).as_deref(),
            Some(r#"{"imageKey":"k"}"#)
        );
        assert_eq!(
            json(UploadKind::Video).as_deref(),
            Some(r#"{"videoKey":"k"}"#)
        );
        assert_eq!(
            json(UploadKind::File).as_deref(),
            Some(r#"{"fileKey":"k"}"#)
        );
    }

    #[test]
    fn failure_texts_are_the_live_servers() {
        assert_eq!(
            ApiError::upload_failed(UploadKind::Image).msg,
            "图片获取失败"
        );
        assert_eq!(
            ApiError::upload_failed(UploadKind::Video).msg,
            "视频获取失败"
        );
        assert_eq!(
            ApiError::upload_failed(UploadKind::File).msg,
            "文件获取失败"
        );
        assert_eq!(ApiError::upload_failed(UploadKind::File).code.0, -1);
    }
}
