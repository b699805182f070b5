// Block Kit interactive elements (buttons, selects, pickers, inputs) as form controls.
//
// Every stateful control carries `slackState()`, which answers its value the way Slack puts it
// in `view.state.values` (`{type, value}`, `{type, selected_option}`, …). A control given an
// `onAction` callback reports changes (and button clicks) as a block_actions would.

import { el } from "./dom.js";
import { plainText, renderText } from "./mrkdwn.js";
import { confirmDialog } from "./confirm.js";

const TEXT_INPUTS = {
  plain_text_input: "text",
  email_text_input: "email",
  url_text_input: "url",
  number_input: "number",
};

/**
 * A control for `element`. `ctx` holds `users`, `channels` and the mrkdwn resolvers; `onAction`
 * (optional) receives `{action_id, …value fields}` when the person acts; `state` (optional) is a
 * value object to show instead of the element's initial value.
 */
export function renderElement(element, ctx, onAction = null, state = null) {
  const type = element.type;
  if (type === "button") return renderButton(element, ctx, onAction);
  if (type === "overflow") return renderOverflow(element, ctx, onAction);
  if (type === "image") return renderImage(element);
  if (type in TEXT_INPUTS) return renderTextInput(element, state, onAction);
  if (type === "static_select" || type === "external_select")
    return renderStaticSelect(element, state, onAction, ctx, false);
  if (type === "multi_static_select" || type === "multi_external_select")
    return renderStaticSelect(element, state, onAction, ctx, true);
  if (type === "users_select" || type === "multi_users_select")
    return renderUsersSelect(element, state, onAction, ctx);
  if (/^(multi_)?(conversations|channels)_select$/.test(type))
    return renderConversationsSelect(element, state, onAction, ctx);
  if (type === "datepicker")
    return renderPicker(element, state, onAction, "date", "selected_date", element.initial_date);
  if (type === "timepicker")
    return renderPicker(element, state, onAction, "time", "selected_time", element.initial_time);
  if (type === "checkboxes" || type === "radio_buttons") return renderChoices(element, state, onAction, ctx);
  return el("span", { class: "unsupported" }, `[${type}]`);
}

// Confirmation (if the element asks for it), then the callback; false when the person backed out.
async function act(element, ctx, onAction, fields) {
  if (!onAction) return true;
  if (element.confirm && !(await confirmDialog(element.confirm, ctx))) return false;
  await onAction({ action_id: element.action_id, ...fields });
  return true;
}

function renderButton(element, ctx, onAction) {
  const style = element.style === "primary" || element.style === "danger" ? ` btn-${element.style}` : "";
  const button = el(
    "button",
    { type: "button", class: `btn${style}`, dataset: { actionId: element.action_id ?? "" } },
    plainText(element.text),
  );
  button.addEventListener("click", async () => {
    if (element.url) window.open(element.url, "_blank", "noopener");
    button.disabled = true;
    try {
      await act(element, ctx, onAction, element.value !== undefined ? { value: element.value } : {});
    } finally {
      button.disabled = false;
    }
  });
  return button;
}

function renderOverflow(element, ctx, onAction) {
  const menu = el("div", { class: "overflow-menu", hidden: true });
  const toggle = el(
    "button",
    {
      type: "button",
      class: "btn btn-icon",
      title: "More actions",
      "aria-label": "More actions",
      "aria-haspopup": "menu",
    },
    "⋮",
  );
  for (const option of element.options ?? []) {
    menu.append(
      el(
        "button",
        {
          type: "button",
          class: "overflow-item",
          onClick: async () => {
            menu.hidden = true;
            if (option.url) window.open(option.url, "_blank", "noopener");
            await act(element, ctx, onAction, { selected_option: option });
          },
        },
        plainText(option.text),
      ),
    );
  }
  toggle.addEventListener("click", () => {
    menu.hidden = !menu.hidden;
  });
  return el("span", { class: "overflow", dataset: { actionId: element.action_id ?? "" } }, toggle, menu);
}

function renderImage(element) {
  return el("img", { class: "accessory-image", src: element.image_url, alt: element.alt_text ?? "" });
}

function renderTextInput(element, state, onAction) {
  const multiline = element.type === "plain_text_input" && element.multiline;
  const attrs = {
    class: "input",
    placeholder: plainText(element.placeholder) || null,
    maxlength: element.max_length ?? null,
    minlength: element.min_length ?? null,
    dataset: { actionId: element.action_id ?? "" },
  };
  const control = multiline
    ? el("textarea", { ...attrs, rows: 4 })
    : el("input", { ...attrs, type: TEXT_INPUTS[element.type] });
  if (element.type === "number_input") {
    control.step = element.is_decimal_allowed ? "any" : "1";
    if (element.min_value !== undefined) control.min = element.min_value;
    if (element.max_value !== undefined) control.max = element.max_value;
  }
  control.value = state ? (state.value ?? "") : (element.initial_value ?? "");
  if (element.focus_on_load) control.autofocus = true;
  control.slackState = () => ({ type: element.type, value: control.value === "" ? null : control.value });
  // Only an input block with dispatch_action passes onAction: its text is sent when it changes.
  if (onAction) {
    control.addEventListener("change", () => act(element, {}, onAction, { value: control.value }));
  }
  return control;
}

function optionKey(option) {
  return option ? String(option.value) : "";
}

function placeholderOption(element, fallback) {
  return el("option", { value: "" }, plainText(element.placeholder) || fallback);
}

function renderStaticSelect(element, state, onAction, ctx, multiple) {
  const byValue = new Map();
  const optionNode = (option) => {
    byValue.set(optionKey(option), option);
    return el("option", { value: optionKey(option) }, plainText(option.text));
  };
  const select = el("select", { class: "select", multiple, dataset: { actionId: element.action_id ?? "" } });
  if (!multiple) select.append(placeholderOption(element, "Select an item"));
  if (element.option_groups) {
    for (const group of element.option_groups) {
      select.append(el("optgroup", { label: plainText(group.label) }, (group.options ?? []).map(optionNode)));
    }
  } else {
    select.append(...(element.options ?? []).map(optionNode));
  }
  const chosen = multiple
    ? ((state ? state.selected_options : element.initial_options) ?? [])
    : [state ? state.selected_option : element.initial_option].filter(Boolean);
  const keys = new Set(chosen.map(optionKey));
  for (const node of select.options) node.selected = keys.has(node.value) && node.value !== "";
  const selected = () =>
    [...select.selectedOptions].filter((node) => node.value !== "").map((node) => byValue.get(node.value));
  select.slackState = () =>
    multiple
      ? { type: element.type, selected_options: selected() }
      : { type: element.type, selected_option: selected()[0] ?? null };
  bindSelectAction(select, element, ctx, onAction);
  return select;
}

// A select's change is an action; if its confirm dialog is declined, the old choice comes back.
function bindSelectAction(select, element, ctx, onAction) {
  if (!onAction) return;
  let previous = [...select.options].map((node) => node.selected);
  select.addEventListener("change", async () => {
    const { type, ...fields } = select.slackState();
    const done = await act(element, ctx, onAction, fields);
    if (!done) [...select.options].forEach((node, index) => (node.selected = previous[index]));
    previous = [...select.options].map((node) => node.selected);
  });
}

function renderUsersSelect(element, state, onAction, ctx) {
  const multiple = element.type === "multi_users_select";
  const select = el("select", { class: "select", multiple, dataset: { actionId: element.action_id ?? "" } });
  if (!multiple) select.append(placeholderOption(element, "Select a person"));
  for (const user of ctx.users ?? []) {
    select.append(el("option", { value: user.id }, ctx.displayName(user)));
  }
  const initial = multiple
    ? ((state ? state.selected_users : element.initial_users) ?? [])
    : [state ? state.selected_user : element.initial_user].filter(Boolean);
  for (const node of select.options) node.selected = initial.includes(node.value);
  const chosen = () => [...select.selectedOptions].map((node) => node.value).filter(Boolean);
  select.slackState = () =>
    multiple
      ? { type: element.type, selected_users: chosen() }
      : { type: element.type, selected_user: chosen()[0] ?? null };
  bindSelectAction(select, element, ctx, onAction);
  return select;
}

function renderConversationsSelect(element, state, onAction, ctx) {
  const multiple = element.type.startsWith("multi_");
  const kind = element.type.includes("channels") ? "channel" : "conversation";
  const single = `selected_${kind}`;
  const plural = `selected_${kind}s`;
  const select = el("select", { class: "select", multiple, dataset: { actionId: element.action_id ?? "" } });
  if (!multiple) select.append(placeholderOption(element, "Select a channel"));
  for (const channel of ctx.channels ?? []) {
    if (channel.is_im) continue;
    select.append(el("option", { value: channel.id }, `#${channel.name}`));
  }
  const initialValue = element[`initial_${kind}`] ?? element[`initial_${kind}s`];
  const initial = state
    ? multiple
      ? state[plural]
      : [state[single]]
    : [initialValue].flat().filter(Boolean);
  for (const node of select.options) node.selected = (initial ?? []).includes(node.value);
  const chosen = () => [...select.selectedOptions].map((node) => node.value).filter(Boolean);
  select.slackState = () =>
    multiple
      ? { type: element.type, [plural]: chosen() }
      : { type: element.type, [single]: chosen()[0] ?? null };
  bindSelectAction(select, element, ctx, onAction);
  return select;
}

function renderPicker(element, state, onAction, inputType, field, initial) {
  const control = el("input", {
    type: inputType,
    class: "input input-picker",
    dataset: { actionId: element.action_id ?? "" },
  });
  control.value = (state ? state[field] : initial) ?? "";
  control.slackState = () => ({ type: element.type, [field]: control.value || null });
  if (onAction)
    control.addEventListener("change", () => act(element, {}, onAction, { [field]: control.value || null }));
  return control;
}

let choiceGroups = 0;

function renderChoices(element, state, onAction, ctx) {
  const radio = element.type === "radio_buttons";
  const name = `choice-${++choiceGroups}`;
  const initial = radio
    ? [state ? state.selected_option : element.initial_option].filter(Boolean)
    : ((state ? state.selected_options : element.initial_options) ?? []);
  const keys = new Set(initial.map(optionKey));
  const inputs = [];
  const group = el("div", {
    class: "choices",
    role: radio ? "radiogroup" : "group",
    dataset: { actionId: element.action_id ?? "" },
  });
  for (const option of element.options ?? []) {
    const input = el("input", { type: radio ? "radio" : "checkbox", name, value: optionKey(option) });
    input.checked = keys.has(optionKey(option));
    inputs.push([input, option]);
    group.append(
      el(
        "label",
        { class: "choice" },
        input,
        el(
          "span",
          { class: "choice-text" },
          renderText(option.text, ctx),
          option.description ? el("small", {}, renderText(option.description, ctx)) : null,
        ),
      ),
    );
  }
  const selected = () => inputs.filter(([input]) => input.checked).map(([, option]) => option);
  group.slackState = () =>
    radio
      ? { type: element.type, selected_option: selected()[0] ?? null }
      : { type: element.type, selected_options: selected() };
  if (onAction) {
    group.addEventListener("change", () => {
      const { type, ...fields } = group.slackState();
      act(element, ctx, onAction, fields);
    });
  }
  return group;
}
