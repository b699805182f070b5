// The sandbox page: a minimal Slack for trying Response. It reads everything from the sandbox's
// control API, acts as the chosen user through /sandbox/act/*, and follows changes by long-polling.

import { el, replaceChildren } from "./dom.js";
import { api } from "./api.js";
import { renderMrkdwn } from "./mrkdwn.js";
import { renderMessage, avatarColour, initials } from "./message.js";
import { renderModal, showErrors } from "./modal.js";
import { toSlackText } from "./compose.js";
import { attachSuggestions } from "./suggest.js";
import { renderActivity } from "./activity.js";

const USER_KEY = "sandbox.user";
const CHANNEL_KEY = "sandbox.channel";
const LONG_POLL_SECONDS = 20;
const SLACKBOT = "USLACKBOT";
const COMMAND = "incident"; // Response's slash command, as its manifest declares it
const PLACEHOLDER_NAME_LENGTH = 24;

const page = {
  state: null,
  user: localStorage.getItem(USER_KEY) || "U0ALICE",
  channel: localStorage.getItem(CHANNEL_KEY) || null,
  messages: new Map(), // channel id → messages, oldest first
  views: [],
  threadTs: null,
  renderedChannel: null,
  messageNodes: new Map(), // "message:<ts>", "day:<label>", "intro" → {signature, node}
  modal: null, // {id, hash, root}
  activityOpen: false,
  deliveries: [],
  linked: null, // {channel, ts, threadTs}: the message a permalink asked for, until it is shown
};

const $ = (id) => document.getElementById(id);

// --- Names and people --------------------------------------------------------------------------

function bot() {
  return page.state?.bot ?? {};
}

function botUserId() {
  return bot().user_id ?? bot().id;
}

function humans() {
  return (page.state?.users ?? []).filter((user) => !user.is_bot && !user.deleted && user.id !== botUserId());
}

// Full names head messages and fill pickers; mentions use the short display name, as Slack does.
function displayName(user) {
  return user.real_name || user.profile?.real_name || user.profile?.display_name || user.name || user.id;
}

function mentionName(user) {
  return user.profile?.display_name || user.name || user.real_name || user.id;
}

function userById(id) {
  return (page.state?.users ?? []).find((user) => user.id === id);
}

function userName(id) {
  if (id && id === botUserId()) return bot().name ?? "incident";
  if (id === SLACKBOT) return "Slackbot";
  const user = userById(id);
  return user ? mentionName(user) : null;
}

function fullName(id) {
  const user = userById(id);
  return user ? displayName(user) : userName(id);
}

function channelById(id) {
  return (page.state?.channels ?? []).find((channel) => channel.id === id);
}

function channelLabel(channel) {
  if (!channel.is_im) return channel.name;
  const other = (channel.members ?? []).find((id) => id !== page.user) ?? page.user;
  return userName(other) ?? other;
}

function isBotMessage(message) {
  return (
    Boolean(message.bot_id) || (message.user && message.user === botUserId()) || message.user === SLACKBOT
  );
}

const ctx = {
  get users() {
    return humans();
  },
  get channels() {
    return page.state?.channels ?? [];
  },
  displayName,
  userName,
  channelName: (id) => {
    const channel = channelById(id);
    return channel ? channelLabel(channel) : null;
  },
  onChannel: (id) => openChannel(id),
  author(message) {
    if (message.user === SLACKBOT) return { name: "Slackbot", isBot: true, key: SLACKBOT };
    if (isBotMessage(message)) {
      const name = message.username || message.bot_profile?.name || bot().name || "bot";
      return { name, isBot: true, key: message.bot_id || "bot" };
    }
    return {
      name: fullName(message.user) ?? message.username ?? message.user ?? "someone",
      isBot: false,
      key: message.user ?? "",
    };
  },
};

// --- Loading -----------------------------------------------------------------------------------

function visibleChannels() {
  return (page.state?.channels ?? []).filter((channel) => (channel.members ?? []).includes(page.user));
}

// Where a newcomer starts: the incidents channel (the first one the bot is in, whatever its
// configured name), else any channel of theirs.
function defaultChannel() {
  const channels = page.state?.channels ?? [];
  const mine = visibleChannels().filter((channel) => !channel.is_im && !channel.is_archived);
  const incidents =
    mine.find((channel) => channel.name === "incidents") ??
    mine.find((channel) => (channel.members ?? []).includes(botUserId()));
  return (incidents ?? mine[0] ?? channels[0])?.id ?? null;
}

let refreshing = null;
let refreshAgain = false;

/** Reload state, messages and views; calls made while one runs are folded into one more run. */
function refresh() {
  if (refreshing) {
    refreshAgain = true;
    return refreshing;
  }
  refreshing = (async () => {
    try {
      do {
        refreshAgain = false;
        await load();
        render();
      } while (refreshAgain);
      setConnection(true);
    } catch (error) {
      setConnection(false, error);
    } finally {
      refreshing = null;
    }
  })();
  return refreshing;
}

async function load() {
  page.state = await api.state();
  if (!humans().some((user) => user.id === page.user) && humans().length) page.user = humans()[0].id;
  if (!channelById(page.channel)) page.channel = defaultChannel();
  const wanted = new Set(visibleChannels().map((channel) => channel.id));
  if (page.channel) wanted.add(page.channel);
  const [deliveries, views, ...lists] = await Promise.all([
    page.activityOpen ? api.deliveries() : [],
    api.views(page.user),
    ...[...wanted].map((id) => api.messages(id, page.user).then((messages) => [id, messages])),
  ]);
  page.deliveries = Array.isArray(deliveries) ? deliveries : [];
  page.views = Array.isArray(views) ? views : (views?.views ?? []);
  page.messages = new Map(
    lists.map(([id, messages]) => [id, Array.isArray(messages) ? messages : (messages?.messages ?? [])]),
  );
}

function setConnection(ok, error) {
  const banner = $("connection");
  banner.hidden = ok;
  if (!ok) banner.textContent = `Can't reach the sandbox (${error?.message ?? error}); retrying…`;
}

// Long-poll /sandbox/changes; if that fails, fall back to asking every second.
async function watch() {
  let seq = page.state?.seq ?? 0;
  for (;;) {
    try {
      const answer = await api.changes(seq, LONG_POLL_SECONDS);
      if (answer.seq !== seq) {
        seq = answer.seq; // lower after a reset: still a change
        await refresh();
      }
    } catch {
      await new Promise((resolve) => setTimeout(resolve, 1000));
      await refresh();
      seq = page.state?.seq ?? seq;
    }
  }
}

// --- Unread marks ------------------------------------------------------------------------------

function seenKey() {
  return `sandbox.seen.${page.user}`;
}

function seen() {
  try {
    return JSON.parse(localStorage.getItem(seenKey()) || "{}");
  } catch {
    return {};
  }
}

function latestFromOthers(channelId) {
  const messages = page.messages.get(channelId) ?? [];
  let latest = "0";
  for (const message of messages) {
    if (message.user !== page.user && Number(message.ts) > Number(latest)) latest = message.ts;
  }
  return latest;
}

function markSeen(channelId) {
  const marks = seen();
  const latest = latestFromOthers(channelId);
  if (marks[channelId] !== latest) {
    marks[channelId] = latest;
    localStorage.setItem(seenKey(), JSON.stringify(marks));
  }
}

function isUnread(channelId) {
  const latest = latestFromOthers(channelId);
  return latest !== "0" && Number(latest) > Number(seen()[channelId] ?? 0);
}

// --- Rendering ---------------------------------------------------------------------------------

function render() {
  if (page.channel) markSeen(page.channel);
  renderSidebar();
  renderHeader();
  renderMessages();
  renderThread();
  renderModalStack();
  renderActivityPanel();
  revealLinked();
  const channel = channelById(page.channel);
  document.title = channel
    ? `${channel.is_im ? "" : "#"}${channelLabel(channel)} · Response sandbox`
    : "Response sandbox";
}

function renderSidebar() {
  const team = page.state.team ?? {};
  $("workspace-name").textContent = team.name || team.domain || "Sandbox";
  const picker = $("acting-user");
  // Rebuilt only when the people change, so an open picker is not closed under the mouse.
  const people = humans().map((user) => [user.id, displayName(user)]);
  if (picker.dataset.people !== JSON.stringify(people)) {
    replaceChildren(
      picker,
      people.map(([id, name]) => el("option", { value: id }, name)),
    );
    picker.dataset.people = JSON.stringify(people);
  }
  picker.value = page.user;
  $("acting-avatar").textContent = initials(fullName(page.user) ?? "?");
  $("acting-avatar").style.background = avatarColour(page.user);

  const mine = visibleChannels();
  const channels = mine.filter((channel) => !channel.is_im).sort((a, b) => a.name.localeCompare(b.name));
  const dms = mine.filter((channel) => channel.is_im);
  const others = (page.state.channels ?? [])
    .filter((channel) => !channel.is_im && !channel.is_private && !mine.includes(channel))
    .sort((a, b) => a.name.localeCompare(b.name));
  replaceChildren(
    $("channel-list"),
    section("Channels", channels),
    dms.length ? section("Direct messages", dms) : null,
    others.length ? section("Other channels", others, "not-member") : null,
  );
}

function section(title, channels, extraClass = "") {
  return el(
    "div",
    { class: "sidebar-section" },
    el("h2", { class: "sidebar-heading" }, title),
    el(
      "ul",
      { class: "sidebar-list" },
      channels.map((channel) => {
        const unread = channel.id !== page.channel && isUnread(channel.id);
        const classes = ["channel-link", extraClass];
        if (channel.id === page.channel) classes.push("active");
        if (unread) classes.push("unread");
        if (channel.is_archived) classes.push("archived");
        const icon = channel.is_im ? "●" : channel.is_private ? "🔒" : "#";
        const isBotDm = channel.is_im && (channel.members ?? []).includes(botUserId());
        return el(
          "li",
          {},
          el(
            "a",
            {
              href: `#${channel.id}`,
              class: classes.filter(Boolean).join(" "),
              dataset: { channel: channel.id, name: channel.name ?? "" },
              title: channelLabel(channel), // a long name is cut short in the sidebar
              "aria-current": channel.id === page.channel ? "page" : null,
              onClick: (event) => {
                event.preventDefault();
                openChannel(channel.id);
              },
            },
            el("span", { class: "channel-icon", "aria-hidden": "true" }, icon),
            el("span", { class: "channel-name" }, channelLabel(channel)),
            isBotDm ? el("span", { class: "badge-app" }, "APP") : null,
            unread ? el("span", { class: "unread-dot", title: "New messages" }) : null,
          ),
        );
      }),
    ),
  );
}

function renderHeader() {
  const channel = channelById(page.channel);
  if (!channel) {
    replaceChildren($("channel-header"), el("h1", {}, "No channel"));
    return;
  }
  const members = channel.members ?? [];
  const topic = textOf(channel.topic);
  const bookmarks = channel.bookmarks ?? [];
  const title = `${channel.is_im ? "" : channel.is_private ? "🔒 " : "#"}${channelLabel(channel)}`;
  replaceChildren(
    $("channel-header"),
    el(
      "div",
      { class: "channel-title-row" },
      // Long names and topics are cut short to keep the header one line; the tooltip has them whole.
      el("h1", { class: "channel-title", title }, title),
      channel.is_archived ? el("span", { class: "badge-archived" }, "archived") : null,
      topic ? renderTopic(topic) : null,
      el(
        "span",
        { class: "member-count", title: members.map((id) => fullName(id) ?? id).join(", ") },
        `👤 ${members.length}`,
      ),
    ),
    bookmarks.length
      ? el(
          "div",
          { class: "bookmarks" },
          bookmarks.map((bookmark) =>
            el(
              "a",
              {
                class: "bookmark",
                href: /^https?:/i.test(bookmark.link ?? "") ? bookmark.link : null,
                target: "_blank",
                rel: "noopener noreferrer",
              },
              `🔖 ${bookmark.title ?? bookmark.link}`,
            ),
          ),
        )
      : null,
  );
  // Slack lets only members post; someone outside an incident's channel can read it but not write.
  const member = members.includes(page.user);
  const input = $("composer-input");
  input.disabled = !member || channel.is_archived;
  const name = shortened(channelLabel(channel));
  input.placeholder = channel.is_archived
    ? "This channel is archived."
    : member
      ? `Message ${channel.is_im ? "" : "#"}${name} — try /${COMMAND} something is broken`
      : `You're not in #${name}: you can read it, but only its members can post.`;
}

// A placeholder wraps inside the one-line composer; an incident channel's long name is cut short.
function shortened(name, limit = PLACEHOLDER_NAME_LENGTH) {
  return name.length > limit ? `${name.slice(0, limit - 1)}…` : name;
}

function renderTopic(topic) {
  const node = el("div", { class: "channel-topic md" }, renderMrkdwn(topic, ctx));
  node.title = node.textContent; // as shown, with mentions as names rather than <@U…>
  return node;
}

// Topic and purpose come as strings from the control API, as {value} objects from Slack's.
function textOf(field) {
  if (!field) return "";
  return typeof field === "string" ? field : String(field.value ?? "");
}

function isReply(message) {
  return message.thread_ts && message.thread_ts !== message.ts;
}

function replyCount(messages, message) {
  const counted = messages.filter((other) => isReply(other) && other.thread_ts === message.ts).length;
  return Math.max(Number(message.reply_count ?? 0), counted);
}

function messageView(messages) {
  return (message) => ({
    ctx,
    user: page.user,
    channelId: page.channel,
    replies: isReply(message) ? 0 : replyCount(messages, message),
    onAction: (target, fields) =>
      perform(api.click({ user: page.user, channel: page.channel, message_ts: target.ts, ...fields })),
    onPin: (target) => perform(api.pin({ user: page.user, channel: page.channel, ts: target.ts })),
    onUnpin: (target) => perform(api.unpin({ user: page.user, channel: page.channel, ts: target.ts })),
    onReact: (target, name) =>
      perform(api.react({ user: page.user, channel: page.channel, ts: target.ts, name })),
    onThread: (target) => {
      page.threadTs = target.ts;
      page.activityOpen = false;
      renderActivityPanel();
      renderThread();
    },
  });
}

function dayLabel(ts) {
  const date = new Date(Number(ts) * 1000);
  const today = new Date();
  if (date.toDateString() === today.toDateString()) return "Today";
  return date.toLocaleDateString("en-US", { weekday: "long", month: "long", day: "numeric" });
}

function renderMessages() {
  const pane = $("messages");
  const channelChanged = page.renderedChannel !== page.channel;
  if (channelChanged) page.messageNodes.clear();
  const atBottom = pane.scrollHeight - pane.scrollTop - pane.clientHeight < 60;
  const messages = page.messages.get(page.channel) ?? [];
  const viewFor = messageView(messages);
  const nodes = [];
  const kept = new Map();
  // Nodes are rebuilt only when what they show changed, and left in place when they did not,
  // so an open select or a hovered menu in one message survives news in another.
  const reuse = (key, signature, build) => {
    const cached = page.messageNodes.get(key);
    const node = cached && cached.signature === signature ? cached.node : build();
    kept.set(key, { signature, node });
    nodes.push(node);
  };
  const channel = channelById(page.channel);
  if (channel) {
    const title = channel.is_im
      ? `This is your conversation with ${channelLabel(channel)}`
      : `This is the very beginning of #${channelLabel(channel)}`;
    const purpose = textOf(channel.purpose);
    reuse("intro", JSON.stringify([title, purpose]), () =>
      el(
        "div",
        { class: "channel-intro" },
        el("h2", {}, title),
        purpose ? el("p", { class: "md" }, renderMrkdwn(purpose, ctx)) : null,
      ),
    );
  }
  let lastDay = null;
  for (const message of messages) {
    if (isReply(message)) continue;
    const day = dayLabel(message.ts);
    if (day !== lastDay) {
      reuse(`day:${day}`, day, () => el("div", { class: "day-divider" }, el("span", {}, day)));
      lastDay = day;
    }
    const view = viewFor(message);
    reuse(`message:${message.ts}`, JSON.stringify([message, view.replies, page.user]), () =>
      renderMessage(message, view),
    );
  }
  page.messageNodes = kept;
  placeChildren(pane, nodes);
  if (channelChanged || atBottom) pane.scrollTop = pane.scrollHeight;
  page.renderedChannel = page.channel;
}

/** Make `parent`'s children exactly `nodes`, moving only what is out of place. */
function placeChildren(parent, nodes) {
  nodes.forEach((node, index) => {
    const present = parent.children[index];
    if (present !== node) parent.insertBefore(node, present ?? null);
  });
  while (parent.children.length > nodes.length) parent.lastElementChild.remove();
}

function renderThread() {
  const panel = $("thread");
  const messages = page.messages.get(page.channel) ?? [];
  const parent = messages.find((message) => message.ts === page.threadTs);
  if (!parent) {
    panel.hidden = true;
    page.threadTs = null;
    return;
  }
  panel.hidden = false;
  const viewFor = messageView(messages);
  const replies = messages.filter((message) => isReply(message) && message.thread_ts === parent.ts);
  replaceChildren(
    $("thread-messages"),
    renderMessage(parent, { ...viewFor(parent), replies: 0 }),
    el(
      "div",
      { class: "day-divider thread-count" },
      el("span", {}, `${replies.length} ${replies.length === 1 ? "reply" : "replies"}`),
    ),
    replies.map((reply) => renderMessage(reply, viewFor(reply))),
  );
}

function renderActivityPanel() {
  $("activity").hidden = !page.activityOpen;
  $("activity-toggle").setAttribute("aria-pressed", String(page.activityOpen));
  if (page.activityOpen)
    replaceChildren($("activity-list"), renderActivity(page.deliveries, ctx.channelName));
}

function toggleActivity(open) {
  page.activityOpen = open;
  if (open) page.threadTs = null; // one side panel at a time
  renderThread();
  renderActivityPanel();
  if (open) refresh();
}

function renderModalStack() {
  const top = page.views.at(-1);
  const shown = page.modal;
  if (!top) {
    shown?.root.remove();
    page.modal = null;
    return;
  }
  if (shown && shown.id === top.id && shown.hash === top.hash) {
    showViewNotes(shown, top);
    return;
  }
  // The same view updated keeps what was typed in it, as Slack does for unchanged block ids.
  const keep = shown && shown.id === top.id ? shown.root.modalValues() : null;
  const viewId = top.id;
  const root = renderModal(
    top,
    ctx,
    {
      submit: async (values) => {
        const answer = await api.submit({ user: page.user, view_id: viewId, values });
        refresh();
        return answer;
      },
      close: () => perform(api.closeView({ user: page.user, view_id: viewId })),
      action: (fields) =>
        perform(api.click({ user: page.user, view_id: viewId, values: root.modalValues(), ...fields })),
    },
    keep,
    page.views.length,
  );
  shown?.root.remove();
  document.body.append(root);
  page.modal = { id: top.id, hash: top.hash, root, notes: null };
  showViewNotes(page.modal, top);
  if (!keep) root.querySelector("input, textarea, select")?.focus();
}

// Errors kept on the view (from response_action: errors) and Slack's "trouble connecting" note.
function showViewNotes(shown, entry) {
  const notes = JSON.stringify([entry.errors ?? null, entry.trouble ?? null]);
  if (notes === shown.notes) return;
  shown.notes = notes;
  const errors = { ...(entry.errors ?? {}) };
  if (entry.trouble) errors[""] = entry.trouble;
  showErrors(shown.root, Object.keys(errors).length ? errors : null);
}

// --- Permalinks -------------------------------------------------------------------------------

/**
 * The message a permalink names, from the sandbox's Slack-shaped address
 * `/archives/<channel>/p<ts without its dot>[?thread_ts=<parent>]`, or null.
 */
function permalinkTarget() {
  const match = location.pathname.match(/^\/archives\/([A-Z0-9]+)\/p(\d{7,})\/?$/);
  if (!match) return null;
  const digits = match[2];
  const ts = `${digits.slice(0, -6)}.${digits.slice(-6)}`;
  const threadTs = new URLSearchParams(location.search).get("thread_ts");
  return { channel: match[1], ts, threadTs: threadTs && threadTs !== ts ? threadTs : null };
}

// Once the linked message is on screen, mark it and bring it into view (a reply in its thread).
function revealLinked() {
  const linked = page.linked;
  if (!linked || page.channel !== linked.channel || !page.messages.has(linked.channel)) return;
  page.linked = null;
  const pane = linked.threadTs ? $("thread-messages") : $("messages");
  const node = [...pane.querySelectorAll(".message")].find((found) => found.dataset.ts === linked.ts);
  if (!node) {
    toast("That message isn't in this channel any more.");
    return;
  }
  for (const old of document.querySelectorAll(".message.highlighted")) old.classList.remove("highlighted");
  node.classList.add("highlighted");
  node.scrollIntoView({ block: "center" });
}

// --- Acting ------------------------------------------------------------------------------------

/** Run a control API call, report a failure, and refresh either way. */
async function perform(promise) {
  try {
    const answer = await promise;
    return answer;
  } catch (error) {
    toast(error.message ?? String(error));
    return null;
  } finally {
    refresh();
  }
}

function toast(text) {
  const node = el("div", { class: "toast", role: "status" }, text);
  $("toasts").append(node);
  setTimeout(() => node.remove(), 6000);
}

function openChannel(id) {
  if (!channelById(id)) return;
  page.channel = id;
  page.threadTs = null;
  localStorage.setItem(CHANNEL_KEY, id);
  history.replaceState(null, "", `#${id}`);
  render();
  if (!page.messages.has(id)) refresh();
  $("composer-input").focus();
}

function switchUser(id) {
  page.user = id;
  localStorage.setItem(USER_KEY, id);
  page.messageNodes.clear();
  page.renderedChannel = null;
  page.modal?.root.remove();
  page.modal = null;
  if (!visibleChannels().some((channel) => channel.id === page.channel)) page.channel = defaultChannel();
  refresh();
}

/** Send what was typed: `/command text` as a slash command, anything else as a message. */
async function send(raw, threadTs = null) {
  const text = raw.trim();
  if (!text) return true;
  const command = text.match(/^(\/[\w-]+)(?:\s+([\s\S]*))?$/);
  if (command) {
    const answer = await perform(
      api.command({ user: page.user, channel: page.channel, command: command[1], text: command[2] ?? "" }),
    );
    // A failed delivery shows up as Slackbot's ephemeral notice, as in Slack.
    return answer !== null;
  }
  const body = {
    user: page.user,
    channel: page.channel,
    text: toSlackText(text, {
      users: page.state?.users ?? [],
      bot: bot(),
      channels: page.state?.channels ?? [],
    }),
  };
  if (threadTs) body.thread_ts = threadTs;
  return (await perform(api.message(body))) !== null;
}

function bindComposer(form, input, threadTs) {
  const submit = async () => {
    const value = input.value;
    input.disabled = true;
    try {
      if (await send(value, threadTs())) {
        input.value = "";
        fitToContent(input);
      }
    } finally {
      input.disabled = false;
      renderHeader(); // may disable it again (not a member, archived)
      input.focus();
    }
  };
  form.addEventListener("submit", (event) => {
    event.preventDefault();
    submit();
  });
  input.addEventListener("keydown", (event) => {
    if (event.key === "Enter" && !event.shiftKey && !event.isComposing) {
      event.preventDefault();
      submit();
    }
  });
}

function suggestionSources() {
  return {
    users: page.state?.users ?? [],
    bot: bot(),
    channels: visibleChannels(),
    commands: [`/${COMMAND}`],
  };
}

// The composer grows with what is typed, up to its CSS max-height.
function fitToContent(textarea) {
  textarea.style.height = "auto";
  textarea.style.height = `${textarea.scrollHeight}px`;
}

// --- Start -------------------------------------------------------------------------------------

function start() {
  const fromHash = location.hash.slice(1);
  const linked = permalinkTarget();
  if (linked) {
    page.linked = linked;
    page.channel = linked.channel;
    page.threadTs = linked.threadTs;
    // From here on the page's own address, as Slack turns a permalink into its app's address.
    history.replaceState(null, "", `/#${linked.channel}`);
  } else if (fromHash) page.channel = fromHash;
  $("acting-user").addEventListener("change", (event) => switchUser(event.target.value));
  bindComposer($("composer"), $("composer-input"), () => null);
  bindComposer($("thread-composer"), $("thread-input"), () => page.threadTs);
  for (const input of [$("composer-input"), $("thread-input")]) {
    attachSuggestions(input, suggestionSources);
    input.addEventListener("input", () => fitToContent(input));
  }
  $("activity-toggle").addEventListener("click", () => toggleActivity(!page.activityOpen));
  $("activity-close").addEventListener("click", () => toggleActivity(false));
  $("thread-close").addEventListener("click", () => {
    page.threadTs = null;
    renderThread();
  });
  document.addEventListener("click", (event) => {
    // Clicking elsewhere folds any open overflow menu.
    for (const menu of document.querySelectorAll(".overflow-menu:not([hidden])")) {
      if (!menu.parentElement.contains(event.target)) menu.hidden = true;
    }
  });
  refresh().then(watch);
}

start();
