// A suggestion list above a composer: Tab (or a click) completes the highlighted entry, arrows
// move, Escape closes. Enter still sends, so typing a whole name and pressing Enter just works.

import { el, replaceChildren } from "./dom.js";
import { suggestionsFor } from "./compose.js";

export function attachSuggestions(textarea, workspace) {
  const list = el("ul", { class: "suggestions", role: "listbox", "aria-label": "Suggestions", hidden: true });
  textarea.closest("form").append(list);
  let current = null;
  let highlighted = 0;

  const close = () => {
    current = null;
    list.hidden = true;
  };

  const accept = (index) => {
    if (!current) return;
    const item = current.items[index];
    const caret = textarea.selectionStart;
    textarea.value = textarea.value.slice(0, current.start) + item.insert + textarea.value.slice(caret);
    const position = current.start + item.insert.length;
    textarea.setSelectionRange(position, position);
    close();
    textarea.focus();
  };

  const show = () => {
    current = suggestionsFor(textarea.value, textarea.selectionStart, workspace);
    if (!current) return close();
    highlighted = Math.min(highlighted, current.items.length - 1);
    replaceChildren(
      list,
      current.items.map((item, index) =>
        el(
          "li",
          {
            role: "option",
            class: index === highlighted ? "suggestion highlighted" : "suggestion",
            "aria-selected": index === highlighted ? "true" : "false",
            onMousedown: (event) => {
              event.preventDefault(); // keep the caret in the composer
              accept(index);
            },
          },
          el("span", { class: "suggestion-label" }, item.label),
          item.detail ? el("span", { class: "suggestion-detail" }, item.detail) : null,
        ),
      ),
    );
    list.hidden = false;
  };

  textarea.addEventListener("input", () => {
    highlighted = 0;
    show();
  });
  textarea.addEventListener("blur", close);
  textarea.addEventListener("keydown", (event) => {
    if (!current) return;
    if (event.key === "Tab") {
      event.preventDefault();
      accept(highlighted);
    } else if (event.key === "ArrowDown" || event.key === "ArrowUp") {
      event.preventDefault();
      const count = current.items.length;
      highlighted = (highlighted + (event.key === "ArrowDown" ? 1 : count - 1)) % count;
      show();
    } else if (event.key === "Escape") {
      event.preventDefault();
      close();
    } else if (event.key === "Enter") {
      close();
    }
  });
  return { close };
}
