// The tablet board: one tap checks a child in, a tap on a present child opens the check-out
// sheet, the board refreshes itself so two tablets agree. Served by the portal itself.
//
// What the screen shows is always true or says plainly that it is not known yet:
// - every act is sent with an idempotency key and sent again with the same key when the
//   answer is lost, late or a server error, until it lands or the tablet gives up and says
//   "not saved" on the tile;
// - every piece of an answer (tile, counters, ratio, the refreshed board) carries the board
//   version it shows, and a piece never replaces a newer one.
(function () {
  "use strict";
  var root = document.getElementById("board");
  if (!root) return;
  var urls = JSON.parse(document.getElementById("board-urls").textContent);
  var words = JSON.parse(document.getElementById("board-words").textContent);
  var csrf = JSON.parse(document.body.getAttribute("hx-headers") || "{}")["X-CSRFToken"];
  var placeholder = root.dataset.placeholder;
  var refreshMs = parseInt(root.dataset.refreshMs, 10) || 5000;
  var sheetEl = document.getElementById("sheet");
  var healthCheck = root.dataset.health && root.dataset.health !== "off";
  var sheetBody = document.getElementById("sheet-body");
  var scanEl = document.getElementById("scan-modal");
  var search = document.getElementById("board-search");
  var selectBar = document.getElementById("select-bar");
  var selectForm = document.getElementById("select-form");
  var selectButton = document.getElementById("select-button");
  var netState = document.getElementById("net-state");

  // A tablet waits this long for an answer before it counts the answer as lost.
  var TIMEOUT_MS = 10000;
  // Waits between tries of an act whose answer was lost (ms); then it is "not saved".
  var BACKOFF = JSON.parse(root.dataset.backoff || "[1000, 2000, 4000, 8000, 15000, 15000]");
  // A tile that changed state this recently ignores a tap (no check-in then check-out).
  var SETTLE_MS = 1000;

  var lastTouch = 0;
  var selecting = false;
  var acts = [];
  var changedAt = {};
  var refreshing = null;
  var refreshSerial = 0;
  var sending = 0;

  // aria-busy says whether the board is waiting for the server.
  function busy(delta) {
    sending += delta;
    root.setAttribute("aria-busy", sending > 0 || refreshing ? "true" : "false");
  }

  function url(name, key) { return urls[name].replace(placeholder, key); }
  function modal(el) { return window.bootstrap.Modal.getOrCreateInstance(el); }
  function isOpen(el) { return el.classList.contains("show"); }
  function say(text, values) {
    return text.replace(/\{(\w+)\}/g, function (_m, name) { return values[name]; });
  }
  function sheetChild() {
    var marked = sheetBody.querySelector("[data-child]");
    return isOpen(sheetEl) && marked ? marked.dataset.child : null;
  }
  function tileOf(key) { return document.getElementById("t-" + key); }
  function childName(key) {
    var tile = tileOf(key);
    var name = tile && tile.querySelector(".nm");
    return name ? name.textContent : "";
  }

  function newKey() {
    var bytes = new Uint8Array(16);
    window.crypto.getRandomValues(bytes);
    bytes[6] = (bytes[6] & 15) | 64;
    bytes[8] = (bytes[8] & 63) | 128;
    var hex = Array.prototype.map.call(bytes, function (b) { return (b + 256).toString(16).slice(1); }).join("");
    return [hex.slice(0, 8), hex.slice(8, 12), hex.slice(12, 16), hex.slice(16, 20), hex.slice(20)].join("-");
  }

  // ---- Applying answers -------------------------------------------------------------------

  function seqOf(el) { return parseInt(el.getAttribute("data-seq"), 10); }
  function isOlder(incoming, current) {
    var a = seqOf(incoming);
    var b = seqOf(current);
    return !isNaN(a) && !isNaN(b) && a < b;
  }

  // A tile whose state just changed shows it for a moment and ignores taps meanwhile.
  function settle(tile) {
    changedAt[tile.dataset.k] = Date.now();
    tile.classList.add("settling");
    window.setTimeout(function () { tile.classList.remove("settling"); }, SETTLE_MS);
  }

  function replace(current, incoming) {
    if (current.classList.contains("tile") && current.dataset.s !== incoming.dataset.s) settle(incoming);
    current.replaceWith(incoming);
    window.htmx.process(incoming);
  }

  // The refreshed board keeps every piece the tablet holds in a newer version.
  function keepNewer(fresh) {
    fresh.querySelectorAll("[id][data-seq]").forEach(function (incoming) {
      var current = document.getElementById(incoming.id);
      if (current && isOlder(incoming, current)) incoming.replaceWith(current);
    });
    fresh.querySelectorAll(".tile").forEach(function (incoming) {
      var current = tileOf(incoming.dataset.k);
      if (current && current !== incoming && current.dataset.s !== incoming.dataset.s) settle(incoming);
    });
  }

  // A morning rush must not bury the board under toasts: the newest few stay.
  var MAX_TOASTS = 3;

  function showToast(item) {
    var box = document.getElementById("toasts");
    box.insertBefore(item, box.firstChild);
    while (box.children.length > MAX_TOASTS) box.lastElementChild.remove();
    window.htmx.process(item);
    window.setTimeout(function () { item.remove(); }, (parseInt(item.dataset.ttl, 10) || 6) * 1000);
  }

  function apply(html, events) {
    var template = document.createElement("template");
    template.innerHTML = html;
    var pieces = Array.prototype.slice.call(template.content.children);
    var showing = sheetChild();
    var opening = events["ffs:openSheet"];
    var sheetTaken = null;
    pieces.forEach(function (piece) {
      if (piece.id !== "sheet-body") return;
      var marked = piece.querySelector("[data-child]");
      var child = marked && marked.dataset.child;
      // A late answer never replaces the sheet of another child.
      if (child && (child === showing || child === opening)) {
        sheetBody.innerHTML = piece.innerHTML;
        window.htmx.process(sheetBody);
        sheetTaken = child;
      }
    });
    pieces.forEach(function (piece) {
      var how = piece.getAttribute("hx-swap-oob");
      if (piece.id === "sheet-body" || !how) return;
      if (how.indexOf("afterbegin:") === 0) {
        Array.prototype.slice.call(piece.children).forEach(function (item) {
          if (item.dataset.fallbackFor && item.dataset.fallbackFor === sheetTaken) return;
          showToast(item);
        });
        return;
      }
      // A refresh that sent only the changed tiles says which version the board now shows,
      // so that the next refresh asks from there; never a version older than it holds. The
      // tiles it replaced stay where they were: the whole board, which sorts them again,
      // comes at least every five minutes (the time of day is part of the version).
      if (piece.id === "board-version") {
        var board = document.getElementById("board-live");
        if (board && !isOlder(piece, board)) {
          board.dataset.version = piece.dataset.version;
          board.dataset.seq = piece.dataset.seq;
        }
        return;
      }
      piece.removeAttribute("hx-swap-oob");
      var current = document.getElementById(piece.id);
      if (!current || isOlder(piece, current)) return;
      if (piece.id === "board-live") keepNewer(piece);
      replace(current, piece);
    });
    markAll();
    showFilter();
    if (outbox) outbox.seen();
    if (events["ffs:closeSheet"] && events["ffs:closeSheet"] === sheetChild()) modal(sheetEl).hide();
    if (opening && sheetTaken === opening) {
      modal(scanEl).hide();
      modal(sheetEl).show();
    }
    if (events["ffs:focusTile"]) {
      var tile = tileOf(events["ffs:focusTile"]);
      if (tile) {
        tile.scrollIntoView({ block: "center", behavior: "smooth" });
        tile.classList.add("flash");
      }
    }
  }

  function eventsOf(response) {
    var header = response.headers.get("HX-Trigger");
    if (!header) return {};
    try { return JSON.parse(header); } catch (_e) { var named = {}; named[header] = ""; return named; }
  }

  // ---- Sending acts -----------------------------------------------------------------------

  // An act: { url, body (URLSearchParams), key, child (a child's key or null), form,
  //           state: "sending" | "retrying" | "failed", tries, done (callback) }
  function actFor(child, name) {
    return acts.find(function (a) { return a.child === child && a.name === name; });
  }

  function forget(act) {
    acts = acts.filter(function (a) { return a !== act; });
  }

  function setState(act, state) {
    act.state = state;
    markAll();
  }

  // On a registered tablet, board-offline.js keeps every act in the outbox until the portal
  // has answered for it, and takes over when the network is gone.
  var outbox = window.ffsOffline || null;

  function send(act) {
    if (outbox && outbox.offline()) {
      forget(act);
      outbox.take(act);
      markAll();
      return;
    }
    if (outbox && !act.kept) {
      outbox.keep(act);
      act.kept = true;
    }
    if (acts.indexOf(act) < 0) acts.push(act);
    window.clearTimeout(act.timer);
    act.tries = (act.tries || 0) + 1;
    if (act.state !== "retrying") setState(act, "sending");
    var body = new URLSearchParams(act.body);
    body.set("idem", act.key);
    var controller = new AbortController();
    var timeout = window.setTimeout(function () { controller.abort(); }, TIMEOUT_MS);
    busy(1);
    window.fetch(act.url, {
      method: "POST",
      body: body,
      credentials: "same-origin",
      redirect: "manual",
      signal: controller.signal,
      headers: { "X-CSRFToken": csrf, "HX-Request": "true" },
    }).then(function (response) {
      window.clearTimeout(timeout);
      if (response.type === "opaqueredirect" && outbox) return queued(act);
      if (response.type === "opaqueredirect") return refuse(act, words.signedOut);
      if (response.status >= 500 || response.status === 429) return lost(act);
      if (!response.ok) return refuse(act, say(words.refused, { status: response.status }));
      return response.text().then(function (html) {
        forget(act);
        if (outbox) outbox.done(act);
        if (act.form) settleForm(act.form);
        // Whatever this act was, the answer shows the child as the server has it now.
        acts.filter(function (a) { return a.child && a.child === act.child && a.state === "failed"; }).forEach(forget);
        apply(html, eventsOf(response));
        if (act.done) act.done();
      });
    }).catch(function () {
      window.clearTimeout(timeout);
      if (outbox && outbox.offline()) return queued(act);
      lost(act);
    }).finally(function () { busy(-1); });
  }

  // The network went (or this tablet's session did): the outbox keeps the act and sends it
  // when it can; the tile shows it as waiting.
  function queued(act) {
    forget(act);
    if (act.form) settleForm(act.form);
    outbox.take(act);
    if (act.done) act.done();
    markAll();
  }

  // No answer, a late one or a server error: the act may or may not have been done. Send it
  // again with the same key; the server does it once and answers with what is true.
  function lost(act) {
    if (act.tries > BACKOFF.length) {
      setState(act, "failed");
      var name = act.child ? childName(act.child) : "";
      toast("danger", name ? say(words.notSavedChild, { child: name }) : words.notSaved);
      return;
    }
    setState(act, "retrying");
    act.timer = window.setTimeout(function () { send(act); }, BACKOFF[act.tries - 1]);
  }

  // The server answered but refused to take the act (signed out, not allowed).
  function refuse(act, message) {
    setState(act, "failed");
    if (outbox) outbox.done(act);
    toast("danger", message);
  }

  function toast(level, message) {
    var item = document.createElement("div");
    item.className = "toast-item t-" + level;
    item.setAttribute("role", "alert");
    item.dataset.ttl = "10";
    var icon = document.createElement("i");
    icon.className = "bi bi-exclamation-octagon-fill";
    icon.setAttribute("aria-hidden", "true");
    var text = document.createElement("span");
    text.className = "toast-text";
    text.textContent = message;
    item.append(icon, " ", text);
    showToast(item);
  }

  // What is not saved yet shows on the tiles, in the sheet's forms and in the top bar.
  function markAll() {
    root.querySelectorAll(".tile.busy, .tile.unsaved").forEach(function (tile) {
      tile.classList.remove("busy", "unsaved");
      var note = tile.querySelector(".us");
      if (note) note.remove();
    });
    acts.forEach(function (act) {
      var tile = act.child && tileOf(act.child);
      if (tile) {
        if (act.state === "sending") {
          tile.classList.add("busy");
        } else if (!tile.querySelector(".us")) {
          tile.classList.add("unsaved");
          var note = document.createElement("span");
          note.className = "us";
          note.setAttribute("role", "status");
          note.innerHTML = '<i class="bi bi-exclamation-octagon-fill" aria-hidden="true"></i> ';
          note.append(act.state === "failed" ? words.unsaved : words.unsavedRetrying);
          tile.querySelector(".tm").appendChild(note);
        }
      }
      if (act.form && act.form.isConnected) markForm(act);
    });
    var waiting = acts.filter(function (a) { return a.state !== "sending" || a.tries > 1; });
    var kept = outbox ? outbox.waiting() : 0;
    if (kept && !waiting.length) {
      netState.hidden = false;
      netState.classList.remove("failed");
      netState.textContent = say(navigator.onLine ? words.waitingN : words.offline, { n: kept });
      return;
    }
    netState.hidden = waiting.length === 0 && navigator.onLine;
    netState.classList.toggle("failed", waiting.some(function (a) { return a.state === "failed"; }));
    if (!navigator.onLine) netState.textContent = say(words.offline, { n: waiting.length });
    else if (waiting.some(function (a) { return a.state !== "failed"; })) netState.textContent = say(words.retrying, { n: waiting.length });
    else netState.textContent = say(words.failed, { n: waiting.length });
  }

  function markForm(act) {
    var button = act.form.querySelector("button[type=submit]");
    if (button) button.disabled = act.state !== "failed";
    var line = act.form.querySelector(".act-state");
    if (act.state === "sending") {
      if (line) line.remove();
      return;
    }
    if (!line) {
      line = document.createElement("p");
      line.className = "act-state";
      line.setAttribute("role", "alert");
      act.form.insertBefore(line, button);
    }
    line.textContent = act.state === "failed" ? words.notSavedTapAgain : words.unsavedRetrying;
  }

  function settleForm(form) {
    var button = form.querySelector("button[type=submit]");
    if (button && !button.hasAttribute("data-confirm-handover")) button.disabled = false;
    var line = form.querySelector(".act-state");
    if (line) line.remove();
  }

  function formAct(form) {
    var act = acts.find(function (a) { return a.form === form; });
    if (act) {
      if (act.state !== "failed") return null;
      act.tries = 0;
      return act;
    }
    if (!form._ffsKey) form._ffsKey = newKey();
    var marked = form.closest("[data-child]") || sheetBody.querySelector("[data-child]");
    return {
      name: "form",
      kind: form.getAttribute("data-act") || "",
      url: form.getAttribute("action"),
      body: new URLSearchParams(new FormData(form)),
      key: form._ffsKey,
      child: form.closest("#sheet") && marked ? marked.dataset.child : null,
      form: form,
    };
  }

  document.body.addEventListener("submit", function (event) {
    var form = event.target.closest("form[data-act]");
    if (!form) return;
    event.preventDefault();
    var act = formAct(form);
    if (!act) return;
    // The button pressed is part of the act (the health check's card is its button).
    act.body = new URLSearchParams(new FormData(form, event.submitter || null));
    if (form.hasAttribute("data-close-sheet")) {
      var child = act.child;
      act.done = function () { if (child === sheetChild()) modal(sheetEl).hide(); };
    } else if (form === selectForm) {
      act.done = function () { setSelecting(false); };
    } else if (form.id === "scan-form") {
      act.done = function () {
        document.getElementById("scan-token").value = "";
        if (!sheetChild()) modal(scanEl).hide();
      };
    }
    send(act);
  });

  function checkIn(key) {
    var act = actFor(key, "check_in");
    if (act && act.state !== "failed") {
      if (act.state === "retrying") send(act);
      return;
    }
    act = act || { name: "check_in", kind: "check_in", url: url("check_in", key), body: new URLSearchParams(), key: newKey(), child: key };
    act.tries = 0;
    send(act);
  }

  // ---- The board's own gestures -----------------------------------------------------------

  function openSheet(key) {
    if (outbox && outbox.offline()) {
      outbox.sheet(key);
      return;
    }
    window.htmx.ajax("GET", url("sheet", key), { target: "#sheet-body", swap: "innerHTML" }).then(function () {
      modal(sheetEl).show();
      markAll();
    }).catch(function () {
      if (outbox) outbox.sheet(key);
    });
  }

  function updateSelection() {
    // Another choice of children is another act, with a key of its own.
    if (!acts.some(function (a) { return a.form === selectForm; })) selectForm._ffsKey = null;
    var chosen = root.querySelectorAll(".tile.selected");
    selectBar.querySelector("[data-count]").textContent = chosen.length;
    var holder = selectForm.querySelector("[data-children]");
    holder.innerHTML = "";
    chosen.forEach(function (tile) {
      var input = document.createElement("input");
      input.type = "hidden";
      input.name = "child";
      input.value = tile.dataset.k;
      holder.appendChild(input);
    });
  }

  function setSelecting(on) {
    selecting = on;
    document.body.classList.toggle("selecting", on);
    selectBar.hidden = !on;
    selectButton.setAttribute("aria-pressed", on ? "true" : "false");
    selectButton.querySelector("[data-on]").hidden = !on;
    selectButton.querySelector("[data-off]").hidden = on;
    if (!on) {
      root.querySelectorAll(".tile.selected").forEach(function (t) { t.classList.remove("selected"); });
    }
    updateSelection();
  }

  root.addEventListener("click", function (event) {
    lastTouch = Date.now();
    var tile = event.target.closest(".tile");
    if (!tile) return;
    var key = tile.dataset.k;
    var status = tile.dataset.s;
    if (event.target.closest(".tx")) { openSheet(key); return; }
    if (selecting) {
      if (status === "expected" || status === "absent") {
        tile.classList.toggle("selected");
        updateSelection();
      }
      return;
    }
    var pending = actFor(key, "check_in");
    if (pending) { checkIn(key); return; }
    if (tile.classList.contains("busy") || Date.now() - (changedAt[key] || 0) < SETTLE_MS) return;
    // Where the space checks health at arrival, a tap opens the check (its card checks in).
    if (status === "expected" && !healthCheck) checkIn(key);
    else openSheet(key);
  });

  // The confirm button names the adult chosen, so the worker reads who gets the child; it
  // stays disabled until someone is chosen.
  sheetEl.addEventListener("change", function (event) {
    var radio = event.target.closest("input[name=collector]");
    if (!radio) return;
    var chosen = sheetEl.querySelector("[data-chosen]");
    if (chosen) chosen.textContent = " · " + radio.dataset.name;
    // The adult chosen, large: the worker compares the face with the person at the door.
    var who = sheetEl.querySelector("[data-handover]");
    if (who) {
      who.hidden = false;
      who.querySelector("[data-handover-name]").textContent = radio.dataset.name;
      who.querySelector("[data-handover-relation]").textContent = radio.dataset.relation || "";
      var photo = who.querySelector("[data-handover-photo]");
      photo.hidden = !radio.dataset.photo;
      if (radio.dataset.photo) photo.src = radio.dataset.photo;
      who.querySelector("[data-handover-nophoto]").hidden = !!radio.dataset.photo || radio.value.indexOf("adult:") !== 0;
    }
    var confirm = sheetEl.querySelector("[data-confirm-handover]");
    var form = radio.form;
    if (confirm && !acts.some(function (a) { return a.form === form && a.state !== "failed"; })) confirm.disabled = false;
  });

  // The collecting adult signs with a finger; the drawing goes with the hand-over as a PNG.
  var drawing = null;
  function padPoint(pad, event) {
    var box = pad.getBoundingClientRect();
    return [(event.clientX - box.left) * pad.width / box.width, (event.clientY - box.top) * pad.height / box.height];
  }
  sheetEl.addEventListener("pointerdown", function (event) {
    var pad = event.target.closest("[data-signature-pad]");
    if (!pad) return;
    event.preventDefault();
    if (!pad.dataset.ready) {
      var box = pad.getBoundingClientRect();
      pad.width = Math.round(box.width);
      pad.height = Math.round(box.height);
      pad.dataset.ready = "1";
    }
    var context = pad.getContext("2d");
    context.lineWidth = 3;
    context.lineCap = "round";
    context.strokeStyle = "#111";
    context.beginPath();
    context.moveTo.apply(context, padPoint(pad, event));
    drawing = pad;
    pad.setPointerCapture(event.pointerId);
  });
  sheetEl.addEventListener("pointermove", function (event) {
    if (!drawing) return;
    var context = drawing.getContext("2d");
    context.lineTo.apply(context, padPoint(drawing, event));
    context.stroke();
  });
  function endDrawing() {
    if (!drawing) return;
    drawing.closest("form").querySelector("[data-signature-value]").value = drawing.toDataURL("image/png");
    drawing = null;
  }
  sheetEl.addEventListener("pointerup", endDrawing);
  sheetEl.addEventListener("pointercancel", endDrawing);
  sheetEl.addEventListener("click", function (event) {
    if (!event.target.closest("[data-signature-clear]")) return;
    var form = event.target.closest("form");
    var pad = form.querySelector("[data-signature-pad]");
    pad.getContext("2d").clearRect(0, 0, pad.width, pad.height);
    form.querySelector("[data-signature-value]").value = "";
  });

  selectButton.addEventListener("click", function () { setSelecting(!selecting); });
  selectBar.querySelector("[data-select-cancel]").addEventListener("click", function () { setSelecting(false); });

  document.getElementById("toasts").addEventListener("click", function (event) {
    if (event.target.closest("[data-dismiss-toast]")) event.target.closest(".toast-item").remove();
  });

  // ---- The board's own refresh ------------------------------------------------------------

  // The server answers 204 when nothing changed. It waits while the worker is touching the
  // screen, so tiles never move under a finger; only the newest refresh is applied.
  function refresh(force, typed) {
    var live = document.getElementById("board-live");
    var params = new URLSearchParams({ v: force ? "" : live.dataset.version || "", q: search.value.trim() });
    var serial = ++refreshSerial;
    var controller = new AbortController();
    var timeout = window.setTimeout(function () { controller.abort(); }, TIMEOUT_MS);
    refreshing = window.fetch(urls.live + "?" + params.toString(), {
      credentials: "same-origin",
      redirect: "manual",
      signal: controller.signal,
      // A search is the worker's own; every other refresh the board makes by itself says so.
      headers: typed ? { "HX-Request": "true" } : { "HX-Request": "true", "X-Tablet-Poll": "1" },
    }).then(function (response) {
      if (response.type === "opaqueredirect") { window.location.reload(); return; }
      if (response.status !== 200) return;
      return response.text().then(function (html) {
        if (serial === refreshSerial) apply(html, eventsOf(response));
      });
    }).catch(function () {}).finally(function () {
      window.clearTimeout(timeout);
      refreshing = null;
      busy(0);
    });
    busy(0);
    return refreshing;
  }
  window.setInterval(function () {
    if (document.hidden || selecting || refreshing) return;
    if (isOpen(sheetEl) || isOpen(scanEl) || Date.now() - lastTouch < Math.max(0, refreshMs - 1000)) return;
    refresh(false);
  }, refreshMs);

  var searchTimer = null;
  search.addEventListener("input", function () {
    lastTouch = Date.now();
    window.clearTimeout(searchTimer);
    searchTimer = window.setTimeout(function () { refresh(true, true); }, 200);
  });

  document.addEventListener("ffs:refresh", function () { refresh(true); });
  document.addEventListener("ffs:outbox", markAll);

  // Back online: send what is waiting now rather than at the next try.
  window.addEventListener("online", function () {
    acts.forEach(function (act) { if (act.state === "retrying") send(act); });
    markAll();
  });
  window.addEventListener("offline", markAll);

  // ---- Counters that filter the tiles, and the compact list --------------------------------

  var filter = "";
  var filterNote = document.getElementById("filter-note");

  function showFilter() {
    root.classList.toggle("board-filtered", !!filter);
    root.dataset.filter = filter;
    document.querySelectorAll("#board-counters .counter").forEach(function (counter) {
      counter.setAttribute("aria-pressed", counter.dataset.filter === filter ? "true" : "false");
    });
    root.querySelectorAll(".board-group").forEach(function (group) {
      group.hidden = !!filter && !group.querySelector(".tile.st-" + filter);
    });
    filterNote.hidden = !filter;
    if (filter) {
      var label = document.querySelector("#board-counters .c-" + filter + " .l");
      filterNote.querySelector("[data-filter-text]").textContent = label ? label.textContent.trim() : "";
    }
  }

  document.addEventListener("click", function (event) {
    var counter = event.target.closest("#board-counters .counter, [data-show-filter]");
    if (counter) {
      event.preventDefault();
      var chosen = counter.dataset.filter || counter.dataset.showFilter;
      filter = filter === chosen && !counter.dataset.showFilter ? "" : chosen;
      showFilter();
      return;
    }
    if (event.target.closest("[data-clear-filter]")) {
      filter = "";
      showFilter();
    }
  });

  var compactButton = document.getElementById("compact-button");
  function setCompact(on) {
    root.classList.toggle("compact", on);
    compactButton.setAttribute("aria-pressed", on ? "true" : "false");
    try { window.localStorage.setItem("ffs-board-compact", on ? "1" : ""); } catch (_e) { /* private mode */ }
  }
  compactButton.addEventListener("click", function () { setCompact(!root.classList.contains("compact")); });
  try { setCompact(window.localStorage.getItem("ffs-board-compact") === "1"); } catch (_e) { /* private mode */ }

  // The idle lock waits while acts are on their way (tablet.js).
  window.ffsBoard = {
    pending: function () { return acts.filter(function (a) { return a.state !== "failed"; }).length; },
  };

  // ---- Scanning a card: the QR code holds the child's card code ----------------------------
  var video = document.getElementById("scan-video");
  var canvas = document.getElementById("scan-canvas");
  var stream = null;
  var scanning = false;

  function loadJsQR() {
    if (window.jsQR) return Promise.resolve();
    return new Promise(function (resolve, reject) {
      var script = document.createElement("script");
      script.src = root.dataset.jsqr;
      script.onload = resolve;
      script.onerror = reject;
      document.head.appendChild(script);
    });
  }

  function stopCamera() {
    scanning = false;
    if (stream) stream.getTracks().forEach(function (track) { track.stop(); });
    stream = null;
  }

  function sendToken(token) {
    token = token.trim();
    var slash = token.replace(/\/+$/, "").lastIndexOf("/");
    if (slash >= 0) token = token.replace(/\/+$/, "").slice(slash + 1);
    document.getElementById("scan-token").value = token;
    document.getElementById("scan-form").requestSubmit();
  }

  function tick() {
    if (!scanning) return;
    if (video.readyState === video.HAVE_ENOUGH_DATA) {
      var width = 480;
      var height = Math.round(video.videoHeight * width / video.videoWidth) || 360;
      canvas.width = width;
      canvas.height = height;
      var context = canvas.getContext("2d", { willReadFrequently: true });
      context.drawImage(video, 0, 0, width, height);
      var code = window.jsQR(context.getImageData(0, 0, width, height).data, width, height, { inversionAttempts: "dontInvert" });
      if (code && code.data) {
        stopCamera();
        sendToken(code.data);
        return;
      }
    }
    window.requestAnimationFrame(tick);
  }

  document.getElementById("scan-button").addEventListener("click", function () {
    modal(scanEl).show();
    var noCamera = document.getElementById("scan-no-camera");
    if (!window.isSecureContext || !navigator.mediaDevices || !navigator.mediaDevices.getUserMedia) {
      noCamera.hidden = false;
      return;
    }
    loadJsQR().then(function () {
      return navigator.mediaDevices.getUserMedia({ video: { facingMode: "environment" }, audio: false });
    }).then(function (media) {
      stream = media;
      video.srcObject = media;
      return video.play();
    }).then(function () {
      scanning = true;
      window.requestAnimationFrame(tick);
    }).catch(function () {
      noCamera.hidden = false;
    });
  });
  scanEl.addEventListener("hidden.bs.modal", stopCamera);

  markAll();
})();
