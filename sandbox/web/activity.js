// The deliveries panel: what the sandbox sent to Response (commands, interactions, events), how
// Response answered and how fast. It shows a newcomer what Slack would be doing behind the page.

import { el } from "./dom.js";

const SHOWN = 100;

function statusClass(record) {
  if (record.error || !record.status) return "bad";
  return record.status >= 200 && record.status < 300 ? "good" : "bad";
}

function clock(at) {
  return new Date(Number(at) * 1000).toLocaleTimeString("en-GB", {
    hour: "2-digit",
    minute: "2-digit",
    second: "2-digit",
  });
}

// "message in C0123" reads better as "message in #inc-1-payments".
function withChannelNames(summary, channelName) {
  return String(summary ?? "").replace(/\b([CDG][A-Z0-9]{6,})\b/g, (id) => {
    const name = channelName(id);
    return name ? `#${name}` : id;
  });
}

/**
 * The newest `SHOWN` delivery records (from /sandbox/deliveries) as a list, newest first;
 * `channelName(id)` names the channels they mention.
 */
export function renderActivity(records, channelName = () => null) {
  const newest = [...records].sort((a, b) => Number(b.at) - Number(a.at)).slice(0, SHOWN);
  if (!newest.length) return el("p", { class: "activity-empty" }, "Nothing sent to Response yet.");
  return el(
    "ol",
    { class: "activity-list" },
    newest.map((record) =>
      el(
        "li",
        { class: `activity-item ${statusClass(record)}` },
        el(
          "div",
          { class: "activity-line" },
          el("span", { class: "activity-kind" }, record.kind ?? "?"),
          el("span", { class: "activity-summary" }, withChannelNames(record.summary, channelName)),
        ),
        el(
          "div",
          { class: "activity-line activity-facts" },
          el("span", {}, clock(record.at)),
          el("span", { class: "activity-status" }, record.status ? `HTTP ${record.status}` : "no answer"),
          record.latency_ms !== undefined && record.latency_ms !== null
            ? el("span", {}, `${record.latency_ms} ms`)
            : null,
          record.attempt > 0 ? el("span", { class: "activity-retry" }, `retry ${record.attempt}`) : null,
          record.error ? el("span", { class: "activity-error" }, record.error) : null,
        ),
      ),
    ),
  );
}
