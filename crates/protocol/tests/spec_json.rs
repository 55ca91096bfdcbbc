//! The protocol crate against the exact JSON of Yunhu's documented samples (wire §5, §6, §9) and
//! of the original batch_send page.

#![allow(clippy::unwrap_used)] // a test that unwraps fails loudly, which is the point

use cloudlake_protocol::{
    ActionType, ApiError, BatchSendData, BatchSendRequest, Button, Code, Content, ContentType,
    EditRequest, Envelope, MessageInfo, MessagesData, MessagesQuery, RecallRequest, RecvType,
    SendData, SendRequest,
};
use serde_json::{Value, json};

/// The request body of the original batch_send page (shared/spec/000_eeb622d987cf4838.txt),
/// byte for byte.
const PAGE_REQUEST: &str = include_str!("fixtures/batch_send_page_request.json");

/// The response of the original batch_send page.
const PAGE_RESPONSE: &str = r#"{
    "code": 1,
    "data": {
        "successCount": 2,
        "successList": [
            {
                "msgId": "0a6b658c079e45d19216b14cd69ba7cc",
                "recvId": "307149245",
                "recvType": "group"
            },
            {
                "msgId": "4c13fee28dfd4a9f8ab886bfe6ceb1f9",
                "recvId": "665344168",
                "recvType": "group"
            }
        ]
    },
    "msg": "success"
}"#;

fn err(result: Result<impl std::fmt::Debug, ApiError>) -> ApiError {
    result.expect_err("expected an error")
}

#[test]
fn page_request_parses_with_its_two_dimensional_buttons() {
    let req = BatchSendRequest::parse(PAGE_REQUEST.as_bytes()).unwrap();
    assert_eq!(req.recv_ids, ["307149245", "665344168"]);
    assert_eq!(req.recv_type, RecvType::Group);
    assert_eq!(req.message.content_type, ContentType::Text);
    assert_eq!(req.message.parent_id, None);
    let content = serde_json::to_value(&req.message.content).unwrap();
    assert_eq!(
        content,
        json!({"text": "这里是消息内容", "buttons": [[
            {"text": "复制", "actionType": 2, "value": "xxxx"},
            {"text": "点击跳转", "actionType": 1, "url": "http://www.baidu.com"}
        ]]})
    );
}

#[test]
fn page_request_round_trips_through_the_typed_request() {
    let req = BatchSendRequest::parse(PAGE_REQUEST.as_bytes()).unwrap();
    let sent = serde_json::to_value(&req).unwrap();
    let original: Value = serde_json::from_str(PAGE_REQUEST).unwrap();
    assert_eq!(sent, original);
}

#[test]
fn page_response_is_what_the_typed_reply_serializes_to() {
    let reply = Envelope::success(BatchSendData {
        success_count: 2,
        success_list: vec![
            MessageInfo {
                msg_id: "0a6b658c079e45d19216b14cd69ba7cc".into(),
                recv_id: "307149245".into(),
                recv_type: RecvType::Group,
            },
            MessageInfo {
                msg_id: "4c13fee28dfd4a9f8ab886bfe6ceb1f9".into(),
                recv_id: "665344168".into(),
                recv_type: RecvType::Group,
            },
        ],
    });
    let expected: Value = serde_json::from_str(PAGE_RESPONSE).unwrap();
    assert_eq!(serde_json::to_value(&reply).unwrap(), expected);
    let parsed: Envelope<BatchSendData> = serde_json::from_str(PAGE_RESPONSE).unwrap();
    assert_eq!(parsed, reply);
}

#[test]
fn success_count_as_a_string_is_read_like_the_java_sdk_types_it() {
    let parsed: BatchSendData =
        serde_json::from_value(json!({"successCount": "3", "successList": []})).unwrap();
    assert_eq!(parsed.success_count, 3);
}

#[test]
fn send_example_of_spec_6_1_parses_and_replies_in_its_shape() {
    let body = r#"{"recvId":"307149245","recvType":"group","contentType":"text",
      "content":{"text":"这里是消息内容","buttons":[[
        {"text":"复制","actionType":2,"value":"xxxx"},
        {"text":"点击跳转","actionType":1,"url":"http://www.baidu.com"}]]},
      "parentId":"a54ec67c089044dfa4241b9dd0a57f8d"}"#;
    let req = SendRequest::parse(body.as_bytes()).unwrap();
    assert_eq!(req.recv_id, "307149245");
    assert_eq!(
        req.message.parent_id.as_deref(),
        Some("a54ec67c089044dfa4241b9dd0a57f8d")
    );
    assert_eq!(req.message.content.buttons[0].len(), 2);

    let reply = Envelope::success(SendData {
        message_info: MessageInfo {
            msg_id: "a54ec67c089044dfa4241b9dd0a57f8d".into(),
            recv_id: "307149245".into(),
            recv_type: RecvType::Group,
        },
    });
    assert_eq!(
        serde_json::to_value(&reply).unwrap(),
        json!({"code":1,"data":{"messageInfo":{"msgId":"a54ec67c089044dfa4241b9dd0a57f8d",
            "recvId":"307149245","recvType":"group"}},"msg":"success"})
    );
}

#[test]
fn flat_buttons_become_one_button_per_row() {
    let body = json!({"recvId":"1","recvType":"user","contentType":"text",
        "content":{"text":"hi","buttons":[
            {"text":"a","actionType":3,"value":"x"},
            {"text":"b","actionType":"1","url":"https://example.com"}]}});
    let req = SendRequest::parse(body.to_string().as_bytes()).unwrap();
    assert_eq!(
        req.message.content.buttons,
        vec![
            vec![Button::report("a", "x")],
            vec![Button::open_url("b", "https://example.com")]
        ]
    );
}

#[test]
fn null_and_empty_buttons_mean_none_and_empty_url_and_value_are_fine() {
    for buttons in [json!(null), json!([]), json!([[]])] {
        let body = json!({"recvId":"1","recvType":"user","contentType":"text",
            "content":{"text":"hi","buttons":buttons}});
        let req = SendRequest::parse(body.to_string().as_bytes()).unwrap();
        assert!(req.message.content.buttons.is_empty(), "{buttons}");
        assert_eq!(
            serde_json::to_value(&req.message.content).unwrap(),
            json!({"text":"hi"})
        );
    }
    // go-sdk always serialises url and value, as "" when unused.
    let body = json!({"recvId":"1","recvType":"user","contentType":"text",
        "content":{"text":"hi","buttons":[[{"text":"c","actionType":2,"value":"v","url":""}]]}});
    let req = SendRequest::parse(body.to_string().as_bytes()).unwrap();
    assert_eq!(
        req.message.content.buttons,
        vec![vec![Button::copy("c", "v")]]
    );
}

/// Koishi's link button without an href: `actionType` 1 with an empty or absent `url` is kept
/// as sent (wire §12 item 6: `url` may be `""`).
#[test]
fn a_link_button_without_a_link_is_kept() {
    for button in [
        json!({"text":"a","actionType":1,"url":""}),
        json!({"text":"a","actionType":1}),
    ] {
        let body = json!({"recvId":"1","recvType":"user","contentType":"text",
            "content":{"text":"hi","buttons":[[button]]}});
        let req = SendRequest::parse(body.to_string().as_bytes()).unwrap();
        let kept = serde_json::to_value(&req.message.content.buttons).unwrap();
        assert_eq!(kept, json!([[{"text":"a","actionType":1}]]));
    }
}

#[test]
fn bad_buttons_are_refused_with_a_clear_error() {
    for (buttons, needle) in [
        (json!([{"text":"a","actionType":9}]), "actionType"),
        (json!([{"text":"a"}]), "actionType"),
        (json!("nope"), "buttons"),
        (json!([[1]]), "按钮"),
        (json!([{"text":{"x":1},"actionType":3}]), "text"),
    ] {
        let body = json!({"recvId":"1","recvType":"user","contentType":"text",
            "content":{"text":"hi","buttons":buttons}});
        let e = err(SendRequest::parse(body.to_string().as_bytes()));
        assert_eq!(e.code, Code::INVALID_PARAM, "{buttons}");
        assert!(e.msg.contains(needle), "{buttons}: {}", e.msg);
    }
}

#[test]
fn at_is_a_list_in_order_with_duplicates_or_a_comma_joined_string() {
    let body = r#"{"recvId":"307149245","recvType":"group","contentType":"text",
     "content":{"text":"@小学不在这里哦\u200b 你好啊！我at你了","at":["7756242","42","7756242"]}}"#;
    let req = SendRequest::parse(body.as_bytes()).unwrap();
    assert_eq!(req.message.content.at, ["7756242", "42", "7756242"]);
    assert!(req.message.content.text.unwrap().contains('\u{200b}'));

    let body = json!({"recvId":"1","recvType":"group","contentType":"text",
        "content":{"text":"x","at":"123, 456"}});
    let req = SendRequest::parse(body.to_string().as_bytes()).unwrap();
    assert_eq!(req.message.content.at, ["123", "456"]);

    // `all` (an @all, as ErisPulse and Koishi can send it) is an entry like any other.
    let body = json!({"recvId":"1","recvType":"group","contentType":"text",
        "content":{"text":"@全体成员\u{200b} 开会","at":["all"]}});
    let req = SendRequest::parse(body.to_string().as_bytes()).unwrap();
    assert_eq!(req.message.content.at, ["all"]);

    // nonebot always sends "at": [].
    let body = json!({"recvId":"1","recvType":"group","contentType":"text",
        "content":{"text":"x","at":[]}});
    let req = SendRequest::parse(body.to_string().as_bytes()).unwrap();
    assert_eq!(
        serde_json::to_value(&req.message.content).unwrap(),
        json!({"text":"x"})
    );
}

#[test]
fn parent_id_null_empty_absent_mean_no_quote_and_junk_is_left_for_the_store() {
    for parent in [json!(null), json!(""), json!("  "), json!(false), json!(12)] {
        let body = json!({"recvId":"1","recvType":"user","contentType":"text",
            "content":{"text":"x"},"parentId":parent});
        let req = SendRequest::parse(body.to_string().as_bytes()).unwrap();
        assert_eq!(req.message.parent_id, None, "{parent}");
    }
    // nonebot's bug sends the string "False"; it is accepted (the store finds no such message
    // and degrades it to no quote).
    let body = json!({"recvId":"1","recvType":"user","contentType":"text",
        "content":{"text":"x"},"parentId":"False"});
    assert!(SendRequest::parse(body.to_string().as_bytes()).is_ok());
}

#[test]
fn nonebot_send_body_with_extra_keys_is_accepted() {
    // Captured from nonebot (wire Appendix A).
    let body = r#"{"recvId":"307149245","recvType":"group","content":{"at":[],"text":"echo:hello group"},"contentType":"text","parentId":"False"}"#;
    let req = SendRequest::parse(body.as_bytes()).unwrap();
    assert_eq!(req.message.content, Content::text("echo:hello group"));

    let image = r#"{"recvId":"1","recvType":"user","contentType":"image",
        "content":{"at":[],"url":"https://chat-img.jwznb.com/Fkey.png","raw":null,"imageKey":"Fkey","text":""}}"#;
    let req = SendRequest::parse(image.as_bytes()).unwrap();
    assert_eq!(
        serde_json::to_value(&req.message.content).unwrap(),
        json!({"imageKey":"Fkey"})
    );
}

#[test]
fn legacy_image_and_file_shapes_are_accepted() {
    let body = json!({"recvId":"1","recvType":"user","contentType":"image",
        "content":{"imageUrl":"https://example.com/a.png"}});
    let req = SendRequest::parse(body.to_string().as_bytes()).unwrap();
    assert_eq!(
        req.message.content.image_url.as_deref(),
        Some("https://example.com/a.png")
    );

    let body = json!({"recvId":"1","recvType":"user","contentType":"file",
        "content":{"fileName":"a.txt","fileUrl":"https://example.com/a.txt"}});
    let req = SendRequest::parse(body.to_string().as_bytes()).unwrap();
    assert_eq!(
        serde_json::to_value(&req.message.content).unwrap(),
        json!({"fileName":"a.txt","fileUrl":"https://example.com/a.txt"})
    );
}

#[test]
fn every_content_type_needs_its_own_field() {
    for (ct, content) in [
        ("text", json!({"text":""})),
        ("markdown", json!({"buttons":[]})),
        ("html", json!({})),
        ("image", json!({"text":"x"})),
        ("file", json!({"fileName":"only-a-name.txt"})),
        ("video", json!({"imageKey":"k"})),
    ] {
        let body = json!({"recvId":"1","recvType":"user","contentType":ct,"content":content});
        let e = err(SendRequest::parse(body.to_string().as_bytes()));
        assert_eq!(e, ApiError::content_empty(), "{ct}");
    }
    for (ct, content) in [
        ("markdown", json!({"text":"# t"})),
        ("html", json!({"text":"<b>x</b>"})),
        ("image", json!({"imageKey":"k"})),
        ("file", json!({"fileKey":"k"})),
        ("video", json!({"videoKey":"k"})),
        (
            "a2ui",
            json!({"text":r#"{"updateComponents":{"surfaceId":"s","components":[{"id":"root","component":"Text","text":"hi"}]}}"#}),
        ),
    ] {
        let body = json!({"recvId":"1","recvType":"user","contentType":ct,"content":content});
        assert!(
            SendRequest::parse(body.to_string().as_bytes()).is_ok(),
            "{ct}"
        );
    }
}

/// An a2ui message whose text is not an A2UI document is refused with the reason (wire §5.1).
#[test]
fn an_a2ui_text_that_is_no_card_is_refused() {
    for text in [
        "{}",
        "hello",
        r#"{"updateComponents":{"surfaceId":"s","components":[]}}"#,
    ] {
        let body =
            json!({"recvId":"1","recvType":"user","contentType":"a2ui","content":{"text":text}});
        let e = err(SendRequest::parse(body.to_string().as_bytes()));
        assert_eq!(e.code.0, 1002, "{text}");
        assert!(
            e.msg.starts_with("a2ui 内容不是有效的 A2UI 文档："),
            "{text} → {}",
            e.msg
        );
    }
}

#[test]
fn request_level_errors_carry_the_spec_texts() {
    let cases = [
        (
            json!({"recvId":"1","recvType":"bot","contentType":"text","content":{"text":"x"}}),
            (1002, "recvType取值错误，取值仅支持group、user"),
        ),
        (
            json!({"recvId":"1","contentType":"text","content":{"text":"x"}}),
            (1002, "recvType取值错误，取值仅支持group、user"),
        ),
        (
            json!({"recvId":"1","recvType":"user","contentType":"audio","content":{"text":"x"}}),
            (1002, "contentType取值错误，请翻看文档"),
        ),
        (
            json!({"recvId":"1","recvType":"user","contentType":"text"}),
            (1002, "消息内容不能为空"),
        ),
        (
            json!({"recvId":"1","recvType":"user","contentType":"text","content":null}),
            (1002, "消息内容不能为空"),
        ),
        (
            json!({"recvId":"","recvType":"user","contentType":"text","content":{"text":"x"}}),
            (1002, "recvId值错误，值不能为空"),
        ),
        (
            json!({"recvId":["1"],"recvType":"user","contentType":"text","content":{"text":"x"}}),
            (1002, "recvId类型错误，应为字符串"),
        ),
    ];
    for (body, (code, msg)) in cases {
        let e = err(SendRequest::parse(body.to_string().as_bytes()));
        assert_eq!((e.code.0, e.msg.as_str()), (code, msg), "{body}");
    }
}

#[test]
fn a_body_that_is_not_json_is_echoed_briefly() {
    let e = err(SendRequest::parse(b"recvId=1&recvType=user"));
    assert_eq!(e.code, Code::INVALID_PARAM);
    assert_eq!(
        e.msg,
        "请求参数应为json格式，Body内容为: recvId=1&recvType=user"
    );
    let huge = vec![b'x'; 10_000];
    let e = err(SendRequest::parse(&huge));
    assert!(e.msg.chars().count() < 300, "{}", e.msg);
    let e = err(SendRequest::parse(b"[1,2]"));
    assert_eq!(e.code, Code::INVALID_PARAM);
    // Deep nesting stops at serde_json's recursion limit instead of overflowing the stack.
    let deep = "[".repeat(100_000);
    assert_eq!(
        err(SendRequest::parse(deep.as_bytes())).code,
        Code::INVALID_PARAM
    );
}

#[test]
fn batch_recipients_are_deduplicated_capped_and_may_come_as_user_ids() {
    let ids: Vec<String> = (0..200).map(|i| i.to_string()).collect();
    let mut with_dups = ids.clone();
    with_dups.truncate(150);
    with_dups.extend(ids[..50].iter().cloned());
    let body =
        json!({"recvIds":with_dups,"recvType":"user","contentType":"text","content":{"text":"x"}});
    let req = BatchSendRequest::parse(body.to_string().as_bytes()).unwrap();
    assert_eq!(req.recv_ids.len(), 150);
    assert_eq!(req.recv_ids[..3], ["0", "1", "2"]);

    let mut too_many = ids.clone();
    too_many.push("200".into());
    let body =
        json!({"recvIds":too_many,"recvType":"user","contentType":"text","content":{"text":"x"}});
    let e = err(BatchSendRequest::parse(body.to_string().as_bytes()));
    assert_eq!(e.code, Code::INVALID_PARAM);
    assert!(e.msg.contains("200"), "{}", e.msg);

    // eris posts userIds, with "recvId": null beside it; numbers are IDs too.
    let body = json!({"userIds":["7",8],"recvId":null,"recvType":"user","contentType":"text","content":{"text":"x"}});
    let req = BatchSendRequest::parse(body.to_string().as_bytes()).unwrap();
    assert_eq!(req.recv_ids, ["7", "8"]);

    for ids in [json!([]), json!(null), json!("1,2"), json!([null])] {
        let body =
            json!({"recvIds":ids,"recvType":"user","contentType":"text","content":{"text":"x"}});
        let e = err(BatchSendRequest::parse(body.to_string().as_bytes()));
        assert_eq!(e.code, Code::INVALID_PARAM, "{ids}");
    }
}

#[test]
fn edit_and_recall_bodies_of_the_spec_parse() {
    let edit = r#"{"msgId":"a54ec67c089044dfa4241b9dd0a57f8d","recvId":"307149245","recvType":"group",
        "contentType":"text","content":{"text":"这里是消息内容"}}"#;
    let req = EditRequest::parse(edit.as_bytes()).unwrap();
    assert_eq!(req.msg_id, "a54ec67c089044dfa4241b9dd0a57f8d");
    assert_eq!(req.message.content, Content::text("这里是消息内容"));

    let recall =
        r#"{"msgId":"a54ec67c089044dfa4241b9dd0a57f8d","chatId":"307149245","chatType":"group"}"#;
    let req = RecallRequest::parse(recall.as_bytes()).unwrap();
    assert_eq!(req.chat_type, RecvType::Group);
    assert_eq!(req.chat_id, "307149245");

    let e = err(RecallRequest::parse(
        br#"{"msgId":"m","chatId":"1","chatType":"bot"}"#,
    ));
    assert_eq!(e.msg, "chatType取值错误，取值仅支持group、user");
    let e = err(RecallRequest::parse(br#"{"chatId":"1","chatType":"user"}"#));
    assert_eq!(e.msg, "msgId值错误，值不能为空");
}

#[test]
fn messages_query_reads_hyphenated_keys_and_checks_them() {
    let q = MessagesQuery::parse([
        ("chat-id", "307149245"),
        ("chat-type", "group"),
        ("message-id", "57815794deeb4166958d9774401b47f0"),
        ("before", "1"),
        ("token", "secret"),
    ])
    .unwrap();
    assert_eq!(q.chat_type, RecvType::Group);
    assert_eq!(q.before, 1);
    assert_eq!(q.after, 0);
    assert_eq!(
        q.message_id.as_deref(),
        Some("57815794deeb4166958d9774401b47f0")
    );

    let e = err(MessagesQuery::parse([
        ("chat-id", "1"),
        ("chat-type", "bot"),
    ]));
    assert_eq!(e.msg, "chat-type取值错误，取值仅支持group、user");
    let e = err(MessagesQuery::parse([("chat-type", "user")]));
    assert_eq!(e.msg, "chat-id值错误，值不能为空");
    let e = err(MessagesQuery::parse([
        ("chat-id", "1"),
        ("chat-type", "user"),
        ("before", "-3"),
    ]));
    assert_eq!(e.code, Code::INVALID_PARAM);
    let q = MessagesQuery::parse([
        ("chat-id", "1"),
        ("chat-type", "user"),
        ("after", "99999999999"),
    ])
    .unwrap();
    assert_eq!(q.after, cloudlake_protocol::MAX_HISTORY_PAGE);
}

#[test]
fn messages_example_response_of_spec_6_6_round_trips() {
    let example = json!({"code":1,"data":{"list":[
      {"msgId":"57815794deeb4166958d9774401b47f0","parentId":"","senderId":"86297657","senderType":"bot",
       "senderNickname":"yunhu test bot","contentType":"text",
       "content":{"text":"这里是一些示例使用的文字内容。","tip":"本内容由AI生成，仅供参考"},
       "sendTime":1761755075535i64,"commandName":"","commandId":0},
      {"msgId":"0a6b658c079e45d19216b14cd69ba7cc","parentId":"","senderId":"86297657","senderType":"bot",
       "senderNickname":"yunhu test bot","contentType":"text",
       "content":{"buttons":[[{"actionType":2,"text":"复制","value":"xxxx"},{"actionType":1,"text":"点击跳转","url":"http://www.baidu.com"}]],"text":"这里是消息内容"},
       "sendTime":1761754362746i64,"commandName":"","commandId":0}],
     "total":2},"msg":"success"});
    let parsed: Envelope<MessagesData> = serde_json::from_value(example.clone()).unwrap();
    let data = parsed.clone().into_result().unwrap().unwrap();
    assert_eq!(data.total, 2);
    assert_eq!(
        data.list[1].content.buttons[0][1].action_type,
        ActionType::OpenUrl
    );
    assert_eq!(serde_json::to_value(&parsed).unwrap(), example);
}

#[test]
fn bot_not_in_group_text_is_what_adapters_parse() {
    let e = ApiError::bot_not_in_group("不存在的群组ID", "86297657");
    assert_eq!(e.code, Code::BUSINESS);
    assert_eq!(
        e.msg,
        "群(ID:不存在的群组ID)中未添加当前机器人(ID: 86297657)。"
    );
    // koishi: /当前机器人\(ID:\s*(\d+)\)/ — eris: /机器人\(ID:\s*([^)\s]+)\)/
    let tail = e.msg.split("当前机器人(ID:").nth(1).unwrap();
    let id: String = tail
        .trim_start()
        .chars()
        .take_while(char::is_ascii_digit)
        .collect();
    assert_eq!(id, "86297657");
    assert!(tail.trim_start()[id.len()..].starts_with(')'));
}

#[test]
fn error_envelopes_omit_data() {
    let reply: Envelope<()> = Envelope::error(ApiError::token_invalid());
    assert_eq!(
        serde_json::to_value(&reply).unwrap(),
        json!({"code":1003,"msg":"非法token"})
    );
    let recall: Envelope<()> = Envelope::success_empty();
    assert_eq!(
        serde_json::to_value(&recall).unwrap(),
        json!({"code":1,"msg":"success"})
    );
}
