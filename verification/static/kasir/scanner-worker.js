// Decodes camera frames off the main thread, so the till stays responsive on a low-end phone.
"use strict";
importScripts("/static/kasir/vendor/jsQR.min.js");

self.onmessage = (event) => {
  const { data, width, height } = event.data;
  const found = jsQR(new Uint8ClampedArray(data), width, height, { inversionAttempts: "dontInvert" });
  self.postMessage(found && found.data ? found.data : null);
};
