// The shared tablet's service worker (Workbox, served by the portal itself): the board and
// the lock screen open when the network is down.
//
// - Static files: from the cache at once, refreshed from the network behind.
// - The board of the tablet's space and the lock screen: from the network when it answers
//   within a few seconds, else the copy kept from the last time. The copy holds children's
//   names: the page deletes it at the end of the day and when the tablet is no longer one.
// - Nothing else is kept: every act goes to the network, or to the page's outbox
//   (IndexedDB), which this worker never touches — an update of the worker cannot lose it.
/* global workbox */
importScripts("/static/vendor/workbox-sw/workbox-sw.js");

workbox.setConfig({
  debug: false,
  modulePathCb: function (name) { return "/static/vendor/" + name + "/" + name + ".prod.js"; },
});

var PAGES = "ffs-pages";
var STATIC = "ffs-static";

// A page is kept only as the server meant it: a full answer, not a redirect to sign in.
var keepOnlyPages = {
  cacheWillUpdate: function (options) {
    var response = options.response;
    return response && response.ok && !response.redirected ? response : null;
  },
};

workbox.routing.registerRoute(
  function (options) { return options.url.pathname.indexOf("/static/") === 0; },
  new workbox.strategies.StaleWhileRevalidate({
    cacheName: STATIC,
    plugins: [new workbox.expiration.ExpirationPlugin({ maxEntries: 200 })],
  })
);

workbox.routing.registerRoute(
  function (options) {
    var path = options.url.pathname;
    return options.request.mode === "navigate" &&
      (path === "/tablet/" || /^\/board\/\d+\/$/.test(path) || /^\/board\/\d+\/roll-call\/[0-9a-f-]+\/$/.test(path));
  },
  new workbox.strategies.NetworkFirst({
    cacheName: PAGES,
    networkTimeoutSeconds: 4,
    plugins: [keepOnlyPages],
  })
);

self.addEventListener("install", function () { self.skipWaiting(); });
self.addEventListener("activate", function (event) { event.waitUntil(self.clients.claim()); });
