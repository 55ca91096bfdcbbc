//! Group administration by a bot (wire §6.9). Every call needs the bot to be in the group
//! (else the bot-not-in-group text clients parse, wire §9.2) and, except listing tags, the
//! per-group permission the operator granted it.

use cloudlake_protocol::{
    ApiError, GagMemberRequest, GroupTag, MsgTypeLimitRequest, RemoveMemberRequest,
    TagCreateRequest, TagDeleteRequest, TagEditRequest, TagListRequest, TagUserRequest,
};

use super::ServiceError;
use crate::store::{Bot, BotPermissions, Gag, MemberChange, Store, TagChange, TagEdit};

/// The group administration service.
#[derive(Clone)]
pub struct GroupAdmin {
    store: Store,
}

/// Which permission a call needs.
#[derive(Clone, Copy)]
enum Needs {
    Membership,
    Gag,
    Remove,
    EditInfo,
    Tags,
}

impl GroupAdmin {
    /// A service over `store`.
    pub fn new(store: Store) -> Self {
        GroupAdmin { store }
    }

    /// `/group/gag-member`: `gag` seconds from now; 0 unmutes; -1 until unmuted.
    pub async fn gag(&self, bot: &Bot, req: GagMemberRequest) -> Result<(), ServiceError> {
        self.require(bot, &req.group_id, Needs::Gag).await?;
        let gag = match req.gag {
            0 => Gag::Lift,
            -1 => Gag::Forever,
            secs => Gag::For(secs),
        };
        let change = self
            .store
            .gag_member(
                bot.bot_id.clone(),
                req.group_id.clone(),
                req.user_id.clone(),
                gag,
            )
            .await?;
        member_change(
            change,
            &req.group_id,
            &req.user_id,
            ApiError::cannot_gag_owner,
        )
    }

    /// `/group/remove-member`.
    pub async fn remove(&self, bot: &Bot, req: RemoveMemberRequest) -> Result<(), ServiceError> {
        self.require(bot, &req.group_id, Needs::Remove).await?;
        let change = self
            .store
            .remove_member_by_bot(
                bot.bot_id.clone(),
                req.group_id.clone(),
                req.user_id.clone(),
            )
            .await?;
        member_change(
            change,
            &req.group_id,
            &req.user_id,
            ApiError::cannot_remove_owner,
        )
    }

    /// `/group/msg-type-limit`.
    pub async fn msg_type_limit(
        &self,
        bot: &Bot,
        req: MsgTypeLimitRequest,
    ) -> Result<(), ServiceError> {
        self.require(bot, &req.group_id, Needs::EditInfo).await?;
        self.store
            .set_msg_type_limit(req.group_id, req.types)
            .await?;
        Ok(())
    }

    /// `/group/tag/list`: any bot in the group may list its tags.
    pub async fn tags(
        &self,
        bot: &Bot,
        req: TagListRequest,
    ) -> Result<Vec<GroupTag>, ServiceError> {
        self.require(bot, &req.group_id, Needs::Membership).await?;
        Ok(self.store.group_tags(req.group_id).await?)
    }

    /// `/group/tag/create`: the new tag's ID.
    pub async fn create_tag(&self, bot: &Bot, req: TagCreateRequest) -> Result<i64, ServiceError> {
        self.require(bot, &req.group_id, Needs::Tags).await?;
        let tag = GroupTag {
            tag: req.tag,
            desc: req.desc,
            color: req.color,
            sort: req.sort,
        };
        self.store
            .create_tag(req.group_id, tag)
            .await?
            .ok_or_else(|| ApiError::tag_exists().into())
    }

    /// `/group/tag/edit`.
    pub async fn edit_tag(&self, bot: &Bot, req: TagEditRequest) -> Result<(), ServiceError> {
        self.require(bot, &req.group_id, Needs::Tags).await?;
        let edit = TagEdit {
            new_tag: req.new_tag,
            color: req.color,
            desc: req.desc,
            sort: req.sort,
        };
        let change = self
            .store
            .edit_tag(req.group_id.clone(), req.tag, edit)
            .await?;
        tag_change(change, &req.group_id, "")
    }

    /// `/group/tag/delete`.
    pub async fn delete_tag(&self, bot: &Bot, req: TagDeleteRequest) -> Result<(), ServiceError> {
        self.require(bot, &req.group_id, Needs::Tags).await?;
        let change = self.store.delete_tag(req.group_id.clone(), req.tag).await?;
        tag_change(change, &req.group_id, "")
    }

    /// `/group/tag/user-relate` (`relate`) and `/group/tag/user-relate-cancel`.
    pub async fn relate_tag(
        &self,
        bot: &Bot,
        req: TagUserRequest,
        relate: bool,
    ) -> Result<(), ServiceError> {
        self.require(bot, &req.group_id, Needs::Tags).await?;
        let change = self
            .store
            .relate_tag(req.group_id.clone(), req.user_id.clone(), req.tag, relate)
            .await?;
        tag_change(change, &req.group_id, &req.user_id)
    }

    /// The bot must be in the group and hold the permission the call needs.
    async fn require(&self, bot: &Bot, group_id: &str, needs: Needs) -> Result<(), ServiceError> {
        let Some(p) = self
            .store
            .bot_permissions(bot.bot_id.clone(), group_id.to_owned())
            .await?
        else {
            // Also the answer for a group that does not exist (wire §9.2).
            return Err(ApiError::bot_not_in_group(group_id, &bot.bot_id).into());
        };
        let BotPermissions {
            allow_gag_member,
            allow_remove_member,
            allow_edit_group_info,
            allow_group_tag_manage,
        } = p;
        let (granted, refusal): (bool, fn() -> ApiError) = match needs {
            Needs::Membership => return Ok(()),
            Needs::Gag => (allow_gag_member, ApiError::no_gag_permission),
            Needs::Remove => (allow_remove_member, ApiError::no_remove_permission),
            Needs::EditInfo => (
                allow_edit_group_info,
                ApiError::no_edit_group_info_permission,
            ),
            Needs::Tags => (allow_group_tag_manage, ApiError::no_tag_permission),
        };
        if granted {
            Ok(())
        } else {
            Err(refusal().into())
        }
    }
}

fn member_change(
    change: MemberChange,
    group_id: &str,
    user_id: &str,
    owner: fn() -> ApiError,
) -> Result<(), ServiceError> {
    match change {
        MemberChange::Done => Ok(()),
        MemberChange::NotMember => Err(ApiError::user_not_in_group(group_id, user_id).into()),
        MemberChange::Owner => Err(owner().into()),
    }
}

fn tag_change(change: TagChange, group_id: &str, user_id: &str) -> Result<(), ServiceError> {
    match change {
        TagChange::Done => Ok(()),
        TagChange::TagMissing => Err(ApiError::tag_not_found().into()),
        // Renaming onto another tag's name: the create text says exactly what is wrong.
        TagChange::NameTaken => Err(ApiError::tag_exists().into()),
        TagChange::NotMember => Err(ApiError::user_not_in_group(group_id, user_id).into()),
    }
}
