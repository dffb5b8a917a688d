// matchledger's pages: a live match centre, the bracket's time machine, the operator console.
// Plain JavaScript served by the package itself: no CDN, works offline.
"use strict";

function swap(target, url) {
  return fetch(url, { headers: { Accept: "text/html" } })
    .then((r) => (r.ok ? r.text() : Promise.reject(new Error(r.statusText))))
    .then((html) => { target.innerHTML = html; });
}

// The match centre and the console: the feed says when the match changes, the server renders.
function live() {
  const box = document.getElementById("match");
  if (!box || !box.dataset.live) return;
  const state = document.getElementById("feed-state");
  const feed = new EventSource("/api/feed?match=" + encodeURIComponent(box.dataset.match));
  feed.addEventListener("open", () => { if (state) state.textContent = "live: connected"; });
  feed.addEventListener("error", () => { if (state) state.textContent = "live: reconnecting…"; });
  feed.addEventListener("appended", (e) => {
    if (state) state.textContent = "live: updated at position " + e.lastEventId;
    swap(box, box.dataset.live);
    document.querySelectorAll("[data-refresh]").forEach(refresh);
  });
  // the clock moves on between events: while the match is live, ask again every half minute
  setInterval(() => { if (box.querySelector(".scoreboard.live")) swap(box, box.dataset.live); },
              30000);
}

// A list the match's events feed (the console's amendable events), the choice kept if it stands.
function refresh(select) {
  const chosen = select.value;
  swap(select, select.dataset.refresh).then(() => {
    if ([...select.options].some((o) => o.value === chosen)) select.value = chosen;
  }).catch(() => {});
}

// The competition page: a slider of moments from the draw to now, and a known-at switch.
function timeMachine() {
  const form = document.getElementById("timemachine");
  if (!form) return;
  const slider = document.getElementById("as-of");
  const label = document.getElementById("as-of-label");
  const known = document.getElementById("known");
  const target = document.getElementById("competition");
  const moments = (slider.dataset.moments || "").split(" ").filter(Boolean);
  let pending = 0;
  function show() {
    const moment = moments[Number(slider.value)] || "";
    label.textContent = moment || "now";
    const params = new URLSearchParams();
    if (moment) {
      params.set("as_of", moment);
      if (known.checked) params.set("known_at", moment);
    }
    const query = params.toString();
    const ask = ++pending;
    fetch(form.dataset.part + (query ? "?" + query : ""))
      .then((r) => r.text())
      .then((html) => {
        if (ask !== pending) return; // a later move of the slider wins
        target.innerHTML = html;
        history.replaceState(null, "", form.action + (query ? "?" + query : ""));
      });
  }
  slider.addEventListener("input", show);
  known.addEventListener("change", show);
}

// The operator console: each form posts its event as JSON with the write token.
function console_() {
  const box = document.getElementById("console");
  if (!box) return;
  const token = document.getElementById("token");
  const result = document.getElementById("result");
  token.value = localStorage.getItem("matchledger-token") || "";
  token.addEventListener("change", () => localStorage.setItem("matchledger-token", token.value));
  box.querySelectorAll("form").forEach((form) => {
    form.querySelectorAll("input[name=team]").forEach((radio) =>
      radio.addEventListener("change", () =>
        form.querySelectorAll("[data-roster]").forEach((input) =>
          input.setAttribute("list", "players-" + radio.value))));
    form.addEventListener("submit", (e) => {
      e.preventDefault();
      const body = {};
      new FormData(form).forEach((value, key) => {
        if (value === "") return;
        const input = form.querySelector("[name=" + key + "]");
        body[key] = input && input.type === "number" ? Number(value)
          : input && input.type === "checkbox" ? true : value;
      });
      if (e.submitter && e.submitter.name) body[e.submitter.name] = e.submitter.value;
      // when it happened, for every form but an amendment's (its time is the original's):
      // a time typed, or now (insisting if ticked, though the match is not live now)
      const at = document.getElementById("at").value.trim();
      if (form.dataset.route !== "amend") {
        if (at) body.at = at;
        else if (document.getElementById("now").checked) body.now = true;
      }
      result.className = "result";
      result.textContent = "…";
      fetch(box.dataset.api + "/" + form.dataset.route, {
        method: "POST",
        headers: { "Content-Type": "application/json", Authorization: "Bearer " + token.value },
        body: JSON.stringify(body),
      })
        .then((r) => r.json().then((data) => ({ ok: r.ok, data })))
        .then(({ ok, data }) => {
          if (ok) {
            const said = data.appended.map((a) => a.type + " at position " + a.position);
            result.className = "result ok";
            result.textContent = "appended " + said.join(", ");
          } else {
            result.className = "result refused";
            result.textContent = data.error;
          }
        })
        .catch(() => { result.className = "result refused"; result.textContent = "no answer from the server"; });
    });
  });
}

document.addEventListener("DOMContentLoaded", () => { live(); timeMachine(); console_(); });
