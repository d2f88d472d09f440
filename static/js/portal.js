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

  document.addEventListener("DOMContentLoaded", function () {
    if (window.htmx) {
      // A slow factory network: give up after 10 s and say so, instead of spinning forever.
      window.htmx.config.timeout = 10000;
      window.htmx.config.defaultSettleDelay = 0;
    }
  });
})();
