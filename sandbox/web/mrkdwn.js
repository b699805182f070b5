// Slack's mrkdwn turned into DOM nodes: *bold*, _italic_, ~strike~, `code`, ```blocks```, > quotes,
// <links|labels>, <@user> and <#channel> mentions, <!here>, <!date^…|fallback> and :emoji:.
// Everything is built with text nodes; only &amp; &lt; &gt; are entities in mrkdwn, and they are
// decoded into those text nodes.

import { el } from "./dom.js";
import { emojiFor, replaceShortcodes } from "./emoji.js";

// One inline token, leftmost first. Bold, italic and strike need word boundaries around them as in
// Slack (so snake_case_names and 2*3*4 stay as typed).
const INLINE = new RegExp(
  [
    "<(?<angle>[^<>\\n]+)>",
    "`(?<code>[^`\\n]+)`",
    "(?<![\\p{L}\\p{N}_*])\\*(?=\\S)(?<bold>[^*\\n]*?\\S)\\*(?![\\p{L}\\p{N}_*])",
    "(?<![\\p{L}\\p{N}_])_(?=\\S)(?<italic>[^_\\n]*?\\S)_(?![\\p{L}\\p{N}_])",
    "(?<![\\p{L}\\p{N}~])~(?=\\S)(?<strike>[^~\\n]*?\\S)~(?![\\p{L}\\p{N}~])",
    ":(?<emoji>[a-z0-9_+-]+):",
    // Bare addresses (a topic set through the API, say) are linked as Slack's client links them.
    // One stops before a bar or an escaped bracket (Slack sends a typed < or > as &lt; / &gt;)
    // and before closing punctuation.
    "(?<![\\w/])(?<url>https?:\\/\\/(?:(?!&[lg]t;)[^\\s<>|])*(?:(?!&[lg]t;)[^\\s<>|.,;:!?)'\"]))",
  ].join("|"),
  "gu",
);

const SAFE_SCHEMES = /^(https?:|mailto:)/i;
// What Slack puts in <…> after @, # or !: an address with a scheme. Anything else in angle
// brackets (<script>, <b>) was typed, and is shown as typed.
const LINK_TARGET = /^[A-Za-z][A-Za-z0-9+.-]*:[^\s<>|]+$/;

/** Decode the three entities mrkdwn uses. */
export function unescapeEntities(text) {
  return String(text).replace(/&lt;/g, "<").replace(/&gt;/g, ">").replace(/&amp;/g, "&");
}

/**
 * A Block Kit text object (`plain_text` or `mrkdwn`) or a bare string (read as mrkdwn) as nodes.
 * `ctx` resolves ids: `{userName(id), channelName(id), onChannel(id)}`.
 */
export function renderText(text, ctx) {
  if (text === null || text === undefined) return document.createDocumentFragment();
  if (typeof text === "string") return renderMrkdwn(text, ctx);
  if (text.type === "plain_text") {
    const shown = text.emoji === false ? text.text : replaceShortcodes(text.text ?? "");
    return document.createTextNode(shown);
  }
  return renderMrkdwn(text.text ?? "", ctx);
}

/** A plain_text object (or string) as a string, emoji shortcodes replaced. */
export function plainText(text) {
  if (!text) return "";
  if (typeof text === "string") return text;
  return text.emoji === false ? (text.text ?? "") : replaceShortcodes(text.text ?? "");
}

/** mrkdwn text as a DocumentFragment. */
export function renderMrkdwn(text, ctx = {}) {
  const fragment = document.createDocumentFragment();
  const pieces = String(text).split(/```([\s\S]*?)```/);
  pieces.forEach((piece, index) => {
    if (index % 2 === 1) {
      fragment.append(el("pre", { class: "md-pre" }, unescapeEntities(piece.replace(/^\n/, ""))));
      return;
    }
    // The line breaks around a code block are the block's own edges, not blank lines.
    let lines = piece;
    if (index > 0) lines = lines.replace(/^\n/, "");
    if (index < pieces.length - 1) lines = lines.replace(/\n$/, "");
    if (lines) fragment.append(renderLines(lines, ctx));
  });
  return fragment;
}

// Lines starting with ">" (sent as "&gt;" when escaped) are quotes; consecutive ones share a bar.
function renderLines(text, ctx) {
  const fragment = document.createDocumentFragment();
  const lines = text.split("\n");
  let plain = [];
  let quoted = [];
  const flushPlain = () => {
    if (plain.length) fragment.append(renderInline(plain.join("\n"), ctx));
    plain = [];
  };
  const flushQuoted = () => {
    if (quoted.length)
      fragment.append(el("blockquote", { class: "md-quote" }, renderInline(quoted.join("\n"), ctx)));
    quoted = [];
  };
  for (const line of lines) {
    const quote = line.match(/^(?:>|&gt;) ?(.*)$/);
    if (quote) {
      flushPlain(); // the quote is a block of its own: no line break needed before it
      quoted.push(quote[1]);
    } else {
      flushQuoted();
      plain.push(line);
    }
  }
  flushPlain();
  flushQuoted();
  return fragment;
}

/** Inline mrkdwn (no code blocks or quotes) as nodes. */
export function renderInline(text, ctx = {}) {
  const fragment = document.createDocumentFragment();
  let last = 0;
  for (const match of text.matchAll(INLINE)) {
    if (match.index > last) fragment.append(unescapeEntities(text.slice(last, match.index)));
    fragment.append(renderToken(match, ctx));
    last = match.index + match[0].length;
  }
  if (last < text.length) fragment.append(unescapeEntities(text.slice(last)));
  return fragment;
}

function renderToken(match, ctx) {
  const groups = match.groups;
  if (groups.angle !== undefined) return renderAngle(groups.angle, ctx);
  if (groups.code !== undefined) return el("code", { class: "md-code" }, unescapeEntities(groups.code));
  if (groups.bold !== undefined) return el("strong", {}, renderInline(groups.bold, ctx));
  if (groups.italic !== undefined) return el("em", {}, renderInline(groups.italic, ctx));
  if (groups.strike !== undefined) return el("s", {}, renderInline(groups.strike, ctx));
  if (groups.url !== undefined) {
    const url = unescapeEntities(groups.url);
    return el("a", { href: url, target: "_blank", rel: "noopener noreferrer" }, url);
  }
  const emoji = emojiFor(groups.emoji);
  return emoji ? el("span", { class: "emoji", title: `:${groups.emoji}:` }, emoji) : match[0];
}

// <@U123>, <@U123|name>, <#C123|name>, <!here>, <!subteam^S1|@team>, <!date^…|…>, <url|label>.
function renderAngle(content, ctx) {
  const bar = content.indexOf("|");
  const target = bar === -1 ? content : content.slice(0, bar);
  const label = bar === -1 ? null : content.slice(bar + 1);
  if (target.startsWith("@")) {
    const id = target.slice(1);
    const name = ctx.userName?.(id) ?? label ?? id;
    return el("span", { class: "mention", dataset: { user: id } }, `@${name}`);
  }
  if (target.startsWith("#")) {
    const id = target.slice(1);
    const name = ctx.channelName?.(id) ?? label ?? id;
    return el(
      "a",
      {
        class: "mention channel-mention",
        href: `#${id}`,
        dataset: { channel: id },
        onClick: (event) => {
          event.preventDefault();
          ctx.onChannel?.(id);
        },
      },
      `#${name}`,
    );
  }
  if (target.startsWith("!")) return renderSpecial(target.slice(1), label);
  if (!LINK_TARGET.test(target)) return unescapeEntities(`<${content}>`);
  const url = unescapeEntities(target);
  const shown = unescapeEntities(label ?? target.replace(/^mailto:/i, ""));
  if (!SAFE_SCHEMES.test(url)) return shown;
  return el("a", { href: url, target: "_blank", rel: "noopener noreferrer" }, shown);
}

function renderSpecial(command, label) {
  if (command.startsWith("date^")) {
    const [, epoch, format, link] = command.split("^");
    const shown = formatSlackDate(Number(epoch), format ?? "", label);
    const node = el("time", { class: "md-date", title: label ? unescapeEntities(label) : null }, shown);
    if (Number.isFinite(Number(epoch)))
      node.setAttribute("datetime", new Date(Number(epoch) * 1000).toISOString());
    if (link && SAFE_SCHEMES.test(link))
      return el("a", { href: link, target: "_blank", rel: "noopener noreferrer" }, node);
    return node;
  }
  if (["here", "channel", "everyone"].includes(command)) {
    return el("span", { class: "mention mention-broadcast" }, `@${command}`);
  }
  if (command.startsWith("subteam^")) {
    return el("span", { class: "mention" }, unescapeEntities(label ?? `@${command.slice(8)}`));
  }
  return unescapeEntities(label ?? `<!${command}>`);
}

// --- <!date^…> -------------------------------------------------------------------------------

const ORDINAL = { one: "st", two: "nd", few: "rd", other: "th" };
const ordinals = new Intl.PluralRules("en-US", { type: "ordinal" });

function dayWithOrdinal(day) {
  return `${day}${ORDINAL[ordinals.select(day)]}`;
}

function sameDay(a, b) {
  return a.getFullYear() === b.getFullYear() && a.getMonth() === b.getMonth() && a.getDate() === b.getDate();
}

function relativeDay(date, now = new Date()) {
  const dayMs = 24 * 60 * 60 * 1000;
  if (sameDay(date, now)) return "today";
  if (sameDay(date, new Date(now.getTime() - dayMs))) return "yesterday";
  if (sameDay(date, new Date(now.getTime() + dayMs))) return "tomorrow";
  return null;
}

function ago(date, now = new Date()) {
  const seconds = Math.round((now.getTime() - date.getTime()) / 1000);
  const future = seconds < 0;
  const span = Math.abs(seconds);
  const units = [
    ["year", 365 * 86400],
    ["month", 30 * 86400],
    ["day", 86400],
    ["hour", 3600],
    ["minute", 60],
  ];
  for (const [unit, size] of units) {
    if (span >= size) {
      const count = Math.floor(span / size);
      const text = `${count} ${unit}${count === 1 ? "" : "s"}`;
      return future ? `in ${text}` : `${text} ago`;
    }
  }
  return "just now";
}

/** Slack's date tokens rendered in the reader's own zone; the fallback when the epoch is bad. */
export function formatSlackDate(epoch, format, fallback) {
  if (!Number.isFinite(epoch)) return unescapeEntities(fallback ?? "");
  const date = new Date(epoch * 1000);
  const month = (style) => date.toLocaleString("en-US", { month: style });
  const weekday = date.toLocaleString("en-US", { weekday: "long" });
  const year = date.getFullYear();
  const long = `${weekday}, ${month("long")} ${dayWithOrdinal(date.getDate())}, ${year}`;
  const medium = `${month("long")} ${dayWithOrdinal(date.getDate())}, ${year}`;
  const short = `${month("short")} ${date.getDate()}, ${year}`;
  const pretty = (plain) => {
    return relativeDay(date) ?? plain;
  };
  const tokens = {
    date_num: `${year}-${String(date.getMonth() + 1).padStart(2, "0")}-${String(date.getDate()).padStart(2, "0")}`,
    date: medium,
    date_short: short,
    date_long: long,
    date_pretty: pretty(medium),
    date_short_pretty: pretty(short),
    date_long_pretty: pretty(long),
    time: date.toLocaleTimeString("en-US", { hour: "numeric", minute: "2-digit" }),
    time_secs: date.toLocaleTimeString("en-US", { hour: "numeric", minute: "2-digit", second: "2-digit" }),
    ago: ago(date),
  };
  let unknown = false;
  const shown = format.replace(/\{(\w+)\}/g, (whole, name) => {
    if (name in tokens) return tokens[name];
    unknown = true;
    return whole;
  });
  return unknown ? unescapeEntities(fallback ?? shown) : shown;
}
