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
  const rooms = new Map(channels.filter((channel) => !channel.is_im).map((channel) => [channel.name.toLowerCase(), channel]));

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
