// The tablet's outbox and its day's store, in IndexedDB (idb, served by the portal itself).
//
// Every act the board makes is written here before it is sent, and removed when the portal
// has answered for it: a reload, a browser restart, a lock or an update of the service worker
// cannot lose it. What could not be sent is replayed in order, in batches, to one endpoint
// that answers for each act. The store also keeps the day's roster (what the door needs when
// the network is down) and the PIN verifiers of those who unlocked the tablet today; all of
// it but the outbox is forgotten at the end of the day.
/* global idb */
(function () {
  "use strict";
  var DB = "ffs-tablet";
  var opened = null;
  var listeners = [];

  function db() {
    if (!opened) {
      opened = idb.openDB(DB, 1, {
        upgrade: function (database) {
          database.createObjectStore("acts", { keyPath: "key" });
          database.createObjectStore("day", { keyPath: "name" });
          database.createObjectStore("verifiers", { keyPath: "user" });
        },
      });
    }
    return opened;
  }

  function today() {
    var now = new Date();
    return now.getFullYear() + "-" + String(now.getMonth() + 1).padStart(2, "0") + "-" + String(now.getDate()).padStart(2, "0");
  }

  function changed() {
    count().then(function (n) { listeners.forEach(function (listener) { listener(n); }); }).catch(function () {});
  }

  function count() {
    return db().then(function (d) { return d.count("acts"); });
  }

  // ---- The outbox ---------------------------------------------------------------------------

  // act: { key, kind, child, by, at (ISO, the tablet's clock), data, url, body, site }
  function add(act) {
    act.created = act.created || Date.now();
    return db().then(function (d) { return d.put("acts", act); }).then(function () { changed(); return act; });
  }

  function remove(key) {
    return db().then(function (d) { return d.delete("acts", key); }).then(changed);
  }

  function all() {
    return db().then(function (d) { return d.getAll("acts"); }).then(function (acts) {
      return acts.sort(function (a, b) { return a.created - b.created; });
    });
  }

  // Send what waits, oldest first, in batches; ``answered(result, act)`` for each answer.
  var replaying = null;
  function replay(url, answered, batchSize) {
    if (replaying) return replaying;
    batchSize = batchSize || 200;
    replaying = all().then(function (acts) {
      acts = acts.filter(function (a) { return !a.inFlight; });
      var batches = [];
      for (var i = 0; i < acts.length; i += batchSize) batches.push(acts.slice(i, i + batchSize));
      return batches.reduce(function (done, batch) {
        return done.then(function () { return sendBatch(url, batch, answered); });
      }, Promise.resolve());
    }).finally(function () { replaying = null; });
    return replaying;
  }

  function sendBatch(url, batch, answered) {
    var body = {
      sent_at: new Date().toISOString(),
      acts: batch.map(function (a) { return { key: a.key, kind: a.kind, child: a.child, by: a.by, at: a.at, data: a.data || {} }; }),
    };
    return window.fetch(url, {
      method: "POST",
      credentials: "same-origin",
      headers: { "Content-Type": "application/json", "X-Tablet-Outbox": "1" },
      body: JSON.stringify(body),
    }).then(function (response) {
      if (!response.ok) throw new Error("status " + response.status);
      return response.json();
    }).then(function (answer) {
      var byKey = {};
      batch.forEach(function (a) { byKey[a.key] = a; });
      return answer.results.reduce(function (done, result) {
        return done.then(function () {
          return remove(result.key).then(function () { answered(result, byKey[result.key]); });
        });
      }, Promise.resolve());
    });
  }

  // ---- The day's store ----------------------------------------------------------------------

  function put(name, value) {
    return db().then(function (d) { return d.put("day", { name: name, day: today(), value: value }); });
  }

  function get(name) {
    return db().then(function (d) { return d.get("day", name); }).then(function (row) {
      return row && row.day === today() ? row.value : null;
    });
  }

  // What the tablet kept of another day goes: the roster, the verifiers, the copies of the
  // board. The outbox stays until it is sent.
  function forgetOtherDays() {
    return db().then(function (d) {
      var tx = d.transaction(["day", "verifiers"], "readwrite");
      return Promise.all([tx.objectStore("day").getAll(), tx.objectStore("verifiers").getAll()]).then(function (rows) {
        rows[0].forEach(function (row) { if (row.day !== today()) tx.objectStore("day").delete(row.name); });
        rows[1].forEach(function (row) { if (row.day !== today()) tx.objectStore("verifiers").delete(row.user); });
        return tx.done;
      });
    }).then(function () {
      return get("pages-day");
    }).then(function (day) {
      if (day) return null;
      return (window.caches ? window.caches.delete("ffs-pages") : Promise.resolve()).then(function () { return put("pages-day", today()); });
    }).catch(function () {});
  }

  // Everything of the tablet but its outbox (it is no longer one of the space's tablets).
  function forgetAll() {
    return db().then(function (d) {
      return Promise.all([d.clear("day"), d.clear("verifiers")]);
    }).then(function () {
      return window.caches ? window.caches.delete("ffs-pages") : null;
    }).catch(function () {});
  }

  // ---- PIN verifiers, for unlocking offline -------------------------------------------------

  function hex(buffer) {
    return Array.prototype.map.call(new Uint8Array(buffer), function (b) { return (b + 256).toString(16).slice(1); }).join("");
  }

  function verifier(pin, salt, user) {
    var encoder = new TextEncoder();
    return window.crypto.subtle.importKey("raw", encoder.encode(pin), "PBKDF2", false, ["deriveBits"]).then(function (key) {
      return window.crypto.subtle.deriveBits(
        { name: "PBKDF2", hash: "SHA-256", salt: encoder.encode(salt + ":" + user), iterations: 100000 }, key, 256);
    }).then(hex);
  }

  function sha256(text) {
    return window.crypto.subtle.digest("SHA-256", new TextEncoder().encode(text)).then(hex);
  }

  function keepVerifier(user, name, pin, salt) {
    return verifier(pin, salt, user).then(function (hash) {
      return db().then(function (d) {
        return d.put("verifiers", { user: user, name: name, hash: hash, day: today(), confirmed: false, tries: 0 });
      });
    });
  }

  function confirmVerifier(user) {
    return db().then(function (d) {
      return d.get("verifiers", user).then(function (row) {
        if (!row) return null;
        row.confirmed = true;
        return d.put("verifiers", row);
      });
    });
  }

  // True when ``pin`` is the PIN ``user`` unlocked with online today. Five wrong tries and
  // the tablet takes no PIN offline until the network is back.
  function checkVerifier(user, pin, salt) {
    return db().then(function (d) {
      return Promise.all([d.get("verifiers", user), get("offline-tries")]).then(function (found) {
        var row = found[0];
        var tries = found[1] || 0;
        if (tries >= 5) return { ok: false, paused: true };
        if (!row || !row.confirmed || row.day !== today()) return { ok: false, unknown: true };
        return verifier(pin, salt, user).then(function (hash) {
          if (hash === row.hash) return put("offline-tries", 0).then(function () { return { ok: true, name: row.name }; });
          return put("offline-tries", tries + 1).then(function () { return { ok: false, left: 4 - tries }; });
        });
      });
    });
  }

  function newKey() {
    var bytes = new Uint8Array(16);
    window.crypto.getRandomValues(bytes);
    bytes[6] = (bytes[6] & 15) | 64;
    bytes[8] = (bytes[8] & 63) | 128;
    var h = hex(bytes);
    return [h.slice(0, 8), h.slice(8, 12), h.slice(12, 16), h.slice(16, 20), h.slice(20)].join("-");
  }

  window.ffsOutbox = {
    add: add,
    remove: remove,
    all: all,
    count: count,
    replay: replay,
    put: put,
    get: get,
    forgetOtherDays: forgetOtherDays,
    forgetAll: forgetAll,
    keepVerifier: keepVerifier,
    confirmVerifier: confirmVerifier,
    checkVerifier: checkVerifier,
    sha256: sha256,
    newKey: newKey,
    onChange: function (listener) { listeners.push(listener); changed(); },
  };
})();
