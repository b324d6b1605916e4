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

// Silences: built with textContent only, so a comment can never become markup.
const silencesApi = "/api/silences";

function cell(row, text) {
  const td = row.insertCell();
  td.textContent = text;
  td.dir = "auto";
  return td;
}

async function listSilences() {
  const table = document.getElementById("silences");
  if (!table) return;
  const body = table.tBodies[0];
  const response = await fetch(silencesApi, { credentials: "same-origin" });
  const silences = response.ok ? (await response.json()).silences : null;
  body.replaceChildren();
  if (!silences || silences.length === 0) {
    const row = body.insertRow();
    const td = cell(row, silences ? "No silences." : "Could not read the silences.");
    td.colSpan = 6;
    td.className = "empty";
    return;
  }
  for (const silence of silences) {
    const row = body.insertRow();
    row.className = "silence";
    cell(row, (silence.expressions || []).join(", "));
    cell(row, silence.state).className = "state state-" + silence.state;
    cell(row, new Date(silence.ends_at).toLocaleString());
    cell(row, silence.comment || "");
    cell(row, silence.author || "");
    const actions = row.insertCell();
    if (silence.state !== "expired") {
      const button = document.createElement("button");
      button.type = "button";
      button.className = "expire";
      button.dataset.id = silence.id;
      button.textContent = "Expire";
      button.setAttribute("aria-label", "Expire the silence " + (silence.expressions || []).join(", "));
      actions.append(button);
    }
  }
}

async function addSilence(form) {
  const data = new FormData(form);
  const response = await fetch(silencesApi, {
    method: "POST",
    credentials: "same-origin",
    headers: { "Content-Type": "application/json" },
    body: JSON.stringify({
      matchers: { entity: data.get("entity") },
      duration: data.get("duration"),
      comment: data.get("comment"),
      author: data.get("author") || undefined,
    }),
  });
  const status = document.getElementById("silence-status");
  if (response.status === 201) {
    status.textContent = "Silence added.";
    form.reset();
  } else {
    const problem = await response.json().catch(() => ({}));
    status.textContent = "Not added: " + (problem.message || response.statusText);
  }
  await listSilences();
}

async function expireSilence(button) {
  button.disabled = true;
  await fetch(silencesApi + "/" + encodeURIComponent(button.dataset.id), {
    method: "DELETE",
    credentials: "same-origin",
  });
  await listSilences();
}

document.addEventListener("submit", (event) => {
  if (event.target.id === "silence-form") {
    event.preventDefault();
    addSilence(event.target);
  }
});
document.addEventListener("DOMContentLoaded", listSilences);

document.addEventListener("click", (event) => {
  const expire = event.target.closest("button.expire");
  if (expire) expireSilence(expire);
  const button = event.target.closest("button.mute");
  if (button) mute(button);
});
document.addEventListener("DOMContentLoaded", liveStories);
