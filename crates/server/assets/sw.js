// baomi's service worker: makes the messenger installable and keeps its own script and style
// for a quick start. Pages and API answers are never cached: they are personal and may be
// classified.
'use strict';
const CACHE = 'baomi-static-v1';
const STATIC = ['/static/chat.js', '/static/chat.css', '/static/app.css', '/static/icon.svg'];

self.addEventListener('install', (e) => {
  e.waitUntil(caches.open(CACHE).then((c) => c.addAll(STATIC)).then(() => self.skipWaiting()));
});

self.addEventListener('activate', (e) => {
  e.waitUntil(
    caches.keys()
      .then((keys) => Promise.all(keys.filter((k) => k !== CACHE).map((k) => caches.delete(k))))
      .then(() => self.clients.claim()),
  );
});

self.addEventListener('fetch', (e) => {
  const url = new URL(e.request.url);
  if (e.request.method !== 'GET' || url.origin !== location.origin || !STATIC.includes(url.pathname)) {
    return;
  }
  // Network first: a new release is picked up at once; the cache serves when offline.
  e.respondWith(
    fetch(e.request)
      .then((r) => {
        const copy = r.clone();
        caches.open(CACHE).then((c) => c.put(e.request, copy));
        return r;
      })
      .catch(() => caches.match(e.request)),
  );
});
