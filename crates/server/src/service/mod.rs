//! The bot API's behaviour between the wire and the store: who may send where, what a
//! recipient's failure means for a single send and for a batch, and how history is shaped.

mod boards;
mod error;
pub(crate) mod messaging;
mod outgoing;
pub mod reactions;
pub mod rendering;
mod stream;

pub use error::ServiceError;
pub use messaging::Messaging;
pub use stream::Stream;

// Uploads and group administration (issue 5).
mod group_admin;
pub(crate) mod media;

pub use group_admin::GroupAdmin;
pub use media::{Media, ServedMedia, Staging};
