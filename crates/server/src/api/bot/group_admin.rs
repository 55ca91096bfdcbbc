//! `/group/…` (wire §6.9): one handler per group administration call. Successes without data
//! are `{"code":1,"msg":"success"}`.

use axum::Router;
use axum::extract::State;
use axum::routing::post;
use cloudlake_protocol::{
    GagMemberRequest, MsgTypeLimitRequest, RemoveMemberRequest, TagCreateData, TagCreateRequest,
    TagDeleteRequest, TagEditRequest, TagListData, TagListRequest, TagUserRequest,
};

use super::extract::{AuthedBot, Body, QueryPairs};
use super::reply::{Failure, Success};
use crate::api::AppState;
use crate::service::GroupAdmin;

type Reply<T> = Result<Success<T>, Failure>;

/// The `/group/…` routes.
pub(crate) fn routes() -> Router<AppState> {
    Router::new()
        .route(at!("/group/gag-member"), post(gag_member))
        .route(at!("/group/remove-member"), post(remove_member))
        .route(at!("/group/msg-type-limit"), post(msg_type_limit))
        // eris calls it both ways (wire §12 item 12).
        .route(at!("/group/tag/list"), post(tag_list).get(tag_list))
        .route(at!("/group/tag/create"), post(tag_create))
        .route(at!("/group/tag/edit"), post(tag_edit))
        .route(at!("/group/tag/delete"), post(tag_delete))
        .route(at!("/group/tag/user-relate"), post(tag_user_relate))
        .route(
            at!("/group/tag/user-relate-cancel"),
            post(tag_user_relate_cancel),
        )
}

fn service(state: &AppState) -> GroupAdmin {
    GroupAdmin::new(state.store.clone())
}

/// `POST /group/gag-member`.
pub(crate) async fn gag_member(
    State(state): State<AppState>,
    AuthedBot(bot): AuthedBot,
    Body(body): Body,
) -> Reply<()> {
    let req = GagMemberRequest::parse(&body)?;
    service(&state).gag(&bot, req).await?;
    Ok(Success(None))
}

/// `POST /group/remove-member`.
pub(crate) async fn remove_member(
    State(state): State<AppState>,
    AuthedBot(bot): AuthedBot,
    Body(body): Body,
) -> Reply<()> {
    let req = RemoveMemberRequest::parse(&body)?;
    service(&state).remove(&bot, req).await?;
    Ok(Success(None))
}

/// `POST /group/msg-type-limit`.
pub(crate) async fn msg_type_limit(
    State(state): State<AppState>,
    AuthedBot(bot): AuthedBot,
    Body(body): Body,
) -> Reply<()> {
    let req = MsgTypeLimitRequest::parse(&body)?;
    service(&state).msg_type_limit(&bot, req).await?;
    Ok(Success(None))
}

/// `GET /group/tag/list?groupId=` and `POST /group/tag/list` (wire §12 item 12): the query
/// string first, then a JSON body.
pub(crate) async fn tag_list(
    State(state): State<AppState>,
    AuthedBot(bot): AuthedBot,
    QueryPairs(pairs): QueryPairs,
    Body(body): Body,
) -> Reply<TagListData> {
    let req = TagListRequest::parse(pairs.iter().map(|(k, v)| (k.as_str(), v.as_str())), &body)?;
    let list = service(&state).tags(&bot, req).await?;
    Ok(Success(Some(TagListData { list })))
}

/// `POST /group/tag/create`.
pub(crate) async fn tag_create(
    State(state): State<AppState>,
    AuthedBot(bot): AuthedBot,
    Body(body): Body,
) -> Reply<TagCreateData> {
    let req = TagCreateRequest::parse(&body)?;
    let tag_id = service(&state).create_tag(&bot, req).await?;
    Ok(Success(Some(TagCreateData { tag_id })))
}

/// `POST /group/tag/edit`.
pub(crate) async fn tag_edit(
    State(state): State<AppState>,
    AuthedBot(bot): AuthedBot,
    Body(body): Body,
) -> Reply<()> {
    let req = TagEditRequest::parse(&body)?;
    service(&state).edit_tag(&bot, req).await?;
    Ok(Success(None))
}

/// `POST /group/tag/delete`.
pub(crate) async fn tag_delete(
    State(state): State<AppState>,
    AuthedBot(bot): AuthedBot,
    Body(body): Body,
) -> Reply<()> {
    let req = TagDeleteRequest::parse(&body)?;
    service(&state).delete_tag(&bot, req).await?;
    Ok(Success(None))
}

/// `POST /group/tag/user-relate`.
pub(crate) async fn tag_user_relate(
    State(state): State<AppState>,
    AuthedBot(bot): AuthedBot,
    Body(body): Body,
) -> Reply<()> {
    let req = TagUserRequest::parse(&body)?;
    service(&state).relate_tag(&bot, req, true).await?;
    Ok(Success(None))
}

/// `POST /group/tag/user-relate-cancel`.
pub(crate) async fn tag_user_relate_cancel(
    State(state): State<AppState>,
    AuthedBot(bot): AuthedBot,
    Body(body): Body,
) -> Reply<()> {
    let req = TagUserRequest::parse(&body)?;
    service(&state).relate_tag(&bot, req, false).await?;
    Ok(Success(None))
}
