// The shared tablet: the lock screen's PIN pad, and the lock that follows a few idle minutes
// on a registered tablet. Served by the portal itself.
(function () {
  "use strict";

  // ---- The lock screen ---------------------------------------------------------------------
  var form = document.getElementById("unlock-form");
  if (form) {
    var pin = document.getElementById("pin");
    var who = form.querySelector("[data-who]");
    var clock = document.querySelector("[data-clock]");

    var chosen = function () {
      var radio = form.querySelector("input[name=person]:checked");
      form.classList.toggle("has-person", !!radio);
      if (radio) who.textContent = radio.dataset.name;
      return radio;
    };
    form.addEventListener("change", function (event) {
      if (event.target.name === "person") {
        pin.value = "";
        chosen();
        var error = form.querySelector(".pad-error");
        if (error) error.remove();
      }
    });
    form.querySelector("[data-keypad]").addEventListener("click", function (event) {
      var key = event.target.closest("[data-key]");
      if (!key) return;
      if (key.dataset.key === "back") pin.value = pin.value.slice(0, -1);
      else if (pin.value.length < 6) pin.value += key.dataset.key;
    });
    var box = window.ffsOutbox;
    var lockWords = JSON.parse(document.getElementById("lock-words").textContent);

    var showError = function (message) {
      var error = form.querySelector(".pad-error");
      if (!error) {
        error = document.createElement("div");
        error.className = "alert alert-danger pad-error";
        error.setAttribute("role", "alert");
        pin.parentNode.insertBefore(error, pin);
      }
      error.textContent = message;
      pin.value = "";
    };

    // With the network: the PIN goes to the portal; a verifier of it stays on the tablet for
    // the day, so that this person (and nobody else) can unlock it again offline. Without
    // the network: the verifier decides.
    form.addEventListener("submit", function (event) {
      event.preventDefault();
      var radio = chosen();
      if (!radio || pin.value.length < 4) {
        (radio ? pin : form.querySelector("input[name=person]")).focus();
        return;
      }
      form.querySelectorAll(".key").forEach(function (key) { key.disabled = true; });
      var enable = function () { form.querySelectorAll(".key").forEach(function (key) { key.disabled = false; }); };
      var person = parseInt(radio.value, 10);
      if (!box || !window.crypto.subtle) {
        form.submit();
        return;
      }
      if (navigator.onLine) {
        box.keepVerifier(person, radio.dataset.name, pin.value, form.dataset.salt)
          .catch(function () {})
          .then(function () { form.submit(); });
        return;
      }
      box.checkVerifier(person, pin.value, form.dataset.salt).then(function (found) {
        enable();
        if (found.ok) {
          window.sessionStorage.setItem("ffs-offline-user", JSON.stringify({ id: person, name: found.name }));
          window.location.href = form.dataset.board;
        } else {
          showError(found.paused ? lockWords.paused : found.unknown ? lockWords.unknown : lockWords.wrong);
        }
      }).catch(function () { enable(); showError(lockWords.unknown); });
    });
    if (navigator.onLine) window.sessionStorage.removeItem("ffs-offline-user");
    chosen();
    if (clock) {
      var tick = function () {
        var now = new Date();
        clock.textContent = String(now.getHours()).padStart(2, "0") + ":" + String(now.getMinutes()).padStart(2, "0");
      };
      tick();
      window.setInterval(tick, 10000);
    }
  }

  // ---- The tablet app: its service worker, and storage the browser keeps ---------------------
  if (window.ffsOutbox && "serviceWorker" in navigator && window.isSecureContext) {
    navigator.serviceWorker.register("/sw.js", { scope: "/" }).catch(function () {});
    if (navigator.storage && navigator.storage.persist) navigator.storage.persist().catch(function () {});
  }

  // ---- The idle lock -----------------------------------------------------------------------
  var body = document.body;
  var lockAfter = parseInt(body.dataset.lockAfter, 10);
  if (!lockAfter) return;
  var lockUrl = body.dataset.lockUrl;
  var csrf = JSON.parse(body.getAttribute("hx-headers") || "{}")["X-CSRFToken"];
  var last = Date.now();
  var locking = false;
  ["pointerdown", "keydown", "touchstart"].forEach(function (name) {
    document.addEventListener(name, function () { last = Date.now(); }, { passive: true, capture: true });
  });

  function lockNow() {
    locking = true;
    window.sessionStorage.removeItem("ffs-offline-user");
    // The page's content goes first, so nothing about a child stays on the screen even if
    // the network is slow to answer.
    var main = document.getElementById("main");
    if (main) main.hidden = true;
    var data = new URLSearchParams({ idle: "1" });
    window.fetch(lockUrl, {
      method: "POST",
      body: data,
      credentials: "same-origin",
      redirect: "manual",
      headers: { "X-CSRFToken": csrf },
    }).catch(function () {}).finally(function () { window.location.replace(body.dataset.lockScreen); });
  }

  // Lock with the network down: the lock screen kept by the service worker.
  document.addEventListener("submit", function (event) {
    var form = event.target;
    if (navigator.onLine || form.getAttribute("action") !== lockUrl) return;
    event.preventDefault();
    window.sessionStorage.removeItem("ffs-offline-user");
    window.location.replace(body.dataset.lockScreen);
  });

  window.setInterval(function () {
    if (locking) return;
    // Acts still on their way keep the tablet open: locking would leave them unsent.
    if (window.ffsBoard && window.ffsBoard.pending() > 0) return;
    if (Date.now() - last >= lockAfter * 1000) lockNow();
  }, 1000);
})();
