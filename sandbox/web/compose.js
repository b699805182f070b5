// What the Slack client does to typed text before sending it: escape &, < and >, and turn
// @name and #channel into the <@U…> and <#C…|name> forms apps receive.

const MENTION = /(^|[\s(])([@#])([\w.-]+)/g;
const BROADCASTS = new Set(["here", "channel", "everyone"]);

/** `text` as a Slack client would send it, given the workspace's `{users, bot, channels}`. */
export function toSlackText(text, { users = [], bot = {}, channels = [] } = {}) {
  const escaped = text.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;");
  const people = new Map();
  for (const user of users) {
    for (const name of [user.name, user.profile?.display_name]) {
      if (name) people.set(name.toLowerCase(), user.id);
    }
  }
  const botUser = bot.user_id ?? bot.id;
  if (bot.name && botUser) people.set(bot.name.toLowerCase(), botUser);
  const rooms = new Map(
    channels.filter((channel) => !channel.is_im).map((channel) => [channel.name.toLowerCase(), channel]),
  );

  return escaped.replace(MENTION, (whole, before, sigil, name) => {
    const key = name.toLowerCase();
    // A trailing full stop or comma ends a sentence rather than a name.
    const trimmed = key.replace(/[.-]+$/, "");
    const rest = name.slice(trimmed.length);
    if (sigil === "@") {
      if (BROADCASTS.has(trimmed)) return `${before}<!${trimmed}>${rest}`;
      const id = people.get(key) ?? people.get(trimmed);
      if (!id) return whole;
      return people.has(key) ? `${before}<@${id}>` : `${before}<@${id}>${rest}`;
    }
    const channel = rooms.get(key) ?? rooms.get(trimmed);
    if (!channel) return whole;
    const tail = rooms.has(key) ? "" : rest;
    return `${before}<#${channel.id}|${channel.name}>${tail}`;
  });
}

// --- Suggestions while typing: @people, #channels and /commands ---------------------------------

const TOKEN_BEFORE_CARET = /(^|\s)([@#])([\w.-]*)$/;

/**
 * What could complete the word being typed: `{sigil, query, start, items: [{insert, label, detail}]}`
 * or null. `workspace()` answers `{users, bot, channels, commands}`.
 */
export function suggestionsFor(text, caret, workspace) {
  const before = text.slice(0, caret);
  const { users = [], bot = {}, channels = [], commands = [] } = workspace();
  const command = before.match(/^\/([\w-]*)$/);
  if (command) {
    const query = command[1].toLowerCase();
    const items = commands
      .filter((name) => name.slice(1).startsWith(query) && name.slice(1) !== query)
      .map((name) => ({ insert: `${name} `, label: name, detail: "slash command" }));
    return items.length ? { start: 0, items } : null;
  }
  const token = before.match(TOKEN_BEFORE_CARET);
  if (!token) return null;
  const [, , sigil, typed] = token;
  const query = typed.toLowerCase();
  const start = caret - typed.length - 1;
  let items;
  if (sigil === "@") {
    const people = users
      .filter((user) => !user.is_bot)
      .map((user) => ({ name: user.name, detail: user.real_name ?? "" }));
    if (bot.name) people.push({ name: bot.name, detail: "app" });
    items = people
      .filter(
        ({ name, detail }) =>
          name.toLowerCase().startsWith(query) ||
          detail
            .toLowerCase()
            .split(/\s+/)
            .some((word) => word.startsWith(query)),
      )
      .filter(({ name }) => name.toLowerCase() !== query)
      .map(({ name, detail }) => ({ insert: `@${name} `, label: `@${name}`, detail }));
  } else {
    items = channels
      .filter(
        (channel) => !channel.is_im && !channel.is_archived && channel.name.toLowerCase().includes(query),
      )
      .filter((channel) => channel.name.toLowerCase() !== query)
      .map((channel) => ({
        insert: `#${channel.name} `,
        label: `#${channel.name}`,
        detail: channel.is_private ? "private" : "",
      }));
  }
  return items.length ? { start, items: items.slice(0, 8) } : null;
}
