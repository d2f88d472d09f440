// The tablet app's service worker (filled in below).
