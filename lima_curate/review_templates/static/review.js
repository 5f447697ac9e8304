// Keyboard shortcuts of the review page (served from the package: the Content-Security-Policy allows
// no inline script). A key typed into a field is text, not a shortcut, except Esc and Ctrl+Enter.
"use strict";

function follow(id) {
  const link = document.getElementById(id);
  if (link) window.location.assign(link.href);
}

function toggleHelp(show) {
  const help = document.getElementById("help");
  if (help) help.hidden = show === undefined ? !help.hidden : !show;
}

document.addEventListener("keydown", (event) => {
  const target = event.target;
  const typing = target instanceof HTMLElement && target.closest("input, textarea, select") !== null;
  if (event.key === "Escape") {
    const help = document.getElementById("help");
    if (help && !help.hidden) return toggleHelp(false);
    if (typing) return target.blur();
    return follow("back");
  }
  if (typing) {
    if (event.key === "Enter" && (event.ctrlKey || event.metaKey) && target.form) target.form.requestSubmit();
    return;
  }
  if (event.ctrlKey || event.metaKey || event.altKey) return;
  const actions = {
    "?": () => toggleHelp(),
    a: () => document.getElementById("accept-form")?.requestSubmit(),
    r: () => document.getElementById("reject-reason")?.focus(),
    e: () => follow("edit-response"),
    p: () => follow("edit-prompt"),
    j: () => follow("next"),
    k: () => follow("prev"),
    u: () => follow("up"),
  };
  const action = actions[event.key];
  if (action) {
    event.preventDefault();
    action();
  }
});

// In the reason list, Enter rejects with the reason chosen.
document.addEventListener("DOMContentLoaded", () => {
  const reason = document.getElementById("reject-reason");
  if (reason) {
    reason.addEventListener("keydown", (event) => {
      if (event.key === "Enter") {
        event.preventDefault();
        reason.form.requestSubmit();
      }
    });
  }
});
