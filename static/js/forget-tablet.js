// This browser is no longer one of a space's tablets (revoked): what it kept of the day's
// children goes. Acts not yet sent stay in its outbox, which nothing can send any more.
(function () {
  "use strict";
  if (window.ffsOutbox) window.ffsOutbox.forgetAll();
})();
