// Mitra KIA cashier app's service worker: keeps the app shell so the till opens without a connection. Network first
// (a till online always runs the newest code), the kept copy when the network fails. API answers are never kept
// here: the offline kit lives in the page's storage (offline.js).
"use strict";

const SHELL = "kasir-shell-v1";
const FILES = [
  "/kasir",
  "/static/kasir/kasir.js",
  "/static/kasir/offline.js",
  "/static/kasir/kasir.css",
  "/static/kasir/scanner-worker.js",
  "/static/kasir/vendor/jsQR.min.js",
  "/static/kasir/manifest.webmanifest",
  "/static/kasir/icon-192.png",
];

self.addEventListener("install", (event) => {
  event.waitUntil(caches.open(SHELL).then((cache) => cache.addAll(FILES)).then(() => self.skipWaiting()));
});

self.addEventListener("activate", (event) => {
  event.waitUntil(caches.keys()
    .then((names) => Promise.all(names.filter((name) => name !== SHELL).map((name) => caches.delete(name))))
    .then(() => self.clients.claim()));
});

self.addEventListener("fetch", (event) => {
  const url = new URL(event.request.url);
  const shell = url.origin === self.location.origin && event.request.method === "GET" &&
    (url.pathname === "/kasir" || url.pathname === "/kasir/" || url.pathname.startsWith("/static/kasir/"));
  if (!shell) return;
  const key = url.pathname === "/kasir/" ? "/kasir" : url.pathname;
  event.respondWith(fetch(event.request).then((response) => {
    if (response.ok) {
      const copy = response.clone();
      caches.open(SHELL).then((cache) => cache.put(key, copy));
    }
    return response;
  }).catch(() => caches.match(key).then((kept) => kept || Response.error())));
});
