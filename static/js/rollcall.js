// The emergency roll call: one tap marks a person accounted for (a second tap takes it
// back); every tablet of the space sees the others' marks within a few seconds. A mark shows
// at once and says plainly when it has not reached the portal yet.
(function () {
  "use strict";
  var root = document.getElementById("roll-call");
  if (!root) return;
  var words = JSON.parse(document.getElementById("rc-words").textContent);
  var csrf = JSON.parse(document.body.getAttribute("hx-headers") || "{}")["X-CSRFToken"];
  var refreshMs = parseInt(root.dataset.refreshMs, 10) || 2000;
  var BACKOFF = [500, 1000, 2000, 4000, 8000];
  var loadedAt = Date.now();
  var pending = {};

  function live() { return document.getElementById("roll-live"); }
  function seq(el) { return parseInt(el.dataset.seq, 10) || 0; }

  // A newer state replaces the shown one; an older one (a late answer) never does. Marks
  // still on their way stay shown as they were tapped.
  function apply(html) {
    var template = document.createElement("template");
    template.innerHTML = html.trim();
    var incoming = template.content.getElementById("roll-live");
    var current = live();
    if (!incoming || seq(incoming) < seq(current)) return;
    current.replaceWith(incoming);
    loadedAt = Date.now();
    Object.keys(pending).forEach(function (key) { showPending(key); });
  }

  function tileOf(key) { return root.querySelector('.rc-tile[data-k="' + key + '"]'); }

  function showPending(key) {
    var tile = tileOf(key);
    var act = pending[key];
    if (!tile || !act) return;
    tile.classList.toggle("rc-ok", act.accounted);
    tile.classList.toggle("rc-no", !act.accounted);
    tile.setAttribute("aria-pressed", act.accounted ? "true" : "false");
    tile.classList.add("rc-pending");
    var note = tile.querySelector(".rc-unsaved");
    if (act.tries > 1 || act.failed || act.queued) {
      if (!note) {
        note = document.createElement("span");
        note.className = "rc-unsaved";
        tile.appendChild(note);
      }
      note.textContent = act.queued ? words.waiting : act.failed ? words.failed : words.unsaved;
    }
  }

  // On a registered tablet, a mark made with the network down waits in the outbox and is
  // sent when the network is back (outbox.js).
  var box = window.ffsOutbox && root.dataset.sync ? window.ffsOutbox : null;

  function keepOffline(key) {
    var act = pending[key];
    act.queued = true;
    showPending(key);
    var offline = JSON.parse(window.sessionStorage.getItem("ffs-offline-user") || "null");
    box.add({
      key: box.newKey(),
      kind: "roll_call_mark",
      child: null,
      by: offline ? offline.id : parseInt(root.dataset.user, 10),
      at: new Date().toISOString(),
      site: root.dataset.site,
      data: { roll_call: root.dataset.rollCall, entry: key, accounted: act.accounted },
    });
  }

  function replay() {
    if (!box || !navigator.onLine) return;
    box.replay(root.dataset.sync, function () {}).then(function () {
      Object.keys(pending).forEach(function (key) { if (pending[key].queued) delete pending[key]; });
      refresh();
    }).catch(function () {});
  }
  if (box) {
    window.addEventListener("online", replay);
    window.setInterval(replay, 30000);
    replay();
  }

  function send(key) {
    var act = pending[key];
    if (box && !navigator.onLine) return keepOffline(key);
    act.tries += 1;
    act.failed = false;
    showPending(key);
    var body = new URLSearchParams({ accounted: act.accounted ? "1" : "0" });
    window.fetch(act.url, {
      method: "POST",
      body: body,
      credentials: "same-origin",
      redirect: "manual",
      headers: { "X-CSRFToken": csrf, "HX-Request": "true" },
    }).then(function (response) {
      if (!response.ok) throw new Error("status " + response.status);
      return response.text().then(function (html) {
        delete pending[key];
        apply(html);
      });
    }).catch(function () {
      if (box && !navigator.onLine) return keepOffline(key);
      if (act.tries > BACKOFF.length) {
        act.failed = true;
        showPending(key);
        return;
      }
      showPending(key);
      window.setTimeout(function () { if (pending[key] === act) send(key); }, BACKOFF[act.tries - 1]);
    });
  }

  root.addEventListener("click", function (event) {
    var tile = event.target.closest(".rc-tile");
    if (!tile || tile.disabled) return;
    var key = tile.dataset.k;
    var accounted = !tile.classList.contains("rc-ok");
    pending[key] = { url: tile.dataset.mark, accounted: accounted, tries: 0 };
    send(key);
  });

  function refresh() {
    var params = new URLSearchParams({ v: live().dataset.version || "" });
    window.fetch(root.dataset.live + "?" + params.toString(), {
      credentials: "same-origin",
      redirect: "manual",
      headers: { "HX-Request": "true", "X-Tablet-Poll": "1" },
    }).then(function (response) {
      if (response.status !== 200) return;
      return response.text().then(apply);
    }).catch(function () {});
  }
  window.setInterval(function () { if (!document.hidden) refresh(); }, refreshMs);

  // The clock runs from the roll call's start until everyone is accounted for.
  function pad(n) { return String(n).padStart(2, "0"); }
  window.setInterval(function () {
    var current = live();
    if (current.dataset.running !== "1") return;
    var seconds = (parseInt(current.dataset.elapsed, 10) || 0) + Math.floor((Date.now() - loadedAt) / 1000);
    var hours = Math.floor(seconds / 3600);
    var minutes = Math.floor((seconds % 3600) / 60);
    var text = (hours ? hours + ":" + pad(minutes) : String(minutes)) + ":" + pad(seconds % 60);
    current.querySelector("[data-timer]").textContent = text;
  }, 1000);
})();
