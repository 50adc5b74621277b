#include "web/static_assets.hpp"

namespace openbar::web {

const std::string_view stylesheet = R"css(:root {
  --ink: #1d2330; --muted: #5d6677; --line: #d9dee7; --accent: #2457c5; --danger: #b42318;
  --paper: #ffffff; --ground: #f3f5f9;
  font-family: system-ui, -apple-system, "Segoe UI", Roboto, sans-serif; color: var(--ink);
}
* { box-sizing: border-box; }
[hidden] { display: none !important; }
body { margin: 0; background: var(--ground); line-height: 1.5; }
.bar { display: flex; gap: 1rem; align-items: center; padding: 0.75rem 1.5rem; background: var(--paper);
  border-bottom: 1px solid var(--line); }
.brand { font-weight: 700; letter-spacing: 0.02em; }
.who { margin-left: auto; color: var(--muted); }
.card { max-width: 46rem; margin: 2rem auto; padding: 1.5rem 2rem; background: var(--paper);
  border: 1px solid var(--line); border-radius: 8px; }
.card.narrow { max-width: 28rem; }
h1 { font-size: 1.5rem; margin: 0 0 1rem; }
h2 { font-size: 1.1rem; margin: 0 0 0.5rem; }
section { border-top: 1px solid var(--line); padding: 1.25rem 0 1rem; }
label { display: block; margin: 0.75rem 0 0.25rem; font-weight: 600; }
input { width: 100%; padding: 0.5rem 0.6rem; border: 1px solid var(--line); border-radius: 6px; font: inherit; }
button, .button { display: inline-block; margin-top: 1rem; padding: 0.5rem 1rem; border: 1px solid var(--accent);
  border-radius: 6px; background: var(--accent); color: #fff; font: inherit; text-decoration: none; cursor: pointer; }
.secondary { background: var(--paper); color: var(--accent); }
.danger { background: var(--danger); border-color: var(--danger); }
button.link { margin: 0; padding: 0; border: 0; background: none; color: var(--accent); text-decoration: underline; }
form.inline { display: inline; }
code { font-family: ui-monospace, "SFMono-Regular", Menlo, monospace; font-size: 0.95em; }
.secret { display: inline-block; padding: 0.25rem 0.5rem; background: var(--ground); border-radius: 4px;
  word-break: break-all; }
.token-row { display: flex; gap: 0.75rem; align-items: center; flex-wrap: wrap; }
.token-row button { margin-top: 0; }
details { margin: 0.5rem 0; }
summary { cursor: pointer; color: var(--accent); }
.muted { color: var(--muted); }
.error { padding: 0.5rem 0.75rem; border-radius: 6px; background: #fdecea; color: var(--danger); }
.notice { padding: 0.5rem 0.75rem; border-radius: 6px; background: #e8f1ff; color: #173a85; }
.badge { display: inline-block; padding: 0 0.5rem; border-radius: 999px; font-size: 0.85em; font-weight: 700; }
.badge.on { background: #dcfae6; color: #067647; }
.badge.off { background: var(--ground); color: var(--muted); }
.qr svg { width: 12rem; height: 12rem; }
.codes { columns: 2; font-size: 1.05em; }
)css";

// Without JavaScript the copy button stays hidden; the token is still
// readable through the <details> element.
const std::string_view settings_script = R"js("use strict";
document.addEventListener("DOMContentLoaded", () => {
  for (const button of document.querySelectorAll("button[data-copy-target]")) {
    const source = document.getElementById(button.dataset.copyTarget);
    if (!source || !navigator.clipboard) continue;
    button.hidden = false;
    button.addEventListener("click", async () => {
      try {
        await navigator.clipboard.writeText(source.textContent.trim());
        button.textContent = "Copied";
      } catch (error) {
        button.textContent = "Copy failed";
      }
      setTimeout(() => { button.textContent = "Copy"; }, 2000);
    });
  }
});
)js";

}  // namespace openbar::web
