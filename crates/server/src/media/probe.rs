//! What can be read cheaply from uploaded bytes: an image's format and size (from its header,
//! with `imagesize`), and an MP4/MOV video's duration (from its `moov/mvhd` box).

use std::fs::File;
use std::io::{self, Read, Seek, SeekFrom};
use std::path::Path;

use imagesize::ImageType;

/// An image's format and size.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ImageInfo {
    /// Width in pixels.
    pub width: u32,
    /// Height in pixels.
    pub height: u32,
    /// The media type to serve it as.
    pub mime: &'static str,
    /// The usual file extension (Yunhu wants `.jpg`, not `.jpeg`).
    pub ext: &'static str,
}

/// Reads an image's format and size from its header. `None` when the bytes are not an image
/// of a format browsers show.
pub fn image(path: &Path) -> Option<ImageInfo> {
    let mut head = Vec::with_capacity(64);
    File::open(path)
        .ok()?
        .take(64)
        .read_to_end(&mut head)
        .ok()?;
    let (mime, ext) = match imagesize::image_type(&head).ok()? {
        ImageType::Png => ("image/png", "png"),
        ImageType::Jpeg => ("image/jpeg", "jpg"),
        ImageType::Gif => ("image/gif", "gif"),
        ImageType::Webp => ("image/webp", "webp"),
        ImageType::Bmp => ("image/bmp", "bmp"),
        ImageType::Ico => ("image/x-icon", "ico"),
        ImageType::Tiff => ("image/tiff", "tiff"),
        ImageType::Heif(_) => ("image/heif", "heic"),
        _ => return None,
    };
    // SVG is not accepted: it is a document that can carry scripts, not a picture.
    let size = imagesize::size(path).ok()?;
    Some(ImageInfo {
        width: u32::try_from(size.width).ok()?,
        height: u32::try_from(size.height).ok()?,
        mime,
        ext,
    })
}

/// The whole seconds of an MP4/MOV file, rounded, read from `moov/mvhd`. `None` for other
/// formats or a damaged file. Only box headers are read, seeking past everything else, so
/// this costs a few small reads whatever the file's size or where `moov` sits.
pub fn video_duration(path: &Path) -> Option<u64> {
    let mut file = File::open(path).ok()?;
    let len = file.metadata().ok()?.len();
    let (moov_start, moov_end) = find_box(&mut file, 0, len, b"moov").ok()??;
    let (mvhd_start, mvhd_end) = find_box(&mut file, moov_start, moov_end, b"mvhd").ok()??;
    file.seek(SeekFrom::Start(mvhd_start)).ok()?;
    let mut body = vec![0u8; usize::try_from((mvhd_end - mvhd_start).min(32)).ok()?];
    file.read_exact(&mut body).ok()?;
    let be32 = |at: usize| -> Option<u64> {
        Some(u64::from(u32::from_be_bytes(
            body.get(at..at + 4)?.try_into().ok()?,
        )))
    };
    let be64 = |at: usize| -> Option<u64> {
        Some(u64::from_be_bytes(body.get(at..at + 8)?.try_into().ok()?))
    };
    // version 0: flags(4) created(4) modified(4) timescale(4) duration(4)
    // version 1: flags(4) created(8) modified(8) timescale(4) duration(8)
    let (timescale, duration) = match body.first()? {
        0 => (be32(12)?, be32(16)?),
        1 => (be32(20)?, be64(24)?),
        _ => return None,
    };
    if timescale == 0 {
        return None;
    }
    Some((duration + timescale / 2) / timescale)
}

/// The body range of the first box of type `kind` among the boxes between `start` and `end`.
fn find_box(
    file: &mut File,
    start: u64,
    end: u64,
    kind: &[u8; 4],
) -> io::Result<Option<(u64, u64)>> {
    let mut at = start;
    while at + 8 <= end {
        file.seek(SeekFrom::Start(at))?;
        let mut header = [0u8; 8];
        file.read_exact(&mut header)?;
        let size32 = u64::from(u32::from_be_bytes([
            header[0], header[1], header[2], header[3],
        ]));
        let (body_start, size) = match size32 {
            // A 64-bit size follows the type.
            1 => {
                let mut large = [0u8; 8];
                file.read_exact(&mut large)?;
                (at + 16, u64::from_be_bytes(large))
            }
            // The box runs to the end of its container.
            0 => (at + 8, end - at),
            n => (at + 8, n),
        };
        let box_end = at.saturating_add(size);
        if size < body_start - at || box_end > end {
            return Ok(None);
        }
        if &header[4..8] == kind {
            return Ok(Some((body_start, box_end)));
        }
        at = box_end;
    }
    Ok(None)
}

#[cfg(test)]
mod tests {
    use std::io::Write;

    use super::*;

    fn boxed(kind: &[u8; 4], body: &[u8]) -> Vec<u8> {
        let mut out = u32::try_from(body.len() + 8)
            .unwrap_or(0)
            .to_be_bytes()
            .to_vec();
        out.extend_from_slice(kind);
        out.extend_from_slice(body);
        out
    }

    #[test]
    fn reads_the_duration_after_a_large_mdat() {
        // mvhd v0: version+flags, created, modified, timescale 1000, duration 12_600 ms.
        let mut mvhd = vec![0u8; 12];
        mvhd.extend_from_slice(&1000u32.to_be_bytes());
        mvhd.extend_from_slice(&12_600u32.to_be_bytes());
        mvhd.extend_from_slice(&[0u8; 80]);
        let mut bytes = boxed(b"ftyp", b"isom\0\0\x02\0isomiso2mp41");
        bytes.extend(boxed(b"mdat", &vec![7u8; 100_000]));
        bytes.extend(boxed(b"moov", &boxed(b"mvhd", &mvhd)));
        let Ok(mut file) = tempfile::NamedTempFile::new() else {
            panic!("temp file")
        };
        assert!(file.write_all(&bytes).is_ok());
        assert_eq!(video_duration(file.path()), Some(13));
    }

    #[test]
    fn other_bytes_have_no_duration() {
        let Ok(mut file) = tempfile::NamedTempFile::new() else {
            panic!("temp file")
        };
        assert!(
            file.write_all(b"not a video at all, just some text")
                .is_ok()
        );
        assert_eq!(video_duration(file.path()), None);
    }
}
