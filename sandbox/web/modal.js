// The acting user's top modal, rendered as a form. Submitting sends `view.state.values`;
// `response_action: errors` comes back as messages under the right input blocks.

import { el } from "./dom.js";
import { plainText } from "./mrkdwn.js";
import { collectState, renderBlocks } from "./blocks.js";

/**
 * The modal for `entry` (`{id, hash, view}` from /sandbox/views). Handlers: `submit(values)` →
 * `{errors, closed}`, `close()`, `action(fields)` for buttons and selects inside the modal.
 * `state` (optional) keeps what the person had entered when the same view is re-rendered.
 */
export function renderModal(entry, ctx, handlers, state = null, depth = 1) {
  const view = entry.view ?? {};
  const title = plainText(view.title) || "Modal";
  const body = renderBlocks(view.blocks, ctx, { onAction: handlers.action, state: state ?? undefined });
  const generalError = el("div", { class: "modal-error", role: "alert", hidden: true });
  const form = el(
    "form",
    { class: "modal-form", novalidate: true },
    el("div", { class: "modal-body" }, generalError, body),
  );
  const closeLabel = plainText(view.close) || (view.submit ? "Cancel" : "Close");
  const cancel = el("button", { type: "button", class: "btn", onClick: () => handlers.close() }, closeLabel);
  const submit = view.submit
    ? el("button", { type: "submit", class: "btn btn-primary" }, plainText(view.submit))
    : null;
  form.append(el("footer", { class: "modal-footer" }, cancel, submit ?? null));

  // A field's error goes once the person changes that field, as in Slack.
  const clearError = (event) => {
    const block = event.target.closest(".block-input.has-error");
    if (!block) return;
    block.classList.remove("has-error");
    const slot = block.querySelector(".input-error");
    slot.hidden = true;
    slot.textContent = "";
  };
  form.addEventListener("input", clearError);
  form.addEventListener("change", clearError);

  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    if (!submit) return;
    submit.disabled = true;
    showErrors(form, null);
    try {
      const answer = await handlers.submit(collectState(body));
      if (answer?.errors) showErrors(form, answer.errors);
    } catch (error) {
      showErrors(form, { "": String(error.message ?? error) });
    } finally {
      submit.disabled = false;
    }
  });

  const dialog = el(
    "div",
    {
      class: "dialog modal",
      role: "dialog",
      "aria-modal": "true",
      "aria-label": title,
      dataset: { viewId: entry.id },
    },
    el(
      "header",
      { class: "modal-header" },
      depth > 1 ? el("span", { class: "modal-depth", title: "Views in the stack" }, `${depth}`) : null,
      el("h2", { class: "dialog-title" }, title),
      el(
        "button",
        {
          type: "button",
          class: "btn btn-icon modal-x",
          "aria-label": "Close",
          onClick: () => handlers.close(),
        },
        "✕",
      ),
    ),
    form,
  );
  const root = el("div", { class: "backdrop backdrop-modal" }, dialog);
  root.addEventListener("keydown", (event) => {
    if (event.key === "Escape") {
      event.preventDefault();
      handlers.close();
    }
  });
  root.modalValues = () => collectState(body);
  return root;
}

/** Show `errors` (block_id → message) under their blocks; null clears them. */
export function showErrors(root, errors) {
  for (const slot of root.querySelectorAll(".input-error")) {
    slot.hidden = true;
    slot.textContent = "";
    slot.closest(".block")?.classList.remove("has-error");
  }
  const general = root.querySelector(".modal-error");
  general.hidden = true;
  general.textContent = "";
  const unplaced = [];
  for (const [blockId, message] of Object.entries(errors ?? {})) {
    const block = [...root.querySelectorAll(".block-input")].find((node) => node.dataset.blockId === blockId);
    const slot = block?.querySelector(".input-error");
    if (slot) {
      slot.textContent = String(message);
      slot.hidden = false;
      block.classList.add("has-error");
    } else {
      unplaced.push(String(message));
    }
  }
  if (unplaced.length) {
    general.textContent = unplaced.join(" ");
    general.hidden = false;
  }
}
