// Mitra KIA cashier app, without a connection: the offline kit (keys, signed status lists, offers with the moments
// they apply, past redemptions by print slot), a card checked from it alone (a version 2 QR's COSE signature with
// WebCrypto, its entry in the office's Bitstring Status List), and the redemptions confirmed offline, kept on the
// device with their Idempotency-Key until the server has each one. docs/cashier.md says what a cashier sees.
"use strict";

window.KasirOffline = (function () {
  const store = window.localStorage;
  const KIT = "kasir.kit";
  const QUEUE = "kasir.offline";
  const SENT = "kasir.offline.sent";
  const LIST_SIZE = 131072;
  const HALF_ORDER = 0x7fffffff800000007fffffffffffffffde737d56d38bcf4279dce5617e3192a8n;
  // A version 2 message is these bytes with the kid at KID_AT and the 4-byte slot at SLOT_AT (docs/credentials.md).
  const TEMPLATE = [0x84, 0x43, 0xa1, 0x01, 0x26, 0xa1, 0x04, 0x41, null, 0x47, 0xa1, 0x07, 0x44, null, null, null, null, 0x58, 0x40];
  const KID_AT = 8, PAYLOAD = [10, 17], SLOT_AT = 13, SIGNATURE_AT = 19, LENGTH = 83;
  const BASE45 = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ $%*+-./:";
  const STATES = ["active", "revoked", "superseded", "expired"];

  class Refusal extends Error {
    constructor(code, params) { super(code); this.code = code; this.params = params || {}; }
  }

  // --- bytes ------------------------------------------------------------------------------------------------------
  function base45(text) {
    const out = [];
    for (let i = 0; i < text.length; i += 3) {
      const chunk = text.slice(i, i + 3);
      let n = 0;
      for (let j = chunk.length - 1; j >= 0; j -= 1) {
        const v = BASE45.indexOf(chunk[j]);
        if (v < 0) throw new Refusal("qr_unreadable");
        n = n * 45 + v;
      }
      if (chunk.length === 3) { if (n > 0xffff) throw new Refusal("qr_unreadable"); out.push(n >> 8, n & 0xff); }
      else if (chunk.length === 2) { if (n > 0xff) throw new Refusal("qr_unreadable"); out.push(n); }
      else throw new Refusal("qr_unreadable");
    }
    return new Uint8Array(out);
  }
  function unb64url(text) {
    const padded = text.replace(/-/g, "+").replace(/_/g, "/") + "===".slice((text.length + 3) % 4);
    return Uint8Array.from(atob(padded), (c) => c.charCodeAt(0));
  }
  const ascii = (text) => new TextEncoder().encode(text);
  function concat(...parts) {
    const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
    let at = 0;
    parts.forEach((p) => { out.set(p, at); at += p.length; });
    return out;
  }
  function bigint(bytes) { return bytes.reduce((n, b) => (n << 8n) | BigInt(b), 0n); }

  async function verifyKey(key) {
    return crypto.subtle.importKey("jwk", { kty: "EC", crv: "P-256", x: key.x, y: key.y, ext: true },
      { name: "ECDSA", namedCurve: "P-256" }, false, ["verify"]);
  }
  function es256(publicKey, signature, data) {
    return crypto.subtle.verify({ name: "ECDSA", hash: "SHA-256" }, publicKey, signature, data);
  }

  // --- the kit ------------------------------------------------------------------------------------------------------
  function kit() { try { return JSON.parse(store.getItem(KIT)); } catch (e) { return null; } }
  async function refreshKit(api) {
    const response = await api("/api/v1/verification/offline-kit");
    if (!response.ok) return kit();
    const body = await response.json();
    body.lists = {};
    for (const list of body.status_lists) body.lists[list.number] = await readList(body, list);
    delete body.status_lists;
    store.setItem(KIT, JSON.stringify(body));
    return body;
  }
  // A signed list checked once, when it arrives: its signature, its validity, and its bits unpacked.
  async function readList(body, list) {
    const [header, payload, signature] = list.token.split(".");
    const kid = JSON.parse(new TextDecoder().decode(unb64url(header))).kid;
    const key = body.keys.find((k) => k.jws_kid === kid);
    if (!key || !await es256(await verifyKey(key), unb64url(signature), ascii(header + "." + payload))) {
      return { city_code: list.city_code, invalid: true };
    }
    const credential = JSON.parse(new TextDecoder().decode(unb64url(payload)));
    const encoded = credential.credentialSubject.encodedList.slice(1);  // multibase "u": base64url
    const stream = new Blob([unb64url(encoded)]).stream().pipeThrough(new DecompressionStream("gzip"));
    const bits = new Uint8Array(await new Response(stream).arrayBuffer());
    let binary = "";
    for (let i = 0; i < bits.length; i += 8192) binary += String.fromCharCode(...bits.subarray(i, i + 8192));
    return { city_code: list.city_code, valid_until: credential.validUntil, bits: btoa(binary) };
  }
  function entry(list, index) {  // 2 bits per entry, the first in the left-most bits; the bits kept as base64
    const byteAt = Math.floor(index / 4);
    const bytes = atob(list.bits.slice(Math.floor(byteAt / 3) * 4, Math.floor(byteAt / 3) * 4 + 4));
    return (bytes.charCodeAt(byteAt % 3) >> (6 - (index % 4) * 2)) & 3;
  }

  // Why the till cannot work offline now, or null: no kit, the partner's hours passed, a status list too old.
  function unusable(found, now) {
    if (!found) return new Refusal("offline_no_kit");
    if (new Date(found.usable_until) <= now) return new Refusal("offline_kit_expired", { at: found.usable_until });
    const stale = Object.values(found.lists).find((list) => !list.invalid && new Date(list.valid_until) <= now);
    if (stale) return new Refusal("offline_status_expired", { at: stale.valid_until });
    return null;
  }

  // --- one card ---------------------------------------------------------------------------------------------------
  async function readCard(text, found) {
    if (text.length < 100) throw new Refusal("offline_unsupported");  // a manual code: looked up online only
    const message = base45(text);
    if (message.length !== LENGTH || TEMPLATE.some((b, i) => b !== null && message[i] !== b)) {
      throw new Refusal("offline_unsupported");  // a version 1 sticker, or one this till cannot check offline
    }
    const key = found.keys.find((k) => k.kid === message[KID_AT]);
    if (!key) throw new Refusal("unknown_key");
    const signature = message.slice(SIGNATURE_AT);
    if (bigint(signature.slice(32)) > HALF_ORDER) throw new Refusal("signature_invalid");
    const payload = message.slice(PAYLOAD[0], PAYLOAD[1]);  // the CWT claims {7: slot}
    const toBeSigned = concat(Uint8Array.of(0x84, 0x6a), ascii("Signature1"), Uint8Array.of(0x43, 0xa1, 0x01, 0x26, 0x40, 0x47), payload);
    if (!await es256(await verifyKey(key), signature, toBeSigned)) throw new Refusal("signature_invalid");
    const slot = Number(bigint(message.slice(SLOT_AT, SLOT_AT + 4)));
    const list = found.lists[Math.floor(slot / LIST_SIZE)];
    if (!list || list.invalid) throw new Refusal("offline_other_office");
    return { slot, city_code: list.city_code, state: STATES[entry(list, slot % LIST_SIZE)] };
  }

  // --- rules, as far as a till can know them ----------------------------------------------------------------------
  function localDay(moment, zone) {
    const parts = {};
    new Intl.DateTimeFormat("en-GB", { timeZone: zone, year: "numeric", month: "2-digit", day: "2-digit" })
      .formatToParts(moment).forEach((p) => { parts[p.type] = p.value; });
    return `${parts.year}-${parts.month}-${parts.day}`;
  }
  function periodStart(day, period) {
    const date = new Date(day + "T00:00:00Z");
    if (period === "day") return day;
    if (period === "week") { date.setUTCDate(date.getUTCDate() - ((date.getUTCDay() + 6) % 7)); return date.toISOString().slice(0, 10); }
    if (period === "month") return day.slice(0, 8) + "01";
    if (period === "year") return day.slice(0, 5) + "01-01";
    return "0000-01-01";  // a card's lifetime
  }
  function uses(found, slot, offerId) {
    const here = found.redemptions.filter((r) => r.slot === slot && r.offer_id === offerId).map((r) => r.local_date);
    const kept = queue().filter((p) => p.slot === slot && p.offer_id === offerId).map((p) => p.local_date);
    return here.concat(kept);
  }
  function verdict(offer, card, found, now) {
    if (!offer.offline) return { eligible: false, reason_code: "offline_needs_connection", detail: offer.offline_reason };
    if (!offer.windows.some(([from, until]) => new Date(from) <= now && now < new Date(until))) {
      return { eligible: false, reason_code: "outside_hours" };
    }
    if (offer.holders_of && !offer.holders_of.includes(card.city_code)) return { eligible: false, reason_code: "card_region_not_eligible" };
    const today = localDay(now, found.zone);
    const days = uses(found, card.slot, offer.id);
    let remaining = null;
    for (const limit of offer.limits) {
      const start = periodStart(today, limit.period);
      const left = limit.count - days.filter((day) => day >= start).length;
      remaining = remaining === null ? left : Math.min(remaining, left);
      if (left <= 0) return { eligible: false, reason_code: "holder_limit_reached", period: limit.period, remaining: 0 };
    }
    return { eligible: true, remaining };
  }

  // What the scan API would say, from the kit alone: the card's state and each offer's verdict.
  async function scan(text, now) {
    const found = kit();
    const broken = unusable(found, now);
    if (broken) throw broken;
    const card = await readCard(text, found);
    const offers = found.offers.map((offer) => Object.assign({
      offer_id: offer.id, title: offer.title, benefit: Object.assign({ text: offer.benefit_text }, offer.benefit),
      needs_purchase_amount: offer.needs_amount, min_purchase: offer.min_purchase,
    }, card.state === "active" ? verdict(offer, card, found, now) : { eligible: false }));
    return { offline: true, slot: card.slot, card: { status: card.state, age_years: null },
      offers: offers.sort((a, b) => Number(b.eligible) - Number(a.eligible)) };
  }

  // --- redemptions confirmed offline --------------------------------------------------------------------------------
  function queue() { try { return JSON.parse(store.getItem(QUEUE)) || []; } catch (e) { return []; } }
  function sent() { try { return JSON.parse(store.getItem(SENT)) || []; } catch (e) { return []; } }
  // Kept on the device, within the partner's bounds; refused with a reason code past them.
  function keep(pending, now) {
    const found = kit();
    const broken = unusable(found, now);
    if (broken) throw broken;
    const kept = queue();
    if (kept.length >= found.max_redemptions) throw new Refusal("offline_limit_exceeded", { n: found.max_redemptions });
    const item = Object.assign({}, pending, { offline_at: now.toISOString(), local_date: localDay(now, found.zone) });
    kept.push(item);
    store.setItem(QUEUE, JSON.stringify(kept));
    return item;
  }
  // Each kept redemption to the server, oldest first, with its own key: a retry after a lost answer is the same one.
  async function sync(api) {
    let changed = false;
    for (const item of queue()) {
      let response;
      try {
        response = await api("/api/v1/verification/redemptions", { method: "POST", headers: { "Idempotency-Key": item.key },
          body: JSON.stringify({ qr: item.qr, offer_id: item.offer_id, purchase_amount: item.purchase_amount, offline_at: item.offline_at }) });
      } catch (e) { return changed; }
      if (response.status >= 500 || response.status === 401 || response.status === 429) return changed;
      const body = await response.json().catch(() => ({}));
      if (response.status === 409 && body.code === "idempotency_key_in_flight") return changed;
      const outcome = response.status === 201
        ? { status: body.status, flag: body.flag, receipt_code: body.receipt_code }
        : { status: "refused", flag: body.code, detail: body.detail };
      store.setItem(SENT, JSON.stringify(sent().concat([Object.assign({ title: item.title, offline_at: item.offline_at,
        discount: item.discount }, outcome)]).slice(-50)));
      store.setItem(QUEUE, JSON.stringify(queue().filter((p) => p.key !== item.key)));
      changed = true;
    }
    return changed;
  }

  return { kit, refreshKit, scan, keep, queue, sent, sync };
})();
