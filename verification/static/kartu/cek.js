// A parent's card check: the sticker through the camera (frames decoded off the main thread by the till's own
// worker) or the manual code typed, sent once to /api/v1/cards/checks; the answer is drawn with textContent only.
"use strict";

(function () {
  const script = document.currentScript;
  const $ = (id) => document.getElementById(id);
  const camera = { stream: null, worker: null, timer: null, canvas: document.createElement("canvas"), running: false };

  function el(tag, className, text) {
    const node = document.createElement(tag);
    if (className) node.className = className;
    if (text) node.textContent = text;
    return node;
  }
  function offerItem(offer) {
    const li = el("li", "card");
    const title = el("h4");
    const link = el("a", "", offer.title);
    link.href = offer.page_url;
    title.append(link);
    li.append(title, el("p", "meta", offer.partner_name), el("p", "benefit", offer.benefit_text), el("p", "", offer.summary));
    if (!offer.today) li.append(el("p", "meta", `${script.dataset.from} ${offer.next_day_text}`));
    if (offer.regions.length) li.append(el("p", "meta", `${script.dataset.only} ${offer.regions.join(", ")}`));
    const places = el("ul", "places");
    offer.outlets.forEach((outlet) => {
      const where = [outlet.address, outlet.kelurahan, outlet.kecamatan].filter(Boolean).join(", ");
      places.append(el("li", "", `${outlet.name} — ${where}`));
    });
    li.append(places);
    return li;
  }
  function render(body) {
    $("result").dataset.status = body.status;
    $("result-title").textContent = body.title;
    $("result-advice").textContent = body.what_to_do;
    $("result-guide").hidden = body.status === "active" || !body.guide_url;
    if (body.guide_url) $("result-guide").querySelector("a").href = body.guide_url;
    const today = body.offers.filter((o) => o.today);
    const later = body.offers.filter((o) => !o.today);
    $("today-offers").replaceChildren(...today.map(offerItem));
    $("later-offers").replaceChildren(...later.map(offerItem));
    $("today-empty").hidden = today.length > 0;
    $("later-title").hidden = later.length === 0;
    $("result-offers").hidden = body.status !== "active";
    $("result").hidden = false;
    $("result").scrollIntoView({ block: "start" });
  }
  async function check(code) {
    $("check-error").hidden = true;
    const response = await fetch("/api/v1/cards/checks", { method: "POST", credentials: "omit",
      headers: { "Content-Type": "application/json", "Accept-Language": script.dataset.lang || "id" },
      body: JSON.stringify({ code }) });
    const body = await response.json().catch(() => ({}));
    if (!response.ok) {
      $("check-error").textContent = body.detail || body.title || response.statusText;
      $("check-error").hidden = false;
      $("result").hidden = true;
      return;
    }
    render(body);
  }

  // --- the camera: frames to the decoder worker, about eight a second, until a code is read ---------------------
  function stopCamera() {
    camera.running = false;
    clearTimeout(camera.timer);
    if (camera.stream) camera.stream.getTracks().forEach((track) => track.stop());
    camera.stream = null;
    $("camera").hidden = true;
  }
  function tick() { clearTimeout(camera.timer); camera.timer = setTimeout(grab, 120); }
  function grab() {
    const video = $("camera");
    if (!camera.running) return;
    if (!video.videoWidth) { tick(); return; }
    const scale = Math.min(1, 800 / video.videoWidth);
    const width = Math.round(video.videoWidth * scale);
    const height = Math.round(video.videoHeight * scale);
    camera.canvas.width = width;
    camera.canvas.height = height;
    const context = camera.canvas.getContext("2d", { willReadFrequently: true });
    context.drawImage(video, 0, 0, width, height);
    const frame = context.getImageData(0, 0, width, height);
    camera.worker.postMessage({ data: frame.data.buffer, width, height }, [frame.data.buffer]);
  }
  async function startCamera() {
    if (camera.running) return;
    if (!camera.worker) {
      camera.worker = new Worker("/static/kasir/scanner-worker.js");
      camera.worker.onmessage = (event) => {
        if (!camera.running) return;
        if (event.data) { stopCamera(); $("camera-note").textContent = ""; check(event.data); }
        else tick();
      };
    }
    try {
      camera.stream = await navigator.mediaDevices.getUserMedia({ audio: false,
        video: { facingMode: { ideal: "environment" }, width: { ideal: 1280 }, height: { ideal: 720 } } });
    } catch (error) {
      try { camera.stream = await navigator.mediaDevices.getUserMedia({ video: true, audio: false }); }
      catch (fallbackError) { $("camera-note").textContent = script.dataset.cameraOff; return; }
    }
    camera.running = true;
    $("camera").srcObject = camera.stream;
    $("camera").hidden = false;
    try { await $("camera").play(); } catch (e) { /* a muted inline video plays; if not, the typed code still works */ }
    $("camera-note").textContent = script.dataset.cameraHint;
    tick();
  }

  $("camera-start").addEventListener("click", startCamera);
  $("check-form").addEventListener("submit", (event) => {
    event.preventDefault();
    const code = $("code").value.trim();
    $("code").value = "";
    if (code) { stopCamera(); check(code); }
  });
})();
