// One message in the pane: avatar, author, time, text or blocks, and what Slack shows around it
// (Only visible to you, edited, pinned, reactions, thread replies) plus its hover menu.

import { el } from "./dom.js";
import { renderMrkdwn } from "./mrkdwn.js";
import { renderBlocks } from "./blocks.js";
import { emojiFor } from "./emoji.js";

// Messages Slack writes about the channel itself (joins, topic changes): shown quieter.
const SYSTEM_SUBTYPES = new Set([
  "channel_join",
  "channel_leave",
  "channel_topic",
  "channel_purpose",
  "channel_name",
  "channel_archive",
  "channel_unarchive",
  "group_join",
  "bot_add",
  "pinned_item",
]);

const AVATAR_COLOURS = [
  "#1264a3",
  "#2bac76",
  "#e01e5a",
  "#ecb22e",
  "#4a154b",
  "#0b4c8c",
  "#9f3a1f",
  "#1d7c7c",
];

export function avatarColour(key) {
  let hash = 0;
  for (const char of String(key)) hash = (hash * 31 + char.codePointAt(0)) >>> 0;
  return AVATAR_COLOURS[hash % AVATAR_COLOURS.length];
}

export function initials(name) {
  const words = String(name)
    .split(/[\s._-]+/)
    .filter(Boolean);
  const letters = words.length > 1 ? words[0][0] + words[1][0] : (words[0] ?? "?").slice(0, 2);
  return letters.toUpperCase();
}

export function formatTime(ts) {
  return new Date(Number(ts) * 1000).toLocaleTimeString("en-US", { hour: "numeric", minute: "2-digit" });
}

/** Whether `message` is pinned in `channelId` (the field is a flag or a list of channels). */
export function isPinned(message, channelId) {
  const pinned = message.pinned ?? message.pinned_to;
  return Array.isArray(pinned) ? pinned.includes(channelId) : Boolean(pinned);
}

/**
 * The element for `message`. `view` gives: `ctx` (names, users, channels), `user` (acting user id),
 * `channelId`, `replies` (count), and the callbacks `onAction(message, fields)`, `onPin(message)`,
 * `onUnpin(message)`, `onReact(message, name)`, `onThread(message)`.
 */
export function renderMessage(message, view) {
  const { ctx } = view;
  const author = ctx.author(message);
  const pinned = isPinned(message, view.channelId);
  const hasBlocks = Array.isArray(message.blocks) && message.blocks.length > 0;
  const body = hasBlocks
    ? renderBlocks(message.blocks, ctx, { onAction: (fields) => view.onAction(message, fields) })
    : el("div", { class: "message-text md" }, renderMrkdwn(message.text ?? "", ctx));

  const classes = ["message"];
  if (SYSTEM_SUBTYPES.has(message.subtype)) classes.push("system");
  if (message.ephemeral) classes.push("ephemeral");
  if (pinned) classes.push("pinned");
  return el(
    "div",
    { class: classes.join(" "), dataset: { ts: message.ts } },
    el(
      "div",
      { class: "avatar", style: `background:${avatarColour(author.key)}`, "aria-hidden": "true" },
      author.isBot ? "⚡" : initials(author.name),
    ),
    el(
      "div",
      { class: "message-main" },
      pinned ? el("div", { class: "pinned-label" }, "📌 Pinned") : null,
      message.ephemeral ? el("div", { class: "ephemeral-label" }, "👁 Only visible to you") : null,
      el(
        "div",
        { class: "message-meta" },
        el("span", { class: "author" }, author.name),
        author.isBot ? el("span", { class: "badge-app" }, "APP") : null,
        el(
          "time",
          {
            class: "message-time",
            datetime: new Date(Number(message.ts) * 1000).toISOString(),
            title: message.ts,
          },
          formatTime(message.ts),
        ),
        message.edited ? el("span", { class: "edited" }, "(edited)") : null,
      ),
      el("div", { class: "message-body" }, body),
      renderReactions(message, view),
      view.replies
        ? el(
            "button",
            { type: "button", class: "replies-link", onClick: () => view.onThread(message) },
            `${view.replies} ${view.replies === 1 ? "reply" : "replies"}`,
          )
        : null,
    ),
    message.ephemeral ? null : renderHoverMenu(message, pinned, view),
  );
}

function renderReactions(message, view) {
  const reactions = message.reactions ?? [];
  if (!reactions.length) return null;
  return el(
    "div",
    { class: "reactions" },
    reactions.map((reaction) => {
      const users = reaction.users ?? [];
      const mine = users.includes(view.user);
      const who = users.map((id) => view.ctx.userName(id) ?? id).join(", ");
      return el(
        "button",
        {
          type: "button",
          class: `reaction${mine ? " mine" : ""}`,
          title: `${who} reacted with :${reaction.name}:`,
          dataset: { name: reaction.name },
          "aria-pressed": mine ? "true" : "false",
          onClick: () => view.onReact(message, reaction.name),
        },
        el("span", { class: "emoji" }, emojiFor(reaction.name) ?? `:${reaction.name}:`),
        el("span", { class: "reaction-count" }, String(reaction.count ?? users.length)),
      );
    }),
  );
}

function renderHoverMenu(message, pinned, view) {
  const isReply = message.thread_ts && message.thread_ts !== message.ts;
  return el(
    "div",
    { class: "message-actions", role: "toolbar", "aria-label": "Message actions" },
    el(
      "button",
      {
        type: "button",
        class: "hover-action",
        title: "React with ✅",
        "aria-label": "React",
        onClick: () => view.onReact(message, "white_check_mark"),
      },
      "✅",
    ),
    isReply
      ? null
      : el(
          "button",
          {
            type: "button",
            class: "hover-action",
            title: "Reply in thread",
            "aria-label": "Reply in thread",
            onClick: () => view.onThread(message),
          },
          "💬",
        ),
    el(
      "button",
      {
        type: "button",
        class: "hover-action hover-pin",
        onClick: () => (pinned ? view.onUnpin(message) : view.onPin(message)),
      },
      pinned ? "Unpin" : "Pin",
    ),
  );
}
