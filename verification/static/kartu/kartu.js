// The parent's rotating card code: the printed sticker's text in, a new short-lived code out, renewed every minute
// while the page is open. The sticker's text stays in this page's memory only.
"use strict";

(function () {
  const script = document.currentScript;
  const RENEW_MS = 60 * 1000;
  const $ = (id) => document.getElementById(id);
  let printed = "";
  let timer = null;

  function until(iso) {
    const time = new Intl.DateTimeFormat("id-ID", { timeZone: "Asia/Jakarta", hour: "2-digit", minute: "2-digit", hourCycle: "h23" })
      .format(new Date(iso)).replace(":", ".");
    return `${script.dataset.until} ${time} WIB`;
  }
  async function show() {
    const response = await fetch("/api/v1/cards/presentations", { method: "POST",
      headers: { "Content-Type": "application/json", "Accept-Language": script.dataset.lang || "id" },
      body: JSON.stringify({ qr: printed }) });
    const body = await response.json().catch(() => ({}));
    if (!response.ok) {
      $("present-error").textContent = body.detail || body.title || response.statusText;
      $("present-error").hidden = false;
      $("presentation").hidden = true;
      clearTimeout(timer);
      return;
    }
    $("present-error").hidden = true;
    const svg = new DOMParser().parseFromString(body.svg, "image/svg+xml").documentElement;
    $("presentation-qr").replaceChildren(document.importNode(svg, true));
    $("presentation-until").textContent = until(body.expires_at);
    $("presentation").hidden = false;
    clearTimeout(timer);
    timer = setTimeout(show, RENEW_MS);
  }
  $("present-form").addEventListener("submit", (event) => {
    event.preventDefault();
    printed = $("printed").value.trim();
    $("printed").value = "";
    if (printed) show();
  });
})();
