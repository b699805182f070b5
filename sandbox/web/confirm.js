// The confirmation dialog Slack shows before sending an action whose element has `confirm`.

import { el } from "./dom.js";
import { plainText, renderText } from "./mrkdwn.js";

/** Show `confirm` (`{title, text, confirm, deny, style}`); resolves true when confirmed. */
export function confirmDialog(confirm, ctx = {}) {
  return new Promise((resolve) => {
    const finish = (answer) => {
      document.removeEventListener("keydown", onKey, true);
      backdrop.remove();
      resolve(answer);
    };
    const onKey = (event) => {
      if (event.key === "Escape") {
        event.stopPropagation();
        finish(false);
      }
    };
    const style = confirm.style === "danger" ? "btn-danger" : "btn-primary";
    const yes = el(
      "button",
      { type: "button", class: `btn ${style}`, onClick: () => finish(true) },
      plainText(confirm.confirm) || "Yes",
    );
    const no = el(
      "button",
      { type: "button", class: "btn", onClick: () => finish(false) },
      plainText(confirm.deny) || "Cancel",
    );
    const dialog = el(
      "div",
      {
        class: "dialog confirm-dialog",
        role: "alertdialog",
        "aria-modal": "true",
        "aria-label": plainText(confirm.title) || "Are you sure?",
      },
      el("h2", { class: "dialog-title" }, plainText(confirm.title) || "Are you sure?"),
      el("div", { class: "dialog-body md" }, renderText(confirm.text, ctx)),
      el("div", { class: "dialog-buttons" }, no, yes),
    );
    const backdrop = el("div", { class: "backdrop backdrop-confirm" }, dialog);
    backdrop.addEventListener("click", (event) => event.target === backdrop && finish(false));
    document.addEventListener("keydown", onKey, true);
    document.body.append(backdrop);
    yes.focus();
  });
}
