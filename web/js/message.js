// One message as an element. Text, markdown and html come as the server's sanitized `html`,
// the only HTML ever inserted; everything else goes in as text or as checked URLs.

import { renderCard } from './a2ui.js';
import { h, safeUrl } from './dom.js';
import { buttonRows } from './buttons.js';
import { byteSize, clockTime, fullDate } from './format.js';
import { reactionBar } from './reactions.js';

/** The largest an image is drawn each way (px): 22rem, as `.msg-image` in app.css. */
const IMAGE_BOX = 352;

/** The image's size scaled down to fit IMAGE_BOX, or {} when its size is unknown. */
function fitted(width, height) {
  if (!(width > 0 && height > 0)) return {};
  const scale = Math.min(1, IMAGE_BOX / width, IMAGE_BOX / height);
  return { width: Math.round(width * scale), height: Math.round(height * scale) };
}

function media(content) {
  const parts = [];
  const image = safeUrl(content.imageUrl);
  if (image) {
    // The drawn size, from the stored one, reserves the space before the image loads (no
    // jump) and keeps its proportions: CSS alone either left the full size to a narrower
    // max-height (empty bands) or lost the reservation.
    const { width, height } = fitted(content.imageWidth, content.imageHeight);
    // A button, so that the keyboard opens it in the lightbox too (main.js listens for clicks).
    parts.push(h('button', { type: 'button', class: 'msg-image-open', title: 'View full size' },
      h('img', { class: 'msg-image', src: image, alt: content.imageName || 'image', loading: 'lazy', width, height })));
  } else if (content.imageKey) {
    parts.push(h('span', { class: 'placeholder', text: '[image]' }));
  }
  const video = safeUrl(content.videoUrl);
  if (video) {
    parts.push(h('video', { class: 'msg-video', src: video, controls: true, preload: 'metadata' }));
  } else if (content.videoKey) {
    parts.push(h('span', { class: 'placeholder', text: '[video]' }));
  }
  const file = safeUrl(content.fileUrl);
  if (file) {
    const size = content.fileSize ? ` (${byteSize(content.fileSize)})` : '';
    parts.push(h('a', {
      class: 'msg-file', href: file, target: '_blank', rel: 'noopener noreferrer', download: content.fileName || true,
      text: `📎 ${content.fileName || 'file'}${size}`,
    }));
  } else if (content.fileKey) {
    parts.push(h('span', { class: 'placeholder', text: `[file ${content.fileName ?? ''}]` }));
  }
  return parts;
}

function body(msg) {
  if (msg.recalled) return h('div', { class: 'msg-body recalled', text: 'This message was recalled.' });
  const el = h('div', { class: `msg-body type-${msg.contentType}` });
  // A bot's A2UI card is drawn as a card; one that does not parse shows as its text.
  const card = msg.contentType === 'a2ui' && msg.senderType === 'bot' ? renderCard(msg.msgId, msg.content?.text) : null;
  if (card) {
    el.append(card);
  } else if (typeof msg.html === 'string') {
    el.innerHTML = msg.html; // sanitized by the server (crates/server/src/render.rs)
  } else if (msg.content?.text && !['image', 'file', 'video'].includes(msg.contentType)) {
    el.textContent = msg.content.text;
  }
  el.append(...media(msg.content ?? {}));
  if (msg.contentType === 'form') el.append(formFields(msg.content?.formJson));
  return el;
}

/**
 * A filled-in form command (wire §7.4) as a compact list of its fields: label, then what was
 * entered or chosen ("—" for nothing). Text only: every value goes in with textContent.
 */
export function formFields(formJson) {
  const items = Object.values(formJson && typeof formJson === 'object' ? formJson : {});
  return h('dl', { class: 'form-fields' }, ...items.flatMap((f) => [
    h('dt', { text: typeof f?.label === 'string' && f.label ? f.label : String(f?.id ?? '') }),
    h('dd', { text: formValue(f) }),
  ]));
}

/** One `formJson` item's value as a line of text. */
function formValue(f) {
  switch (f?.type) {
    case 'switch': return f.value ? 'On' : 'Off';
    case 'radio': case 'select': return f.selectIndex >= 0 ? String(f.selectValue ?? '') : '—';
    case 'checkbox': {
      // Every option's text, and beside it whether it is chosen (wire §7.4).
      const chosen = Array.isArray(f.selectValues) ? f.selectValues.filter((_, i) => f.selectStatus?.[i] === true) : [];
      return chosen.length ? chosen.join(', ') : '—';
    }
    default: return typeof f?.value === 'string' && f.value !== '' ? f.value : '—';
  }
}

/** Content types a person can edit here: the ones the composer writes. */
const EDITABLE = ['text', 'markdown'];

/**
 * The actions on a message, each a button that asks the message list (main.js listens) by an
 * event named after it: Copy link on every message; Edit and Delete on one's own.
 */
function actions(li, msg, own) {
  const action = (name, text, title) => {
    const el = h('button', { type: 'button', class: `link msg-action msg-${name}`, text, title });
    el.addEventListener('click', () => li.dispatchEvent(new CustomEvent(name, { bubbles: true, detail: msg })));
    return el;
  };
  const list = [action('copy-link', 'Copy link', 'Copy a link that opens the chat at this message')];
  if (own && !msg.recalled) {
    if (EDITABLE.includes(msg.contentType)) list.push(action('edit', 'Edit', 'Edit this message (Enter saves, Esc cancels)'));
    list.push(action('delete', 'Delete', 'Delete (recall) this message for everyone'));
  }
  return list;
}

/** A message element; `streaming` marks a bot message still being written. */
export function messageElement(msg, { streaming = false } = {}) {
  // A tip (someone made administrator, gagged, removed) is a centered gray line, as in Yunhu.
  if (msg.contentType === 'tip') {
    return h('li', {
      class: 'msg tip', 'data-msg-id': msg.msgId, 'data-seq': msg.seq, 'data-time': msg.sendTime,
      title: fullDate(msg.sendTime), text: msg.content?.text ?? '',
    });
  }
  const own = msg.senderType === 'user' && msg.senderId === window.cloudlakeMe;
  const li = h('li', {
    class: `msg${own ? ' own' : ''}${msg.senderType === 'bot' ? ' bot' : ''}${streaming ? ' streaming' : ''}`,
    'data-msg-id': msg.msgId,
    'data-seq': msg.seq,
    // For grouping.js: day lines, and one header over a sender's consecutive messages.
    'data-time': msg.sendTime,
    'data-sender': `${msg.senderType}:${msg.senderId}`,
  });
  const meta = h('div', { class: 'msg-meta' },
    h('span', { class: 'sender', text: msg.senderNickname || msg.senderId }),
    msg.senderType === 'bot' ? h('span', { class: 'tag', text: 'bot' }) : null,
    // The day is on the day line above; the full date and time on hover.
    h('time', { datetime: new Date(msg.sendTime).toISOString(), title: fullDate(msg.sendTime), text: clockTime(msg.sendTime) }),
    msg.editTime && !msg.recalled ? h('span', { class: 'edited', text: 'edited', title: `Edited ${fullDate(msg.editTime)}` }) : null,
    streaming ? h('span', { class: 'edited', text: 'typing…' }) : null,
  );
  // Yunhu's quote line (wire §5.4), above what the reply says.
  const quote = msg.content?.parent && !msg.recalled ? h('blockquote', { class: 'msg-quote', text: msg.content.parent }) : null;
  li.append(meta, ...(quote ? [quote] : []), body(msg));
  if (!msg.recalled && !streaming) {
    const reply = h('button', { type: 'button', class: 'link msg-reply', text: 'Reply', title: 'Quote this message in your answer' });
    // The open chat's composer takes it (main.js listens on the message list).
    reply.addEventListener('click', () => li.dispatchEvent(new CustomEvent('reply', { bubbles: true, detail: msg })));
    // React opens the palette under the message (main.js listens; reactions.js).
    const react = h('button', { type: 'button', class: 'link msg-react', text: 'React', title: 'React with an emoji' });
    react.addEventListener('click', () => li.dispatchEvent(new CustomEvent('react', { bubbles: true, detail: msg })));
    meta.append(reply, react);
  }
  if (!streaming) meta.append(...actions(li, msg, own));
  if (!msg.recalled && !streaming) {
    const rows = buttonRows(msg.msgId, msg.content?.buttons);
    if (rows) li.append(rows);
    // Under the message, last: the chips (hidden while there are none; reactions.js).
    li.append(reactionBar(msg.msgId, msg.reactions ?? []));
  }
  return li;
}

/** One line of preview text for the chat list. */
export function preview(msg) {
  if (!msg) return '';
  if (msg.recalled) return 'Message recalled';
  let text = msg.content?.text;
  if (msg.contentType === 'tip') return text ?? '';
  if (msg.contentType === 'a2ui') return `${msg.senderNickname}: [card]`;
  // A plain-text glimpse (it goes in with textContent): no tags, no markdown marks.
  if (text && msg.contentType === 'html') text = text.replace(/<(script|style)[\s\S]*?<\/\1>/gi, '').replace(/<[^>]*>/g, ' ');
  if (text && msg.contentType === 'markdown') text = text.replace(/[#*_`>|~]+/g, '').replace(/\[([^\]]*)\]\([^)]*\)/g, '$1');
  if (text) return `${msg.senderNickname}: ${text.replace(/\u200b/g, '').replace(/\s+/g, ' ').trim().slice(0, 80)}`;
  return `${msg.senderNickname}: [${msg.contentType}]`;
}
