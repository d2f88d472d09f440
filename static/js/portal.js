// FFS Portal: shared behaviour. Everything here is served by the portal itself.
(function () {
  "use strict";
  var banner = document.getElementById("offline-banner");

  function showOffline(show) {
    if (banner) banner.hidden = !show;
  }

  window.addEventListener("offline", function () { showOffline(true); });
  window.addEventListener("online", function () { showOffline(false); });
  if (!navigator.onLine) showOffline(true);

  document.addEventListener("htmx:sendError", function () { showOffline(true); });
  document.addEventListener("htmx:timeout", function () { showOffline(true); });
  document.addEventListener("htmx:afterRequest", function (event) {
    if (event.detail.successful || (event.detail.xhr && event.detail.xhr.status > 0)) showOffline(false);
  });

  // A choice that takes effect at once (the program year): no inline handler under the CSP.
  document.addEventListener("change", function (event) {
    if (event.target.matches && event.target.matches("[data-submit-on-change]")) event.target.form.submit();
  });
  document.addEventListener("click", function (event) {
    if (event.target.closest && event.target.closest("[data-print]")) window.print();
  });

  document.addEventListener("DOMContentLoaded", function () {
    if (window.htmx) {
      // A slow factory network: give up after 10 s and say so, instead of spinning forever.
      window.htmx.config.timeout = 10000;
      window.htmx.config.defaultSettleDelay = 0;
    }
  });
})();
