// Mitra KIA cashier app: sign in once, scan (camera, handheld scanner or typed code), confirm, receipt, void.
// No framework and nothing from other hosts; the QR decoder runs in a worker (scanner-worker.js, jsQR).
"use strict";

(function () {
  const TEXT = {
    id: {
      cashier: "Kasir", logout: "Keluar", loginTitle: "Masuk sebagai kasir", username: "Nama pengguna",
      password: "Kata sandi", login: "Masuk", rememberHint: "Perangkat ini tetap masuk sampai Anda menekan Keluar.",
      scanTitle: "Pindai KIA", cameraHint: "Arahkan kamera ke kode QR di kartu",
      cameraOff: "Kamera tidak tersedia — pakai alat pemindai atau ketik kode manual.",
      scanLabel: "Pindai dengan alat pemindai, atau ketik kode manual", check: "Periksa",
      today: "Transaksi hari ini", todayEmpty: "Belum ada transaksi hari ini.", scanAnother: "Pindai kartu lain",
      amountLabel: "Total belanja (Rp)", discount: "Diskon", toPay: "Dibayar", confirm: "Konfirmasi", back: "Kembali",
      retrying: "Mencoba lagi…", receiptTitle: "Berhasil", receiptCode: "Kode struk", time: "Waktu",
      voided: "Dibatalkan", void: "Batalkan", voidConfirm: "Yakin batalkan? Tekan lagi", nextCard: "Pindai kartu berikutnya",
      checking: "Memeriksa…", offline: "Tidak ada koneksi — mencoba lagi…",
      offlineKept: "Tidak ada koneksi. Kode tetap di kolom dan diperiksa lagi begitu koneksi kembali.",
      best: "Paling hemat", nextChild: "Anak berikutnya", quick: "Pakai {title} lagi", active: "KIA aktif", age: "Usia {age} tahun",
      noOffers: "Mitra ini belum punya penawaran aktif.", wrongLogin: "Nama pengguna atau kata sandi salah.",
      notCashier: "Akun ini bukan akun kasir.", amountNeeded: "Isi total belanja.", amountTooLarge: "Total belanja terlalu besar (maks. Rp100.000.000).", failed: "Gagal: {message}",
      statusTitles: { revoked: "Kartu dicabut", expired: "KIA sudah tidak berlaku", superseded: "Kode kartu sudah diganti",
        unknown: "Kartu tidak terdaftar", invalid: "Kode tidak sah" },
      stillPending: "Transaksi sebelumnya belum pasti — mencoba lagi…",
      left: "sisa {n}x",
      offlineChecked: "Diperiksa tanpa koneksi (tanda tangan dan daftar status)",
      minPurchase: "Belanja minimal {amount} untuk penawaran ini.",
      offlineSaved: "Tersimpan di perangkat", offlineSavedNote: "Dikirim otomatis begitu koneksi kembali.",
      pendingTitle: "Menunggu dikirim ({n})", sentTitle: "Sudah dikirim",
      offlineBounds: "Tanpa koneksi: maks. {n} transaksi, sampai {until}",
      sentOk: "diterima", sentOver: "melebihi batas ({flag})", sentRefused: "ditolak ({flag})",
      offlineReasons: {
        offline_needs_connection: "Perlu koneksi untuk memeriksa syarat ini", outside_hours: "Di luar jam berlaku",
        holder_limit_reached: "Sudah dipakai — batas kartu ini", card_region_not_eligible: "Hanya untuk KIA daerah ini",
      },
      offlineRefusals: {
        offline_no_kit: "Tidak ada koneksi, dan perangkat ini belum menyimpan data untuk bekerja tanpa koneksi.",
        offline_kit_expired: "Tidak ada koneksi, dan izin bekerja tanpa koneksi sudah habis ({at}). Sambungkan internet.",
        offline_status_expired: "Tidak ada koneksi, dan daftar status kartu sudah kedaluwarsa ({at}). Sambungkan internet untuk memeriksa kartu.",
        offline_other_office: "Tidak ada koneksi. Kartu dari daerah lain hanya bisa diperiksa online.",
        offline_limit_exceeded: "Batas {n} transaksi tanpa koneksi tercapai. Tunggu koneksi kembali.",
        signature_invalid: "Kode tidak sah.", unknown_key: "Kode tidak sah (kunci tidak dikenal).", qr_unreadable: "Kode tidak terbaca.",
      },
    },
    en: {
      cashier: "Cashier", logout: "Sign out", loginTitle: "Sign in as cashier", username: "Username",
      password: "Password", login: "Sign in", rememberHint: "This device stays signed in until you press Sign out.",
      scanTitle: "Scan a KIA", cameraHint: "Point the camera at the QR code on the card",
      cameraOff: "No camera — use the handheld scanner or type the manual code.",
      scanLabel: "Scan with the handheld scanner, or type the manual code", check: "Check",
      today: "Today's transactions", todayEmpty: "No transactions yet today.", scanAnother: "Scan another card",
      amountLabel: "Purchase total (Rp)", discount: "Discount", toPay: "To pay", confirm: "Confirm", back: "Back",
      retrying: "Retrying…", receiptTitle: "Done", receiptCode: "Receipt code", time: "Time",
      voided: "Voided", void: "Void", voidConfirm: "Sure? Press again to void", nextCard: "Scan the next card",
      checking: "Checking…", offline: "No connection — retrying…",
      offlineKept: "No connection. The code stays in the field and is checked again as soon as the connection returns.",
      best: "Best value", nextChild: "Next child", quick: "Use {title} again", active: "KIA active", age: "Age {age}",
      noOffers: "This partner has no active offers yet.", wrongLogin: "Wrong username or password.",
      notCashier: "This account is not a cashier account.", amountNeeded: "Enter the purchase total.", amountTooLarge: "The purchase total is too large (max. Rp100,000,000).",
      failed: "Failed: {message}",
      statusTitles: { revoked: "Card revoked", expired: "KIA no longer valid", superseded: "Card code replaced",
        unknown: "Card not enrolled", invalid: "Invalid code" },
      stillPending: "The previous transaction is not settled — retrying…",
      left: "{n}x left",
      offlineChecked: "Checked without a connection (signature and status list)",
      minPurchase: "This offer needs a purchase of at least {amount}.",
      offlineSaved: "Saved on this device", offlineSavedNote: "Sent automatically as soon as the connection returns.",
      pendingTitle: "Waiting to be sent ({n})", sentTitle: "Sent",
      offlineBounds: "Offline: at most {n} transactions, until {until}",
      sentOk: "accepted", sentOver: "over the limit ({flag})", sentRefused: "refused ({flag})",
      offlineReasons: {
        offline_needs_connection: "Needs a connection to check this rule", outside_hours: "Outside its hours",
        holder_limit_reached: "Already used — this card's limit", card_region_not_eligible: "Only for this area's KIAs",
      },
      offlineRefusals: {
        offline_no_kit: "No connection, and this device has not saved what it needs to work offline.",
        offline_kit_expired: "No connection, and the time allowed offline has passed ({at}). Connect to the internet.",
        offline_status_expired: "No connection, and the card status list is out of date ({at}). Connect to check cards.",
        offline_other_office: "No connection. A card from another area can only be checked online.",
        offline_limit_exceeded: "The limit of {n} offline transactions is reached. Wait for the connection.",
        signature_invalid: "Invalid code.", unknown_key: "Invalid code (unknown key).", qr_unreadable: "Unreadable code.",
      },
    },
  };
  const ZONES = { "Asia/Jakarta": "WIB", "Asia/Pontianak": "WIB", "Asia/Makassar": "WITA", "Asia/Jayapura": "WIT" };
  const MONTHS = { id: ["Jan", "Feb", "Mar", "Apr", "Mei", "Jun", "Jul", "Agu", "Sep", "Okt", "Nov", "Des"],
    en: ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"] };
  const store = window.localStorage;
  const session = window.sessionStorage;  // the last amount per offer: for this session only
  const SCANNER_KEY_GAP_MS = 30;  // keys this close on average come from a scanner, not a hand
  const NEW_BURST_GAP_MS = 300;  // a pause this long starts a new burst (a stalled phone may hold a key ~150 ms)
  const SCANNER_MIN_LENGTH = 8;  // shorter bursts are not a card's code
  const SAME_CARD_PAUSE_MS = 4000;  // after "next card", the card just read is ignored this long
  const $ = (id) => document.getElementById(id);
  const state = { lang: store.getItem("kasir.lang") || "id", zone: "Asia/Jakarta", scan: null, offer: null,
    receipt: null, busy: false, voidArmed: false, lastQr: null, ignoreSameUntil: 0, waitingFor: null };

  // --- words, money, time -----------------------------------------------------------------------------------
  function t(key, params) {
    let text = TEXT[state.lang][key] || TEXT.id[key] || key;
    Object.entries(params || {}).forEach(([name, value]) => { text = text.replace("{" + name + "}", value); });
    return text;
  }
  function rupiah(amount) {
    return "Rp" + String(Math.trunc(amount)).replace(/\B(?=(\d{3})+(?!\d))/g, ".");
  }
  function localTime(iso) {
    const parts = {};
    new Intl.DateTimeFormat("en-GB", { timeZone: state.zone, year: "numeric", month: "numeric", day: "numeric",
      hour: "2-digit", minute: "2-digit", hourCycle: "h23" }).formatToParts(new Date(iso))
      .forEach((p) => { parts[p.type] = p.value; });
    const sep = state.lang === "en" ? ":" : ".";
    return `${Number(parts.day)} ${MONTHS[state.lang][Number(parts.month) - 1]} ${parts.year} ` +
      `${parts.hour}${sep}${parts.minute} ${ZONES[state.zone] || state.zone}`;
  }
  function applyLanguage() {
    document.documentElement.lang = state.lang;
    document.querySelectorAll("[data-i18n]").forEach((el) => { el.textContent = t(el.dataset.i18n); });
    // Only the visible code changes: the button's name says what it does in both languages and starts with it.
    $("lang-code").textContent = state.lang === "id" ? "EN" : "ID";
  }

  // --- the API, with tokens that renew themselves ---------------------------------------------------------------
  const tokens = {
    get access() { return store.getItem("kasir.access"); },
    get refresh() { return store.getItem("kasir.refresh"); },
    save(body) {
      store.setItem("kasir.access", body.access_token);
      if (body.refresh_token) store.setItem("kasir.refresh", body.refresh_token);
    },
    clear() { ["kasir.access", "kasir.refresh"].forEach((k) => store.removeItem(k)); },
  };

  // Signed in at /masuk, the browser's session cookie is the credential (the API takes it with this CSRF token);
  // signed in here, the device's own tokens are.
  const csrfToken = (document.querySelector('meta[name="csrf-token"]') || {}).content || "";

  async function api(path, options, retried) {
    const headers = Object.assign({ "Accept-Language": state.lang, "Content-Type": "application/json" },
      (options || {}).headers || {});
    if (tokens.access) headers.Authorization = "Bearer " + tokens.access;
    if (csrfToken) headers["X-CSRFToken"] = csrfToken;
    headers["X-Device-Id"] = deviceId();
    const response = await fetch(path, Object.assign({}, options, { headers }));
    if (response.status === 401 && !retried && tokens.refresh && await renew()) return api(path, options, true);
    if (response.status === 401 && !path.endsWith("/auth/login")) { tokens.clear(); show("login"); }
    return response;
  }
  async function renew() {
    const response = await fetch("/api/v1/auth/refresh", { method: "POST", headers: { "Content-Type": "application/json" },
      body: JSON.stringify({ refresh_token: tokens.refresh }) });
    if (!response.ok) { tokens.clear(); return false; }
    tokens.save(await response.json());
    return true;
  }
  function deviceId() {
    let id = store.getItem("kasir.device");
    if (!id) { id = "kasir-" + crypto.randomUUID().slice(0, 8); store.setItem("kasir.device", id); }
    return id;
  }
  const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

  // --- screens --------------------------------------------------------------------------------------------------
  function show(name, keep) {
    document.querySelectorAll(".screen").forEach((el) => { el.hidden = el.id !== "screen-" + name; });
    $("logout").hidden = name === "login";
    if (name === "scan") { $("scan-input").value = keep || ""; focusScan(); camera.start(); refreshToday(); renderOffline(); } else { camera.pause(); }
    if (name === "login") $("username").focus();
  }
  function focusScan() { setTimeout(() => { if (!$("screen-scan").hidden) $("scan-input").focus(); }, 50); }
  function setError(id, message) { $(id).textContent = message || ""; $(id).hidden = !message; }
  async function problemText(response) {
    try { const body = await response.json(); return body.detail || body.title || response.statusText; }
    catch (e) { return response.statusText; }
  }

  // --- sign in --------------------------------------------------------------------------------------------------
  $("login-form").addEventListener("submit", async (event) => {
    event.preventDefault();
    setError("login-error", "");
    const username = $("username").value.trim().toLowerCase();
    // This till's token for this cashier (from their last sign-in here): others' wrong guesses do not slow it down.
    const trusted = store.getItem("kasir.trusted." + username);
    const response = await api("/api/v1/auth/login", { method: "POST", body: JSON.stringify(Object.assign({
      username, password: $("password").value, remember: true }, trusted ? { device_token: trusted } : {})) });
    if (!response.ok) { setError("login-error", response.status === 401 ? t("wrongLogin") : await problemText(response)); return; }
    const body = await response.json();
    if (body.device_token) store.setItem("kasir.trusted." + username, body.device_token);
    tokens.save(body);
    $("password").value = "";
    await start();
  });
  $("logout").addEventListener("click", async () => {
    await api("/api/v1/auth/logout", { method: "POST" });
    tokens.clear();
    show("login");
  });
  $("lang-toggle").addEventListener("click", () => {
    state.lang = state.lang === "id" ? "en" : "id";
    store.setItem("kasir.lang", state.lang);
    applyLanguage();
    if (!$("screen-result").hidden && state.lastQr) check(state.lastQr);
    if (!$("screen-scan").hidden) refreshToday();
  });

  async function start() {
    let me = null;
    try { me = await api("/api/v1/partners/me"); } catch (e) { me = null; }
    let body;
    if (me === null) {  // no connection: the till opens as it was last signed in
      body = JSON.parse(store.getItem("kasir.me") || "null");
      if (!body || !(tokens.access || csrfToken)) { show("login"); return; }
    } else {
      if (!me.ok) { if (me.status !== 401) setError("login-error", t("notCashier")); tokens.clear(); show("login"); return; }
      body = await me.json();
      if (!body.outlet) { setError("login-error", t("notCashier")); tokens.clear(); show("login"); return; }
      store.setItem("kasir.me", JSON.stringify(body));
    }
    state.zone = body.outlet.timezone;
    $("outlet-name").textContent = `${body.partner.name} · ${body.outlet.name}`;
    show("scan");
    if (me !== null) { resumePending(); online(); }
  }
  // Online again (or at start): send what was confirmed offline, then fetch a fresh kit for the next outage.
  async function online() {
    try { await KasirOffline.sync(api); await KasirOffline.refreshKit(api); } catch (e) { /* still offline */ }
    renderOffline();
    if (!$("screen-scan").hidden) refreshToday();
  }
  window.addEventListener("online", online);
  setInterval(() => { if (navigator.onLine && (tokens.access || csrfToken)) online(); }, 5 * 60 * 1000);

  // --- scan -----------------------------------------------------------------------------------------------------
  $("scan-form").addEventListener("submit", (event) => {
    event.preventDefault();
    const text = $("scan-input").value.trim();
    if (text) check(text);
  });

  async function check(text) {
    if (state.busy) return;
    state.busy = true;
    state.lastQr = text;
    state.waitingFor = null;
    setError("scan-error", "");
    camera.pause();
    // Said at once (well within 150 ms), before the network is asked anything.
    $("checking").textContent = t("checking");
    $("checking").hidden = false;
    try {
      const response = await api("/api/v1/verification/scan", { method: "POST", body: JSON.stringify({ qr: text }) });
      if (!response.ok) { setError("scan-error", await problemText(response)); show("scan"); return; }
      state.scan = await response.json();
      renderResult();
      show("result");
    } catch (error) {
      // Offline: a version 2 QR is checked from the offline kit; anything else stays in the field and is checked
      // again as soon as the connection returns.
      try {
        state.scan = await KasirOffline.scan(text, new Date());
        renderResult();
        show("result");
      } catch (refusal) {
        const code = refusal.code || "offline_unsupported";
        const keepIt = ["offline_unsupported", "offline_other_office", "offline_no_kit"].includes(code);
        if (keepIt) state.waitingFor = text;
        show("scan", keepIt ? text : "");
        setError("scan-error", offlineRefusal(code, refusal.params || {}));
      }
    } finally {
      state.busy = false;
      $("checking").hidden = true;
    }
  }
  window.addEventListener("online", () => { if (state.waitingFor && !state.busy) check(state.waitingFor); });
  function offlineRefusal(code, params) {
    const words = t("offlineRefusals")[code] || t("offlineKept");
    return words.replace("{at}", params.at ? localTime(params.at) : "").replace("{n}", params.n || "");
  }

  function renderResult() {
    const card = state.scan.card;
    const box = $("card-status-box");
    box.classList.toggle("refused", card.status !== "active");
    $("card-status").textContent = card.status === "active" ? t("active") : t("statusTitles")[card.status] || card.status;
    $("card-detail").textContent = state.scan.offline ? t("offlineChecked")
      : card.status === "active" ? t("age", { age: card.age_years }) : (card.message || "");
    const list = $("offers");
    list.replaceChildren();
    if (card.status !== "active") return;  // the card's own refusal, said once above: no offer can apply
    const best = bestOffer(state.scan.offers);
    // A family's next child at the same counter: the offer and amount just used, confirmed with one tap.
    const open = state.scan.offers.filter((offer) => offer.eligible);
    const usual = best || (open.length === 1 ? open[0] : null);
    if (usual && (!usual.needs_purchase_amount || lastAmount(usual))) {
      const li = document.createElement("li");
      const quick = document.createElement("button");
      quick.type = "button";
      quick.id = "quick-confirm";
      quick.className = "primary wide";
      const amount = usual.needs_purchase_amount ? lastAmount(usual) : null;
      quick.textContent = t("quick", { title: usual.title }) + (amount ? ` · ${rupiah(amount)}` : "");
      quick.addEventListener("click", async () => {
        if (state.busy) return;
        choose(usual);  // the confirm screen, filled, in case the answer is a refusal to read
        const pending = { key: crypto.randomUUID(), qr: state.lastQr, offer_id: usual.offer_id,
          purchase_amount: amount === null ? undefined : amount, title: usual.title };
        store.setItem("kasir.pending", JSON.stringify(pending));
        await submit(pending);
      });
      li.append(quick);
      list.append(li);
    }
    if (!state.scan.offers.length) {
      const li = document.createElement("li");
      li.className = "hint";
      li.textContent = t("noOffers");
      list.append(li);
    }
    state.scan.offers.forEach((offer) => {
      const li = document.createElement("li");
      const button = document.createElement("button");
      button.type = "button";
      button.className = "offer" + (offer.eligible ? "" : " ineligible");
      button.disabled = !offer.eligible;
      button.setAttribute("aria-disabled", String(!offer.eligible));
      button.append(span("offer-title", offer.title), span("offer-benefit", offer.benefit.text));
      if (offer.eligible) {
        if (best && best.offer_id === offer.offer_id) button.append(span("offer-best", t("best")));
        if (offer.remaining !== null && offer.remaining !== undefined) button.append(span("offer-note", t("left", { n: offer.remaining })));
        button.addEventListener("click", () => choose(offer));
      } else {
        button.append(span("offer-reason", offer.message || t("offlineReasons")[offer.reason_code] || offer.reason_code));
      }
      li.append(button);
      list.append(li);
    });
  }
  // Of two or more applicable offers, the one worth more to the family for the amount last entered here (or, for
  // offers that need no amount, their value).
  function bestOffer(offers) {
    const open = offers.filter((offer) => offer.eligible);
    if (open.length < 2) return null;
    const worth = (offer) => discountFor(offer.benefit, lastAmount(offer) || 0);
    const sorted = open.slice().sort((a, b) => worth(b) - worth(a));
    return worth(sorted[0]) > worth(sorted[1]) ? sorted[0] : null;
  }
  function lastAmount(offer) { return Number(session.getItem("kasir.amount." + offer.offer_id) || 0); }
  function span(className, text) { const el = document.createElement("span"); el.className = className; el.textContent = text; return el; }
  // "Next card": the card still in front of the camera is not read again; a different one is read at once.
  function nextCard() { state.ignoreSameUntil = Date.now() + SAME_CARD_PAUSE_MS; show("scan"); }
  $("scan-again").addEventListener("click", nextCard);

  // --- confirm, with a key that survives retries ---------------------------------------------------------------
  function choose(offer) {
    state.offer = offer;
    $("confirm-title").textContent = offer.title;
    $("confirm-benefit").textContent = offer.benefit.text;
    const remembered = lastAmount(offer);
    $("amount").value = offer.needs_purchase_amount && remembered ? String(remembered) : "";
    $("amount-group").hidden = !offer.needs_purchase_amount;
    setError("confirm-error", "");
    $("retrying").hidden = true;
    preview();
    show("confirm");
    if (offer.needs_purchase_amount) $("amount").focus();
  }
  // Whole rupiah typed as the cashier reads it ("100.000"); the API takes only a JSON integer, up to Rp100 juta.
  const MAX_AMOUNT = 100000000;
  function amountValue() {
    const digits = ($("amount").value || "").replace(/\D/g, "");
    const value = digits ? Number(digits) : 0;
    return digits.length <= 9 && value <= MAX_AMOUNT ? value : NaN;
  }
  function discountFor(benefit, amount) {
    if (benefit.type === "percent") {
      const value = Math.floor(amount * benefit.percent / 100);
      return benefit.max_discount ? Math.min(value, benefit.max_discount) : value;
    }
    if (benefit.type === "fixed_amount") return Math.min(benefit.amount, amount);
    return benefit.value || 0;
  }
  function preview() {
    const amount = amountValue();
    if (Number.isNaN(amount)) { $("preview-discount").textContent = "–"; $("preview-pay").textContent = "–"; return; }
    const discount = discountFor(state.offer.benefit, amount);
    $("preview-discount").textContent = rupiah(discount);
    $("preview-pay").textContent = rupiah(Math.max(0, amount - discount));
  }
  $("amount").addEventListener("input", preview);
  $("confirm-back").addEventListener("click", () => { renderResult(); show("result"); });

  $("confirm-form").addEventListener("submit", async (event) => {
    event.preventDefault();
    if (state.busy) return;
    const needed = state.offer.needs_purchase_amount;
    if (needed && !$("amount").value) { setError("confirm-error", t("amountNeeded")); return; }
    if (needed && Number.isNaN(amountValue())) { setError("confirm-error", t("amountTooLarge")); return; }
    // Sent only where the benefit depends on it (the API refuses a percentage offer without one).
    const pending = { key: crypto.randomUUID(), qr: state.lastQr, offer_id: state.offer.offer_id,
      purchase_amount: needed ? amountValue() : undefined, title: state.offer.title };
    if (needed) session.setItem("kasir.amount." + state.offer.offer_id, String(amountValue()));
    store.setItem("kasir.pending", JSON.stringify(pending));
    await submit(pending);
  });

  async function submit(pending) {
    if (state.scan && state.scan.offline && pending.qr === state.lastQr) { keepOffline(pending); return; }
    state.busy = true;
    $("confirm-button").disabled = true;
    setError("confirm-error", "");
    let attempt = 0;
    try {
      for (;;) {
        let response;
        try {
          response = await api("/api/v1/verification/redemptions", { method: "POST",
            headers: { "Idempotency-Key": pending.key },
            body: JSON.stringify({ qr: pending.qr, offer_id: pending.offer_id, purchase_amount: pending.purchase_amount }) });
        } catch (networkError) {
          response = null;
        }
        if (response && response.status === 201) {
          store.removeItem("kasir.pending");
          showReceipt(await response.json(), pending.title);
          return;
        }
        const inFlight = response && response.status === 409 &&
          (await response.clone().json().catch(() => ({}))).code === "idempotency_key_in_flight";
        if (response && response.status < 500 && !inFlight) {
          store.removeItem("kasir.pending");
          setError("confirm-error", await problemText(response));
          return;
        }
        // Lost connection, server error or the first try still running: same key, again, until it settles.
        $("retrying").hidden = false;
        attempt += 1;
        await sleep(Math.min(4000, 400 * attempt));
      }
    } finally {
      state.busy = false;
      $("confirm-button").disabled = false;
      $("retrying").hidden = true;
    }
  }

  // Confirmed without a connection: kept on this device (within the partner's bounds) and sent later.
  function keepOffline(pending) {
    const offer = state.scan.offers.find((o) => o.offer_id === pending.offer_id) || { benefit: {} };
    const discount = offer.benefit.type ? discountFor(offer.benefit, pending.purchase_amount || 0) : 0;
    store.removeItem("kasir.pending");
    if (offer.min_purchase && (pending.purchase_amount || 0) < offer.min_purchase) {  // as the server would say
      setError("confirm-error", t("minPurchase", { amount: rupiah(offer.min_purchase) }));
      return;
    }
    try {
      KasirOffline.keep(Object.assign({}, pending, { slot: state.scan.slot, discount }), new Date());
    } catch (refusal) {
      setError("confirm-error", offlineRefusal(refusal.code, refusal.params || {}));
      return;
    }
    state.receipt = null;
    $("receipt-title").textContent = t("offlineSaved");
    $("receipt-offer").textContent = pending.title;
    $("receipt-code").textContent = t("offlineSavedNote");
    $("receipt-discount").textContent = rupiah(discount);
    $("receipt-time").textContent = localTime(new Date().toISOString());
    $("receipt-voided").hidden = true;
    $("void-button").hidden = true;
    setError("void-error", "");
    renderOffline();
    show("receipt");
  }
  // What is waiting on this device, what the server said of what was sent, and the partner's offline bounds.
  function renderOffline() {
    const kit = KasirOffline.kit();
    const waiting = KasirOffline.queue();
    const sent = KasirOffline.sent().slice(-5).reverse();
    $("offline-box").hidden = !kit && !waiting.length && !sent.length;
    $("offline-bounds").textContent = kit ? t("offlineBounds", { n: kit.max_redemptions, until: localTime(kit.usable_until) }) : "";
    $("pending-title").textContent = t("pendingTitle", { n: waiting.length });
    $("pending-list").replaceChildren(...waiting.map((item) => {
      const li = document.createElement("li");
      li.textContent = `${localTime(item.offline_at).split(" ").slice(3).join(" ")} · ${item.title} · ${rupiah(item.discount || 0)}`;
      return li;
    }));
    $("sent-title").hidden = !sent.length;
    $("sent-list").replaceChildren(...sent.map((item) => {
      const li = document.createElement("li");
      const said = item.status === "completed" ? t("sentOk") : item.status === "offline_over_limit"
        ? t("sentOver", { flag: item.flag }) : t("sentRefused", { flag: item.flag });
      li.textContent = `${localTime(item.offline_at).split(" ").slice(3).join(" ")} · ${item.title} · ${said}`;
      li.className = item.status === "completed" ? "" : "item-flagged";
      return li;
    }));
  }

  function resumePending() {
    const saved = store.getItem("kasir.pending");
    if (!saved) return;
    const pending = JSON.parse(saved);
    state.offer = { title: pending.title, benefit: { text: "" }, needs_purchase_amount: false, offer_id: pending.offer_id };
    $("confirm-title").textContent = pending.title;
    $("confirm-benefit").textContent = t("stillPending");
    $("amount-group").hidden = true;
    show("confirm");
    submit(pending);
  }

  // --- receipt and void -----------------------------------------------------------------------------------------
  function showReceipt(receipt, title) {
    state.receipt = receipt;
    state.voidArmed = false;
    $("receipt-offer").textContent = title;
    $("receipt-code").textContent = receipt.receipt_code;
    $("receipt-discount").textContent = rupiah(receipt.discount_amount);
    $("receipt-time").textContent = localTime(receipt.redeemed_at);
    $("receipt-voided").hidden = true;
    $("receipt-title").textContent = t("receiptTitle");
    $("void-button").textContent = t("void");
    $("void-button").hidden = new Date(receipt.void_deadline) <= new Date();
    setError("void-error", "");
    show("receipt");
  }
  $("void-button").addEventListener("click", async () => {
    if (!state.voidArmed) {  // an irreversible act asks twice
      state.voidArmed = true;
      $("void-button").textContent = t("voidConfirm");
      setTimeout(() => { state.voidArmed = false; $("void-button").textContent = t("void"); }, 6000);
      return;
    }
    const response = await voidRedemption(state.receipt.redemption_id);
    if (response.ok) { $("receipt-voided").hidden = false; $("void-button").hidden = true; }
    else setError("void-error", await problemText(response));
  });
  function voidRedemption(id) {
    return api(`/api/v1/verification/redemptions/${id}/void`, { method: "POST", body: JSON.stringify({ reason: "dibatalkan kasir" }) });
  }
  $("next-card").addEventListener("click", nextCard);

  async function refreshToday() {
    let response;
    try { response = await api("/api/v1/verification/redemptions?limit=50"); } catch (e) { return; }
    if (!response.ok) return;
    const items = (await response.json()).items;
    const list = $("today-list");
    list.replaceChildren();
    $("today-empty").hidden = items.length > 0;
    items.forEach((item) => {
      const li = document.createElement("li");
      const label = span(item.status === "voided" ? "item-voided" : "",
        `${localTime(item.redeemed_at).split(" ").slice(3).join(" ")} · ${item.offer_title} · ${rupiah(item.discount_amount)}`);
      li.append(label);
      if (item.status === "completed" && new Date(item.void_deadline) > new Date()) {
        const button = document.createElement("button");
        button.type = "button";
        button.className = "secondary";
        button.textContent = t("void");
        button.setAttribute("aria-label", `${t("void")} ${item.receipt_code}`);
        button.addEventListener("click", async () => {
          if (button.dataset.armed !== "1") { button.dataset.armed = "1"; button.textContent = t("voidConfirm"); return; }
          const done = await voidRedemption(item.redemption_id);
          if (done.ok) refreshToday();
        });
        li.append(button);
      }
      list.append(li);
    });
  }

  // --- the camera: frames to the decoder worker, about eight a second ---------------------------------------------
  const camera = {
    stream: null, worker: null, timer: null, canvas: document.createElement("canvas"), running: false,
    async start() {
      if (this.running) return;
      this.running = true;
      if (!this.worker) {
        this.worker = new Worker("/static/kasir/scanner-worker.js");
        this.worker.onmessage = (event) => {
          const same = event.data && event.data === state.lastQr && Date.now() < state.ignoreSameUntil;
          if (event.data && this.running && !state.busy && !same) { this.running = false; $("scan-input").value = ""; check(event.data); }
          else if (this.running) this.tick();
        };
      }
      if (!this.stream) {
        try {
          this.stream = await navigator.mediaDevices.getUserMedia({ audio: false,
            video: { facingMode: { ideal: "environment" }, width: { ideal: 1280 }, height: { ideal: 720 } } });
        } catch (error) {
          try { this.stream = await navigator.mediaDevices.getUserMedia({ video: true, audio: false }); }
          catch (fallbackError) { $("camera-note").textContent = t("cameraOff"); this.running = false; return; }
        }
        $("camera").srcObject = this.stream;
      }
      try { await $("camera").play(); } catch (e) { /* autoplay may wait for a tap; the scanner field still works */ }
      $("camera-note").textContent = t("cameraHint");
      this.tick();
    },
    tick() {
      clearTimeout(this.timer);
      this.timer = setTimeout(() => this.grab(), 120);
    },
    grab() {
      const video = $("camera");
      if (!this.running) return;
      if (!video.videoWidth) { this.tick(); return; }
      const scale = Math.min(1, 800 / video.videoWidth);
      const width = Math.round(video.videoWidth * scale);
      const height = Math.round(video.videoHeight * scale);
      this.canvas.width = width;
      this.canvas.height = height;
      const context = this.canvas.getContext("2d", { willReadFrequently: true });
      context.drawImage(video, 0, 0, width, height);
      const frame = context.getImageData(0, 0, width, height);
      this.worker.postMessage({ data: frame.data.buffer, width, height }, [frame.data.buffer]);
    },
    pause() { this.running = false; clearTimeout(this.timer); },
  };

  // --- a keyboard-wedge scanner, on any screen -----------------------------------------------------------------
  // A scanner types a whole code within a few milliseconds per key and presses Enter; a person types slower. On the
  // result, confirm and receipt screens such a burst starts the next child's check; whatever it typed into the
  // amount field is taken out again, so a QR never becomes "Dibayar RpInfinity".
  const burst = { text: "", last: 0, start: 0, field: null, before: "" };
  document.addEventListener("keydown", (event) => {
    if (!$("screen-scan").hidden || !$("screen-login").hidden) return;  // the scan field and sign-in take keys as usual
    // When the key was pressed, not when this handler got to it: a busy phone (or a loaded test machine) holds
    // keys in its queue, and handling them late must not split one scanner burst into two.
    const now = event.timeStamp || performance.now();
    const gap = now - burst.last;
    burst.last = now;
    if (event.key === "Enter") {
      // A scanner's keys average a few milliseconds apart (a busy phone may stall one now and then); a hand's are
      // a hundred or more.
      const average = burst.text ? (now - burst.start) / burst.text.length : Infinity;
      if (burst.text.length >= SCANNER_MIN_LENGTH && average < SCANNER_KEY_GAP_MS) {
        event.preventDefault();
        if (burst.field) { burst.field.value = burst.before; if (!$("screen-confirm").hidden) preview(); }
        const text = burst.text;
        burst.text = "";
        if (!state.busy) check(text);
      }
      burst.text = "";
      return;
    }
    if (event.key.length !== 1) return;
    if (gap > NEW_BURST_GAP_MS || !burst.text) {  // a new burst (or a person typing): what the field held before it
      burst.text = "";
      burst.start = now;
      burst.field = document.activeElement && document.activeElement.id === "amount" ? document.activeElement : null;
      burst.before = burst.field ? burst.field.value : "";
    }
    burst.text += event.key;
  }, true);

  // --- start ------------------------------------------------------------------------------------------------------
  window.addEventListener("online", () => { $("connection").hidden = true; });
  window.addEventListener("offline", () => { $("connection").textContent = t("offline"); $("connection").hidden = false; });
  applyLanguage();
  // The app shell is kept by a service worker (/kasir-sw.js), so the till opens with no connection at all.
  if ("serviceWorker" in navigator) navigator.serviceWorker.register("/kasir-sw.js", { scope: "/kasir" }).catch(() => {});
  // A device's own tokens, or the session of a cashier who signed in at /masuk: start() finds out (401: sign in).
  start();
})();
