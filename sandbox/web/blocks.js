// Block Kit layout blocks (section, header, context, divider, actions, image, input, rich_text)
// rendered for a message or a modal.

import { el } from "./dom.js";
import { plainText, renderText } from "./mrkdwn.js";
import { renderElement } from "./elements.js";
import { emojiFor } from "./emoji.js";

/**
 * `blocks` as one element. Options: `onAction(fields)` for interactive elements (fields carry
 * `block_id`, `action_id` and the value), `state` (block_id → action_id → value object) to show
 * instead of initial values (a modal being re-rendered keeps what was typed).
 */
export function renderBlocks(blocks, ctx, options = {}) {
  const root = el("div", { class: "blocks" });
  (blocks ?? []).forEach((block, index) => root.append(renderBlock(block, index, ctx, options)));
  return root;
}

/**
 * The block's id. The sandbox names every block it stores (as Slack does), so clicks carry the id
 * the server knows; the fallback by position only serves blocks that never went through it.
 */
export function blockIdOf(block, index) {
  return block.block_id ?? `block-${index}`;
}

function renderBlock(block, index, ctx, options) {
  const blockId = blockIdOf(block, index);
  const onAction = options.onAction ? (fields) => options.onAction({ block_id: blockId, ...fields }) : null;
  const state = options.state?.[blockId] ?? {};
  const wrap = (type, ...children) =>
    el("div", { class: `block block-${type}`, dataset: { blockId } }, ...children);
  const control = (element) => renderElement(element, ctx, onAction, state[element.action_id] ?? null);
  switch (block.type) {
    case "section":
      return wrap(
        "section",
        el(
          "div",
          { class: "section-body" },
          block.text ? el("div", { class: "section-text md" }, renderText(block.text, ctx)) : null,
          block.fields?.length
            ? el(
                "div",
                { class: "section-fields" },
                block.fields.map((field) => el("div", { class: "section-field md" }, renderText(field, ctx))),
              )
            : null,
        ),
        block.accessory ? el("div", { class: "section-accessory" }, control(block.accessory)) : null,
      );
    case "header":
      return wrap("header", plainText(block.text));
    case "context":
      return wrap(
        "context",
        (block.elements ?? []).map((element) =>
          element.type === "image"
            ? el("img", { class: "context-image", src: element.image_url, alt: element.alt_text ?? "" })
            : el("span", { class: "context-text md" }, renderText(element, ctx)),
        ),
      );
    case "divider":
      return wrap("divider", el("hr"));
    case "actions":
      return wrap("actions", (block.elements ?? []).map(control));
    case "image":
      return wrap(
        "image",
        block.title ? el("div", { class: "image-title" }, plainText(block.title)) : null,
        el("img", { src: block.image_url, alt: block.alt_text ?? "" }),
      );
    case "input":
      return renderInput(block, blockId, ctx, onAction, state);
    case "rich_text":
      return wrap(
        "rich_text",
        (block.elements ?? []).map((part) => renderRichPart(part, ctx)),
      );
    case "markdown":
      return wrap("markdown", el("div", { class: "md" }, block.text ?? ""));
    default:
      return wrap("unknown", el("span", { class: "unsupported" }, `[${block.type} block]`));
  }
}

function renderInput(block, blockId, ctx, onAction, state) {
  const element = block.element ?? {};
  const dispatch = block.dispatch_action ? onAction : null;
  const control = renderElement(element, ctx, dispatch, state[element.action_id] ?? null);
  const id = `input-${blockId}`;
  control.id = id;
  return el(
    "div",
    { class: "block block-input", dataset: { blockId, actionId: element.action_id ?? "" } },
    el(
      "label",
      { class: "input-label", for: id },
      plainText(block.label),
      block.optional ? el("span", { class: "optional" }, " (optional)") : null,
    ),
    control,
    block.hint ? el("div", { class: "input-hint" }, plainText(block.hint)) : null,
    el("div", { class: "input-error", role: "alert", hidden: true }),
  );
}

// rich_text is what Slack clients put in typed messages: sections, lists, quotes, code.
function renderRichPart(part, ctx) {
  const inline = () => (part.elements ?? []).map((item) => renderRichItem(item, ctx));
  switch (part.type) {
    case "rich_text_section":
      return el("div", { class: "rich-section" }, inline());
    case "rich_text_preformatted":
      return el("pre", { class: "md-pre" }, inline());
    case "rich_text_quote":
      return el("blockquote", { class: "md-quote" }, inline());
    case "rich_text_list":
      return el(
        part.style === "ordered" ? "ol" : "ul",
        { class: "rich-list" },
        (part.elements ?? []).map((item) => el("li", {}, renderRichPart(item, ctx))),
      );
    default:
      return el("span", { class: "unsupported" }, `[${part.type}]`);
  }
}

function renderRichItem(item, ctx) {
  let node;
  switch (item.type) {
    case "text":
      node = document.createTextNode(item.text ?? "");
      break;
    case "link":
      node = /^(https?:|mailto:)/i.test(item.url ?? "")
        ? el("a", { href: item.url, target: "_blank", rel: "noopener noreferrer" }, item.text || item.url)
        : document.createTextNode(item.text || item.url || "");
      break;
    case "user":
      node = el("span", { class: "mention" }, `@${ctx.userName?.(item.user_id) ?? item.user_id}`);
      break;
    case "channel":
      node = el("span", { class: "mention" }, `#${ctx.channelName?.(item.channel_id) ?? item.channel_id}`);
      break;
    case "broadcast":
      node = el("span", { class: "mention mention-broadcast" }, `@${item.range}`);
      break;
    case "emoji":
      node = document.createTextNode(
        item.unicode
          ? String.fromCodePoint(...item.unicode.split("-").map((hex) => parseInt(hex, 16)))
          : (emojiFor(item.name) ?? `:${item.name}:`),
      );
      break;
    default:
      node = document.createTextNode(item.text ?? "");
  }
  const style = item.style ?? {};
  if (style.code) node = el("code", { class: "md-code" }, node);
  if (style.bold) node = el("strong", {}, node);
  if (style.italic) node = el("em", {}, node);
  if (style.strike) node = el("s", {}, node);
  return node;
}

/** Every stateful control under `root` as Slack's `state.values` (block_id → action_id → value). */
export function collectState(root) {
  const values = {};
  for (const block of root.querySelectorAll("[data-block-id]")) {
    for (const control of block.querySelectorAll("[data-action-id]")) {
      if (typeof control.slackState !== "function") continue;
      if (control.closest("[data-block-id]") !== block) continue;
      const blockId = block.dataset.blockId;
      values[blockId] ??= {};
      values[blockId][control.dataset.actionId] = control.slackState();
    }
  }
  return values;
}
