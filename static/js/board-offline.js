// The board on a registered tablet when the network is not there: every act kept in the
// outbox before it is sent (outbox.js), shown on its tile at once as "waiting", replayed in
// order when the network returns, and every answer shown — applied, done already by another
// tablet, a conflict for the site lead, or refused. The check-out sheet works from the day's
// roster (who may collect, their codes as salted hashes). board.js calls the hooks below.
(function () {
  "use strict";
  var root = document.getElementById("board");
  var box = window.ffsOutbox;
  if (!root || !box || !root.dataset.sync) return;
  var words = JSON.parse(document.getElementById("board-words").textContent);
  var sheetEl = document.getElementById("sheet");
  var sheetBody = document.getElementById("sheet-body");
  var roster = null;
  var waiting = 0;
  var REPLAY_MS = 30000;

  function say(text, values) {
    return text.replace(/\{(\w+)\}/g, function (_m, name) { return values[name]; });
  }
  function tileOf(key) { return document.getElementById("t-" + key); }
  function offlineNow() { return !navigator.onLine; }

  // Who is acting: the person who unlocked the tablet (offline, the one who typed their PIN).
  function actor() {
    try {
      var offline = JSON.parse(window.sessionStorage.getItem("ffs-offline-user") || "null");
      if (offline && offlineNow()) return offline;
    } catch (_e) { /* no session storage */ }
    return { id: parseInt(root.dataset.user, 10), name: root.dataset.userName };
  }

  // ---- What an act means, for the outbox ----------------------------------------------------

  function fields(body, names) {
    var data = {};
    names.forEach(function (name) { data[name] = body.get(name) || ""; });
    return data;
  }

  // The outbox's acts for one board act (a group check-in is one act per child).
  function offlineActs(act) {
    var now = new Date().toISOString();
    var by = actor().id;
    var base = { by: by, at: now, site: root.dataset.site, url: act.url };
    var body = act.body || new URLSearchParams();
    switch (act.kind) {
      case "check_in":
        return [Object.assign({ key: act.key, kind: "check_in", child: act.child, data: fields(body, ["dropped_off_by"]) }, base)];
      case "check_in_many":
        return body.getAll("child").map(function (child) {
          return Object.assign({ key: box.newKey(), kind: "check_in", child: child, data: {}, group: act.key }, base);
        });
      case "check_out":
        var out = fields(body, ["collector", "pickup_code"]);
        out.acknowledged = body.get("acknowledged") === "on";
        return [Object.assign({ key: act.key, kind: "check_out", child: act.child, data: out }, base)];
      case "refusal":
        return [Object.assign({ key: act.key, kind: "refusal", child: act.child, data: fields(body, ["reason", "adult", "name", "relation"]) }, base)];
      case "absence":
        return [Object.assign({ key: act.key, kind: "absence", child: act.child, data: fields(body, ["reason", "note"]) }, base)];
      case "incident":
        return [Object.assign({ key: act.key, kind: "incident", child: act.child, data: fields(body, ["kind", "description", "action_taken"]) }, base)];
      default:
        return [];
    }
  }

  var STATUS_AFTER = { check_in: "present", check_out: "collected", absence: "absent" };

  // ---- Tiles ----------------------------------------------------------------------------------

  function showStatus(key, status, waitingNote) {
    var tile = tileOf(key);
    if (!tile || !status) return;
    tile.dataset.s = status;
    ["expected", "present", "collected", "absent"].forEach(function (s) { tile.classList.toggle("st-" + s, s === status); });
    tile.classList.remove("overdue");
    var ribbon = tile.querySelector(".rb");
    if (ribbon) {
      ribbon.innerHTML = '<i class="bi ' + words.icons[status] + '" aria-hidden="true"></i> ';
      ribbon.append(words.status[status]);
    }
    var note = tile.querySelector(".wq");
    if (waitingNote && !note) {
      note = document.createElement("span");
      note.className = "wq";
      note.setAttribute("role", "status");
      note.innerHTML = '<i class="bi bi-cloud-upload" aria-hidden="true"></i> ';
      note.append(words.waiting);
      tile.querySelector(".tm").appendChild(note);
    } else if (!waitingNote && note) {
      note.remove();
    }
    if (waitingNote) recount();
  }

  // The counters from the tiles, while the portal cannot count them.
  function recount() {
    var counts = { expected: 0, present: 0, collected: 0, absent: 0 };
    root.querySelectorAll(".tile").forEach(function (tile) { counts[tile.dataset.s] += 1; });
    Object.keys(counts).forEach(function (status) {
      var number = document.querySelector("#board-counters .c-" + status + " .n");
      if (number) number.textContent = counts[status];
    });
  }

  // What the outbox holds, on the tiles (after a reload, or a refresh that does not know yet).
  function overlay() {
    return box.all().then(function (acts) {
      acts.forEach(function (act) {
        if (act.site !== root.dataset.site || !STATUS_AFTER[act.kind]) return;
        showStatus(act.child, STATUS_AFTER[act.kind], true);
      });
    });
  }

  // The statuses the board showed last, kept for a reload while offline.
  function remember() {
    var statuses = {};
    root.querySelectorAll(".tile").forEach(function (tile) { statuses[tile.dataset.k] = tile.dataset.s; });
    var live = document.getElementById("board-live");
    box.put("tiles-" + root.dataset.site, { seq: parseInt(live.dataset.seq, 10) || 0, statuses: statuses });
  }

  function recall() {
    return box.get("tiles-" + root.dataset.site).then(function (kept) {
      var live = document.getElementById("board-live");
      if (!kept || kept.seq <= (parseInt(live.dataset.seq, 10) || 0)) return;
      Object.keys(kept.statuses).forEach(function (key) { showStatus(key, kept.statuses[key], false); });
    });
  }

  // ---- Toasts and the sheet ----------------------------------------------------------------

  function toast(level, message) {
    var item = document.createElement("div");
    item.className = "toast-item t-" + level;
    item.setAttribute("role", "alert");
    item.dataset.ttl = level === "danger" ? "20" : "8";
    var icon = document.createElement("i");
    icon.className = "bi " + (level === "danger" ? "bi-exclamation-octagon-fill" : level === "warning" ? "bi-exclamation-triangle-fill" : "bi-cloud-check");
    icon.setAttribute("aria-hidden", "true");
    var text = document.createElement("span");
    text.className = "toast-text";
    text.textContent = message;
    item.append(icon, " ", text);
    var holder = document.getElementById("toasts");
    holder.insertBefore(item, holder.firstChild);
    window.setTimeout(function () { item.remove(); }, parseInt(item.dataset.ttl, 10) * 1000);
  }

  function childOf(key) {
    return roster && roster.children.find(function (c) { return c.key === key; });
  }

  function element(tag, attrs, text) {
    var el = document.createElement(tag);
    Object.keys(attrs || {}).forEach(function (name) { el.setAttribute(name, attrs[name]); });
    if (text !== undefined) el.textContent = text;
    return el;
  }

  // The sheet from the day's roster: who may collect (with the code), who must not, someone
  // else; or check-in and absence for a child not here.
  function offlineSheet(key) {
    var child = childOf(key);
    var tile = tileOf(key);
    if (!child || !tile) {
      toast("danger", words.needsNetwork);
      return;
    }
    var status = tile.dataset.s;
    sheetBody.innerHTML = "";
    var header = element("div", { class: "modal-header sheet-header st-" + status, "data-child": key });
    header.append(element("h2", { class: "modal-title h3", id: "sheet-title" }, child.name));
    var close = element("button", { type: "button", class: "btn-close", "data-bs-dismiss": "modal", "aria-label": words.close });
    header.append(close);
    var body = element("div", { class: "modal-body sheet" });
    body.append(element("p", { class: "offline-sheet-note" }, words.offlineSheet));
    if (child.allergies) body.append(element("div", { class: "sheet-allergy" }, words.allergies + ": " + child.allergies));
    if (status === "present") body.append(checkoutForm(child));
    if (child.not_allowed.length) {
      var no = element("div", { class: "not-allowed" });
      no.append(element("h3", { class: "h5" }, words.mayNotCollect));
      child.not_allowed.forEach(function (name) { no.append(element("div", { class: "not-allowed-person" }, name)); });
      body.append(no);
    }
    if (status === "present") body.append(someoneElseForm(child));
    if (status === "expected" || status === "absent") body.append(checkInForm(child), absenceForm(child));
    sheetBody.append(header, body);
    window.bootstrap.Modal.getOrCreateInstance(sheetEl).show();
  }

  function checkoutForm(child) {
    var form = element("form", { class: "checkout", "data-offline": "check_out" });
    form.append(element("h3", { class: "h5" }, words.whoCollects));
    var list = element("div", { class: "collectors" });
    child.collectors.forEach(function (person) {
      var label = element("label", { class: "collector" });
      var radio = element("input", { type: "radio", name: "collector", value: person.id, required: "" });
      radio.dataset.name = person.name;
      radio.dataset.code = person.code;
      var text = element("span", { class: "person-text" });
      text.append(element("span", { class: "person-name" }, person.name), element("span", { class: "person-relation" }, person.relation));
      label.append(radio, text);
      list.append(label);
    });
    form.append(list);
    if (roster.code_required) {
      var code = element("div", { class: "pickup-code mt-2" });
      code.append(element("label", { class: "form-label fw-bold", for: "offline-code" }, words.pickupCode));
      code.append(element("input", { class: "form-control", id: "offline-code", name: "pickup_code", inputmode: "numeric", maxlength: "4", autocomplete: "off", required: "" }));
      form.append(code);
    }
    form.append(element("button", { type: "submit", class: "btn btn-lg btn-primary w-100 mt-2" }, words.confirmHandOver));
    return form;
  }

  function someoneElseForm() {
    var form = element("form", { class: "mt-3", "data-offline": "refusal" });
    form.append(element("input", { type: "hidden", name: "reason", value: "not_listed" }));
    form.append(element("label", { class: "form-label", for: "offline-refuse-name" }, words.nameOfPerson));
    form.append(element("input", { class: "form-control", id: "offline-refuse-name", name: "name", maxlength: "50" }));
    form.append(element("button", { type: "submit", class: "btn btn-danger btn-lg w-100 mt-2" }, words.refuseAndRecord));
    return form;
  }

  function checkInForm() {
    var form = element("form", { "data-offline": "check_in" });
    form.append(element("button", { type: "submit", class: "btn btn-lg btn-success w-100" }, words.checkIn));
    return form;
  }

  function absenceForm() {
    var form = element("form", { class: "absence mt-3", "data-offline": "absence" });
    form.append(element("h3", { class: "h5" }, words.markAbsent));
    var reasons = element("div", { class: "absence-reasons" });
    Object.keys(words.reasons).forEach(function (value) {
      var label = element("label", { class: "btn btn-lg btn-reason" });
      label.append(element("input", { type: "radio", name: "reason", value: value, required: "" }), " " + words.reasons[value]);
      reasons.append(label);
    });
    form.append(reasons, element("button", { type: "submit", class: "btn btn-lg btn-warning w-100 mt-2" }, words.markAbsent));
    return form;
  }

  sheetEl.addEventListener("submit", function (event) {
    var form = event.target.closest("form[data-offline]");
    if (!form) return;
    event.preventDefault();
    var key = sheetBody.querySelector("[data-child]").dataset.child;
    var child = childOf(key);
    var kind = form.dataset.offline;
    var body = new URLSearchParams(new FormData(form));
    var act = { key: box.newKey(), kind: kind, child: key, body: body, url: "" };
    if (kind === "check_out") {
      var chosen = form.querySelector("input[name=collector]:checked");
      var typed = body.get("pickup_code") || "";
      var check = roster.code_required ? box.sha256(roster.salt + ":" + typed) : Promise.resolve(chosen.dataset.code);
      check.then(function (digest) {
        if (digest !== chosen.dataset.code) {
          // A wrong code: refused at the door, recorded when the network is back.
          var refusal = new URLSearchParams({ reason: "wrong_code", adult: chosen.value.split(":")[1], name: chosen.dataset.name });
          take({ key: box.newKey(), kind: "refusal", child: key, body: refusal, url: "" });
          var line = element("div", { class: "refusal", role: "alert" });
          line.append(element("div", { class: "refusal-head" }, say(words.wrongCode, { name: chosen.dataset.name, child: child.name })));
          form.prepend(line);
          return;
        }
        take(act);
        window.bootstrap.Modal.getOrCreateInstance(sheetEl).hide();
      });
      return;
    }
    take(act);
    if (kind === "refusal") toast("danger", say(words.refusedOffline, { child: child.name }));
    window.bootstrap.Modal.getOrCreateInstance(sheetEl).hide();
  });

  // ---- The hooks board.js calls ----------------------------------------------------------------

  // Keep an act in the outbox before it is sent.
  function keep(act) {
    act.items = offlineActs(act);
    act.kept = true;
    act.items.forEach(box.add);
  }

  // The network is gone: the act stays in the outbox and shows on its tile as waiting. An
  // act that needs the network (undo, a card scanned…) is not kept: the page says so.
  function take(act) {
    if (!act.kept) keep(act);
    if (!act.items.length) {
      toast("danger", words.needsNetwork);
      return;
    }
    act.items.forEach(function (item) {
      if (STATUS_AFTER[item.kind]) showStatus(item.child, STATUS_AFTER[item.kind], true);
    });
  }

  // The portal answered for the act: it leaves the outbox.
  function done(act) {
    (act.items || []).forEach(function (item) { box.remove(item.key); });
  }

  function answered(result, act) {
    var child = childOf(result.child);
    var name = child ? child.name : "";
    if (result.status && result.child) showStatus(result.child, result.status, false);
    if (result.outcome === "conflict") toast("warning", name + ": " + result.message);
    else if (result.outcome === "refused") toast("danger", (name ? name + ": " : "") + result.message);
    else if (act && act.kind === "check_out" && result.outcome === "applied") toast("success", say(words.sent, { child: name }));
  }

  function replay() {
    if (offlineNow() || !waiting) return Promise.resolve();
    return box.replay(root.dataset.sync, answered).then(function () {
      document.dispatchEvent(new CustomEvent("ffs:refresh"));
    }).catch(function () { /* the next try */ });
  }

  function loadRoster() {
    if (offlineNow()) return box.get("roster-" + root.dataset.site).then(function (kept) { roster = kept; });
    return window.fetch(root.dataset.roster, { credentials: "same-origin", headers: { "X-Tablet-Poll": "1" } })
      .then(function (response) { return response.ok ? response.json() : null; })
      .then(function (fresh) {
        if (!fresh) return box.get("roster-" + root.dataset.site).then(function (kept) { roster = kept; });
        roster = fresh;
        return box.put("roster-" + root.dataset.site, fresh);
      })
      .catch(function () { return box.get("roster-" + root.dataset.site).then(function (kept) { roster = kept; }); });
  }

  box.onChange(function (n) {
    waiting = n;
    document.dispatchEvent(new CustomEvent("ffs:outbox", { detail: n }));
  });

  window.ffsOffline = {
    keep: keep,
    take: take,
    done: done,
    sheet: offlineSheet,
    seen: remember,
    offline: offlineNow,
    waiting: function () { return waiting; },
  };

  // A worker who unlocked online: their PIN's verifier, kept for an offline unlock today.
  if (!offlineNow()) box.confirmVerifier(parseInt(root.dataset.user, 10));
  var who = actor();
  var chip = document.querySelector(".tb-person");
  if (chip && who.name) chip.lastChild.textContent = " " + who.name;

  box.forgetOtherDays().then(loadRoster).then(offlineNow() ? recall : null).then(overlay).then(replay);
  window.addEventListener("online", replay);
  document.addEventListener("visibilitychange", function () { if (!document.hidden) replay(); });
  window.setInterval(replay, REPLAY_MS);
  document.addEventListener("ffs:acted", function () { window.setTimeout(replay, 500); });
})();
