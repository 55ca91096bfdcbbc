//! Event envelopes against the spec's captured samples (wire §7): each sample reads into its
//! typed event and writes back field for field.

#![allow(clippy::unwrap_used)]

use cloudlake_protocol::{Event, EventEnvelope};
use serde_json::{Value, json};

fn round_trip(sample: Value) -> Event {
    let envelope: EventEnvelope = serde_json::from_value(sample.clone()).unwrap();
    let typed = envelope.typed();
    assert!(!matches!(typed, Event::Unknown { .. }), "{sample}");
    let rebuilt = EventEnvelope::new(
        envelope.header.event_id.clone(),
        envelope.header.event_time,
        &typed,
    );
    assert_eq!(serde_json::to_value(&rebuilt).unwrap(), sample);
    typed
}

#[test]
fn message_receive_normal_sample_round_trips() {
    let sample = json!({"version":"1.0",
     "header":{"eventId":"d1ae39a31063408099b5961ed637f10c","eventType":"message.receive.normal","eventTime":1761214759404i64},
     "event":{
      "sender":{"senderId":"7756242","senderType":"user","senderUserLevel":"owner","senderNickname":"小学不在这里哦","senderAvatarUrl":"https://chat-storage1.jwznb.com/a.jpg"},
      "chat":{"chatId":"307149245","chatType":"group"},
      "message":{"msgId":"930a7bad5d8144c5b25bc161031bb82b","parentId":"","sendTime":1761214759381i64,
       "chatId":"307149245","chatType":"group","contentType":"text",
       "content":{"text":"这是一条普通消息","menu":{"":"北京"}},
       "instructionId":0,"instructionName":"","commandId":0,"commandName":""}}});
    let Event::MessageNormal(event) = round_trip(sample) else {
        panic!()
    };
    assert_eq!(
        event.message.content.text.as_deref(),
        Some("这是一条普通消息")
    );
    assert_eq!(event.message.content.extra["menu"], json!({"":"北京"}));
}

#[test]
fn a_message_event_without_an_avatar_reads_and_gains_an_empty_one() {
    // The Oct-2025 doc samples lack senderAvatarUrl; nonebot 0.1.6 requires it, so cloudlake
    // always writes it.
    let sample = json!({"version":"1.0","header":{"eventId":"e","eventType":"message.receive.normal","eventTime":1},
      "event":{"sender":{"senderId":"1","senderType":"user","senderUserLevel":"member","senderNickname":"n"},
       "chat":{"chatId":"37090343","chatType":"bot"},
       "message":{"msgId":"m","parentId":"","sendTime":1,"chatId":"37090343","chatType":"bot","contentType":"text",
        "content":{"text":"hi"},"instructionId":0,"instructionName":"","commandId":0,"commandName":""}}});
    let envelope: EventEnvelope = serde_json::from_value(sample).unwrap();
    let written =
        serde_json::to_value(EventEnvelope::new("e".into(), 1, &envelope.typed())).unwrap();
    assert_eq!(written["event"]["sender"]["senderAvatarUrl"], "");
}

#[test]
fn instruction_form_sample_round_trips() {
    let sample = json!({"version":"1.0","header":{"eventId":"a","eventType":"message.receive.instruction","eventTime":1761214759404i64},
      "event":{"sender":{"senderId":"7756242","senderType":"user","senderUserLevel":"owner","senderNickname":"x","senderAvatarUrl":""},
       "chat":{"chatId":"37090343","chatType":"bot"},
       "message":{"msgId":"b","parentId":"","sendTime":1761214759381i64,"chatId":"37090343","chatType":"bot","contentType":"form",
        "content":{"formJson":{"loktny":{"id":"loktny","type":"input","label":"这是自定义输入指令的标签","value":"默认内容"}},"menu":{}},
        "instructionId":2105,"instructionName":"这是自定义输入指令","commandId":2105,"commandName":"这是自定义输入指令"}}});
    let Event::MessageInstruction(event) = round_trip(sample) else {
        panic!()
    };
    assert_eq!(event.message.command_id, 2105);
}

#[test]
fn follow_join_button_menu_and_setting_samples_round_trip() {
    let followed = json!({"version":"1.0","header":{"eventId":"8e3c15c090894cedb5df2032daf6839f","eventType":"bot.followed","eventTime":1761936136441i64},
      "event":{"time":1761936136291i64,"chatId":"37090343","chatType":"bot","userId":"4827368","nickname":"小小学？","avatarUrl":"https://chat-storage1.jwznb.com/a.jpg"}});
    assert!(matches!(round_trip(followed), Event::BotFollowed(_)));

    let join = json!({"version":"1.0","header":{"eventId":"87d128d3404048ada4e1004e4998f495","eventType":"group.join","eventTime":1761936093582i64},
      "event":{"time":1761936093347i64,"chatId":"307149245","chatType":"group","userId":"4827368","nickname":"小小学？","avatarUrl":"https://x"}});
    assert!(matches!(round_trip(join), Event::GroupJoin(_)));

    let button = json!({"version":"1.0","header":{"eventId":"f6e70610f8934d56afc31185b5aed6fa","eventType":"button.report.inline","eventTime":1761936422152i64},
      "event":{"time":1761936422147i64,"msgId":"a412dd8074c0467f99c3f8f411af269a","recvId":"307149245","recvType":"group","userId":"4827368","value":"action按钮"}});
    let Event::ButtonReport(click) = round_trip(button) else {
        panic!()
    };
    assert_eq!(click.value, "action按钮");

    let menu = json!({"version":"1.0","header":{"eventId":"2c3c14181f0a4e59aef0308b272df071","eventType":"bot.shortcut.menu","eventTime":1761936125985i64},
      "event":{"botId":"37090343","menuId":"MNM1L2YC","menuType":1,"menuAction":1,"chatId":"307149245","chatType":"group",
       "senderType":"user","senderId":"4827368","sendTime":1761936125}});
    assert!(matches!(round_trip(menu), Event::ShortcutMenu(_)));

    let setting = json!({"version":"1.0","header":{"eventId":"1d66a0c0132e4519a4063276485d24bd","eventType":"bot.setting","eventTime":1752471938486i64},
      "event":{"time":1752471938483i64,"chatId":"30535459","chatType":"bot","groupId":"635409929","groupName":"ErisPulse",
       "avatarUrl":"https://chat-img.jwznb.com/cd0e.jpg",
       "settingJson":"{\"lokola\":{\"id\":\"lokola\",\"type\":\"radio\",\"label\":null,\"selectIndex\":-1,\"selectValue\":\"\"}}"}});
    assert!(matches!(round_trip(setting), Event::BotSetting(_)));
}

#[test]
fn an_unknown_event_type_is_kept_whole() {
    let raw = json!({"anything": [1, 2, 3]});
    let envelope: EventEnvelope = serde_json::from_value(json!({"version":"1.0",
        "header":{"eventId":"x","eventTime":1,"eventType":"future.event"},"event":raw}))
    .unwrap();
    assert_eq!(
        envelope.typed(),
        Event::Unknown {
            event_type: "future.event".into(),
            raw: raw.clone()
        }
    );
    // A known type whose payload does not fit is kept whole too, never an error.
    let odd: EventEnvelope = serde_json::from_value(json!({"version":"1.0",
        "header":{"eventId":"x","eventTime":1,"eventType":"bot.followed"},"event":{"time":"soon"}}))
    .unwrap();
    assert!(matches!(odd.typed(), Event::Unknown { .. }));
}

/// cloudlake's extension `message.reaction` (wire §7.7c): typed, and written back field for
/// field.
#[test]
fn the_message_reaction_extension_round_trips() {
    let typed = round_trip(json!({"version": "1.0",
        "header": {"eventId": "0a1b2c3d4e5f60718293a4b5c6d7e8f9", "eventTime": 1764998400123i64,
                   "eventType": "message.reaction"},
        "event": {"time": 1764998400122i64, "msgId": "01a249c066ca713990bb152b8991a30f",
                  "chatId": "307149245", "chatType": "group", "userId": "7756242",
                  "nickname": "Alice", "emoji": "👍", "action": "added"}}));
    let Event::MessageReaction(event) = typed else {
        panic!("{typed:?}")
    };
    assert_eq!(
        (event.emoji.as_str(), event.action.as_str()),
        ("👍", "added")
    );
    assert!(cloudlake_protocol::EXTENSION_EVENT_TYPES.contains(&"message.reaction"));
}
