// The tablet board: one tap checks a child in, a tap on a present child opens the check-out
// sheet, the board refreshes itself so two tablets agree. Served by the portal itself.
(function () {
  "use strict";
  var root = document.getElementById("board");
  if (!root) return;
  var urls = JSON.parse(document.getElementById("board-urls").textContent);
  var placeholder = root.dataset.placeholder;
  var refreshMs = (parseInt(root.dataset.refresh, 10) || 5) * 1000;
  var sheetEl = document.getElementById("sheet");
  var scanEl = document.getElementById("scan-modal");
  var search = document.getElementById("board-search");
  var selectBar = document.getElementById("select-bar");
  var selectForm = document.getElementById("select-form");
  var selectButton = document.getElementById("select-button");
  var lastTouch = 0;
  var selecting = false;
  var inflight = 0;

  function url(name, key) { return urls[name].replace(placeholder, key); }
  function modal(el) { return window.bootstrap.Modal.getOrCreateInstance(el); }
  function isOpen(el) { return el.classList.contains("show"); }

  // An idempotency key per element that posts: a double tap or a retry of the same element
  // sends the same key, and the server does the act once.
  function newKey() {
    var bytes = new Uint8Array(16);
    window.crypto.getRandomValues(bytes);
    bytes[6] = (bytes[6] & 15) | 64;
    bytes[8] = (bytes[8] & 63) | 128;
    var hex = Array.prototype.map.call(bytes, function (b) { return (b + 256).toString(16).slice(1); }).join("");
    return [hex.slice(0, 8), hex.slice(8, 12), hex.slice(12, 16), hex.slice(16, 20), hex.slice(20)].join("-");
  }

  document.body.addEventListener("htmx:configRequest", function (event) {
    if (event.detail.verb !== "post") return;
    var elt = event.detail.elt;
    if (!elt._ffsKey) elt._ffsKey = newKey();
    event.detail.parameters.idem = elt._ffsKey;
  });
  document.body.addEventListener("htmx:beforeRequest", function () { inflight += 1; });
  document.body.addEventListener("htmx:afterRequest", function (event) {
    inflight = Math.max(0, inflight - 1);
    var elt = event.detail.elt;
    if (event.detail.successful) {
      elt._ffsKey = null;
      elt._ffsTries = 0;
      elt.classList && elt.classList.remove("busy");
      if (elt.hasAttribute && elt.hasAttribute("data-close-sheet")) modal(sheetEl).hide();
    }
  });

  // Offline: say so, and send the same act again (same key) until it gets through.
  function retry(event) {
    var elt = event.detail.elt;
    var config = event.detail.requestConfig;
    if (!config || config.verb !== "post" || !elt._ffsKey) return;
    elt._ffsTries = (elt._ffsTries || 0) + 1;
    if (elt._ffsTries > 8) {
      elt.classList.remove("busy");
      elt.classList.add("failed");
      return;
    }
    var delay = Math.min(1000 * Math.pow(2, elt._ffsTries - 1), 15000);
    window.setTimeout(function () {
      if (elt.isConnected) window.htmx.ajax("POST", config.path, { source: elt, swap: "none" });
    }, delay);
  }
  document.body.addEventListener("htmx:sendError", retry);
  document.body.addEventListener("htmx:timeout", retry);

  function openSheet(key) {
    window.htmx.ajax("GET", url("sheet", key), { target: "#sheet-body", swap: "innerHTML" }).then(function () {
      modal(sheetEl).show();
    });
  }

  function updateSelection() {
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
    if (!on) root.querySelectorAll(".tile.selected").forEach(function (t) { t.classList.remove("selected"); });
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
    if (status === "expected") {
      if (tile.classList.contains("busy")) return;
      tile.classList.add("busy");
      window.htmx.ajax("POST", url("check_in", key), { source: tile, swap: "none" });
    } else {
      openSheet(key);
    }
  });

  // The confirm button names the adult chosen, so the worker reads who gets the child.
  sheetEl.addEventListener("change", function (event) {
    var radio = event.target.closest("input[name=collector]");
    if (!radio) return;
    var chosen = sheetEl.querySelector("[data-chosen]");
    if (chosen) chosen.textContent = " · " + radio.dataset.name;
  });

  selectButton.addEventListener("click", function () { setSelecting(!selecting); });
  selectBar.querySelector("[data-select-cancel]").addEventListener("click", function () { setSelecting(false); });
  selectForm.addEventListener("htmx:afterRequest", function (event) {
    if (event.detail.successful) setSelecting(false);
  });

  // Counters follow the tiles: an act answers with the changed tiles only, and each change of
  // status moves one child from one counter to another (the next refresh brings the
  // server's own figures).
  function bump(status, delta) {
    var number = document.querySelector("#board-counters .c-" + status + " .n");
    if (number) number.textContent = Math.max(0, (parseInt(number.textContent, 10) || 0) + delta);
  }
  document.body.addEventListener("htmx:oobBeforeSwap", function (event) {
    var old = event.detail.target;
    if (!old.classList || !old.classList.contains("tile")) return;
    var fresh = event.detail.fragment.querySelector(".tile");
    if (!fresh || fresh.dataset.s === old.dataset.s) return;
    bump(old.dataset.s, -1);
    bump(fresh.dataset.s, 1);
  });

  // Toasts go away by themselves; the undo in a check-in toast lasts as long as it may.
  document.body.addEventListener("htmx:load", function (event) {
    var toast = event.detail.elt;
    if (!toast.classList || !toast.classList.contains("toast-item")) return;
    window.setTimeout(function () { toast.remove(); }, (parseInt(toast.dataset.ttl, 10) || 6) * 1000);
  });
  document.getElementById("toasts").addEventListener("click", function (event) {
    if (event.target.closest("[data-dismiss-toast]")) event.target.closest(".toast-item").remove();
  });

  document.body.addEventListener("ffs:closeSheet", function () { modal(sheetEl).hide(); });
  document.body.addEventListener("ffs:openSheet", function () {
    modal(scanEl).hide();
    modal(sheetEl).show();
  });
  document.body.addEventListener("ffs:focusTile", function (event) {
    var tile = document.getElementById("t-" + event.detail.value);
    if (!tile) return;
    tile.scrollIntoView({ block: "center", behavior: "smooth" });
    tile.classList.add("flash");
  });

  // The board refreshes itself; the server answers 204 when nothing changed. It waits while
  // the worker is touching the screen, so tiles never move under a finger.
  function refresh(force) {
    var live = document.getElementById("board-live");
    var params = new URLSearchParams({ v: force ? "" : live.dataset.version || "", q: search.value.trim() });
    inflight += 1;
    return window.htmx.ajax("GET", urls.live + "?" + params.toString(), { target: "#board-live", swap: "outerHTML" })
      .finally(function () { inflight = Math.max(0, inflight - 1); });
  }
  window.setInterval(function () {
    if (document.hidden || selecting || inflight > 0) return;
    if (isOpen(sheetEl) || isOpen(scanEl) || Date.now() - lastTouch < refreshMs - 1000) return;
    refresh(false);
  }, refreshMs);

  var searchTimer = null;
  search.addEventListener("input", function () {
    lastTouch = Date.now();
    window.clearTimeout(searchTimer);
    searchTimer = window.setTimeout(function () { refresh(true); }, 200);
  });

  // Scanning a card: the QR code holds the child's card code.
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
    window.htmx.trigger(document.getElementById("scan-form"), "submit");
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
  document.getElementById("scan-form").addEventListener("htmx:afterRequest", function (event) {
    if (event.detail.successful) {
      document.getElementById("scan-token").value = "";
      modal(scanEl).hide();
    }
  });
})();
