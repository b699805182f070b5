"""sandbox/web/mrkdwn.js against the shared table of mrkdwn cases, run under Node.

mrkdwn.js is a browser ES module that builds DOM nodes. The harness below gives it a DOM just big
enough (elements, text nodes, fragments) and writes the result as HTML in the table's terms, so
CI, which runs pytest and not a browser, checks the sandbox page reads Slack text as
ui.markup does (tests/ui/test_markup_cases.py).
"""

from __future__ import annotations

import json
import re
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest

ROOT = Path(__file__).resolve().parents[2]
WEB = ROOT / "sandbox" / "web"
TABLE: dict[str, Any] = json.loads(
    (ROOT / "tests" / "fixtures" / "mrkdwn_cases.json").read_text(encoding="utf-8")
)
NODE = shutil.which("node")

HARNESS = r"""
class Node {
  constructor() { this.childNodes = []; }
  append(...items) {
    for (const item of items) {
      const node = item instanceof Node ? item : new Text(String(item));
      // As in the DOM, appending a fragment moves its children.
      if (node instanceof DocumentFragment) this.childNodes.push(...node.childNodes.splice(0));
      else this.childNodes.push(node);
    }
  }
  replaceChildren(...items) { this.childNodes = []; this.append(...items); }
}
class Text extends Node { constructor(data) { super(); this.data = data; } }
class DocumentFragment extends Node {}
class Element extends Node {
  constructor(tag) {
    super();
    this.tagName = tag.toLowerCase();
    this.attributes = new Map();
    this.dataset = {};
    this.className = "";
  }
  setAttribute(name, value) { this.attributes.set(name, String(value)); }
  addEventListener() {}
}
globalThis.Node = Node;
globalThis.document = {
  createElement: (tag) => new Element(tag),
  createDocumentFragment: () => new DocumentFragment(),
  createTextNode: (data) => new Text(data),
};

const escapeText = (s) => s.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;");
const escapeAttr = (s) => escapeText(s).replace(/"/g, "&quot;");

// Only what the table speaks of: tags, href and the mention class. Classes for looks, data-*,
// title, target and rel are the sandbox's own; emoji spans and <time> are unwrapped. A line break
// in text is a <br> (the page shows text with white-space: pre-wrap), except inside <pre>.
function serialize(node, inPre = false) {
  if (node instanceof Text) {
    const text = escapeText(node.data);
    return inPre ? text : text.replace(/\n/g, "<br>");
  }
  const pre = inPre || node.tagName === "pre";
  const inner = node.childNodes.map((child) => serialize(child, pre)).join("");
  if (!(node instanceof Element)) return inner;
  const mention = node.className.split(/\s+/).includes("mention");
  if ((node.tagName === "span" && !mention) || node.tagName === "time") return inner;
  let attrs = "";
  if (node.tagName === "a" && node.attributes.has("href"))
    attrs += ` href="${escapeAttr(node.attributes.get("href"))}"`;
  if (mention) attrs += ' class="mention"';
  return `<${node.tagName}${attrs}>${inner}</${node.tagName}>`;
}

const { renderMrkdwn } = await import("./mrkdwn.js");
let raw = "";
for await (const chunk of process.stdin) raw += chunk;
const input = JSON.parse(raw);
const ctx = { userName: (id) => input.users[id], channelName: (id) => input.channels[id] };
const out = input.texts.map((text) => {
  try {
    return serialize(renderMrkdwn(text, ctx));
  } catch (error) {
    return `ERROR: ${error}`;
  }
});
process.stdout.write(JSON.stringify(out));
"""


def js_cases() -> list[Any]:
    return [
        pytest.param(case, id=case["name"])
        for case in TABLE["cases"]
        if case.get("only", "js") == "js"
    ]


def flat(html: str) -> str:
    """The table's page HTML as the sandbox shows it: Slack's flat lines, no paragraphs."""
    return re.sub(r"</?p>", "", html.replace("</p><p>", "<br><br>"))


@pytest.fixture(scope="module")
def rendered(tmp_path_factory: pytest.TempPathFactory) -> dict[str, str]:
    if NODE is None:
        pytest.skip("node is not installed")
    # The page's modules, as ES modules Node will load (the folder has no package.json).
    work = tmp_path_factory.mktemp("mrkdwn-js")
    for source in WEB.glob("*.js"):
        shutil.copy(source, work / source.name)
    (work / "package.json").write_text('{"type": "module"}', encoding="utf-8")
    (work / "harness.js").write_text(HARNESS, encoding="utf-8")
    cases = [case for case in TABLE["cases"] if case.get("only", "js") == "js"]
    payload = {
        "users": TABLE["users"],
        "channels": TABLE["channels"],
        "texts": [case["mrkdwn"] for case in cases],
    }
    result = subprocess.run(
        [NODE, "harness.js"],
        cwd=work,
        input=json.dumps(payload),
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
        env={"TZ": "UTC", "PATH": ""},
    )
    assert result.returncode == 0, result.stderr
    return dict(zip([case["name"] for case in cases], json.loads(result.stdout), strict=True))


@pytest.mark.parametrize("case", js_cases())
def test_mrkdwn_js_case(rendered: dict[str, str], case: dict[str, Any]) -> None:
    assert rendered[case["name"]] == case.get("js_html", flat(case["html"]))
