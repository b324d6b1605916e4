// wirewatch desk: live stories over server-sent events, and the mute buttons. No inline
// script anywhere (the Content-Security-Policy forbids it); every story's HTML is rendered and
// escaped by the server.
"use strict";

function liveStories() {
  const list = document.getElementById("stories");
  const state = document.getElementById("live-state");
  if (!list || !list.dataset.live || !window.EventSource) return;
  const url = list.dataset.live + (list.dataset.live.includes("?") ? "&" : "?") +
    "after=" + encodeURIComponent(list.dataset.after);
  const source = new EventSource(url);
  const say = (text) => { if (state) state.textContent = text; };
  source.onopen = () => say("live");
  source.onerror = () => say("reconnecting…");
  source.addEventListener("story", (event) => {
    const story = JSON.parse(event.data);
    if (document.getElementById("a-" + story.id)) return;
    const empty = document.getElementById("empty");
    if (empty) empty.remove();
    list.insertAdjacentHTML("afterbegin", story.html);
    const added = document.getElementById("a-" + story.id);
    if (added) added.classList.add("fresh");
  });
  source.addEventListener("update", (event) => {
    const story = JSON.parse(event.data);
    const shown = document.getElementById("a-" + story.id);
    if (!shown) return;
    const open = shown.querySelector("details.sources").open;
    shown.outerHTML = story.html;
    const replaced = document.getElementById("a-" + story.id);
    replaced.classList.add("fresh");
    replaced.querySelector("details.sources").open = open || replaced.querySelector("details.sources").open;
  });
}

async function mute(button) {
  const name = button.dataset.name;
  button.disabled = true;
  try {
    const response = await fetch("/api/silences", {
      method: "POST",
      credentials: "same-origin",
      headers: { "Content-Type": "application/json" },
      body: JSON.stringify({
        matchers: { entity: button.dataset.entity },
        duration: "6h",
        comment: "muted from the desk",
        author: "desk",
      }),
    });
    button.textContent = response.status === 201 ? "muted 6 h" : "could not mute";
    if (response.status !== 201) button.disabled = false;
  } catch (error) {
    button.textContent = "could not mute";
    button.disabled = false;
  }
  button.setAttribute("aria-label", button.textContent + ": " + name);
}

document.addEventListener("click", (event) => {
  const button = event.target.closest("button.mute");
  if (button) mute(button);
});
document.addEventListener("DOMContentLoaded", liveStories);
