/* Choose a new number (选号入网): browse the stock by prefix, pattern, tier and
 * digits (GET /api/v1/numbers/, paginated), hold one (POST numbers/{msisdn}/hold/,
 * 15 minutes, hidden from every other kiosk meanwhile), buy it (purchase/ ->
 * an order for the deposit plus the opening credit), pay by QR code, and print
 * the receipt once the line is active.
 *
 * Not a personal flow: the kiosk holds the number with its own credential.
 * The hold is given back (release/, keepalive so it outlives the page) whenever
 * the customer leaves without buying: another number, Back, Home, the idle
 * timeout, a reload. Holding and buying need no Idempotency-Key: the API gives
 * the same holder the same hold, and the same hold the same order. */
(function () {
  "use strict";

  const K = window.Kiosk;
  const app = document.querySelector("[data-kiosk]");
  const DEVICE_TOKEN = app.dataset.deviceToken;

  // China Mobile's number blocks; the prefix filter offers those with numbers in stock.
  const BLOCKS = ["134", "135", "136", "137", "138", "139", "147", "150", "151", "152", "157", "158", "159",
    "172", "178", "182", "183", "184", "187", "188", "195", "197", "198"];
  const PREFIXES_FOR_MS = 10 * 60 * 1000; // the blocks in stock change slowly
  const PAGE_SIZE = 24;
  const DIGITS_PAUSE_MS = 350; // search once the customer stops typing
  const POLL_MS = 2000;
  // A customer paying on their phone does not touch the kiosk: the pay screen
  // keeps the kiosk awake this long, and until a paid order is activated.
  const PAY_PATIENCE_MS = K.PAY_PATIENCE_MS;

  const TIERS = {
    normal: ["普通号", "Standard"],
    silver: ["银号", "Silver"],
    gold: ["金号", "Gold"],
    diamond: ["钻石号", "Diamond"],
  };

  const DEFAULT_FILTERS = { prefix: "", pattern: "", tier: "", mode: "ends_with" };

  const num = {
    fresh: true, // the next visit to "numbers" starts from default filters
    filters: Object.assign({}, DEFAULT_FILTERS),
    page: 0,
    seq: 0, // the latest search; older answers are dropped
    listed: new Map(), // msisdn -> the number as the API listed it
    typing: null,
    picking: false,
    prefixes: null,
    prefixesAt: 0,
    held: null, // {number, token, expiresAt, total}
    order: null,
    purchased: false,
    countdown: null,
    poll: null,
    payShownAt: 0,
  };

  const screens = {
    list: K.screenEl("numbers"),
    held: K.screenEl("number-held"),
    pay: K.screenEl("number-pay"),
    done: K.screenEl("number-done"),
  };
  const $ = (screen, selector) => screen.querySelector(selector);

  // --- Showing numbers ----------------------------------------------------------

  function shortYuan(fen) {
    return fen % 100 === 0 ? `¥${fen / 100}` : K.yuan(fen);
  }

  function sameTail(msisdn) {
    let run = 1;
    while (run < msisdn.length && msisdn[msisdn.length - 1 - run] === msisdn[msisdn.length - 1]) run += 1;
    return run;
  }

  /** Which digits to pick out: those the customer searched for, or what makes a special number special. */
  function highlight(number, digits, mode) {
    const msisdn = number.msisdn;
    if (digits) {
      const at = mode === "ends_with" ? msisdn.length - digits.length : msisdn.lastIndexOf(digits);
      return at >= 0 ? [at, at + digits.length] : null;
    }
    const tail = sameTail(msisdn);
    if (tail >= 3) return [msisdn.length - tail, msisdn.length];
    if ((number.patterns || []).some((p) => p === "aabb" || p === "abab" || p === "abcd")) return [7, 11];
    return null;
  }

  /** The number in groups of 3-4-4, the highlighted digits marked. */
  function numberNode(msisdn, marked) {
    const node = document.createElement("span");
    node.className = "k-nums-digits";
    [[0, 3], [3, 7], [7, 11]].forEach(([from, to], index) => {
      if (index) node.append(" ");
      const group = document.createElement("span");
      group.className = "k-nums-group";
      let i = from;
      while (i < to) {
        const inMark = marked && i >= marked[0] && i < marked[1];
        let j = i;
        while (j < to && (marked && j >= marked[0] && j < marked[1]) === inMark) j += 1;
        if (inMark) {
          const b = document.createElement("b");
          b.className = "is-match";
          b.textContent = msisdn.slice(i, j);
          group.append(b);
        } else {
          group.append(msisdn.slice(i, j));
        }
        i = j;
      }
      node.append(group);
    });
    return node;
  }

  function tierName(number) {
    const names = TIERS[number.tier] || [number.tier_name, number.tier];
    return K.t(names[0], names[1]);
  }

  /** "预存 ¥100 · 月消费 ≥ ¥58", or "无预存" for an ordinary number. */
  function priceTerms(number) {
    if (!number.deposit_fen && !number.min_monthly_fen) return K.t("无预存 · 无最低消费", "No deposit, no minimum");
    return K.t(`预存 ${shortYuan(number.deposit_fen)} · 月消费 ≥ ${shortYuan(number.min_monthly_fen)}`,
      `Deposit ${shortYuan(number.deposit_fen)} · min ${shortYuan(number.min_monthly_fen)}/month`);
  }

  function numberButton(number, marked) {
    const button = document.createElement("button");
    button.type = "button";
    button.className = `k-nums-number k-tier-${number.tier}`;
    button.dataset.msisdn = number.msisdn;
    const tier = document.createElement("span");
    tier.className = "k-nums-badge";
    tier.append(tierName(number));
    const terms = document.createElement("span");
    terms.className = "k-nums-terms";
    terms.append(priceTerms(number));
    const foot = document.createElement("span");
    foot.className = "k-nums-foot";
    foot.append(tier, terms);
    button.append(numberNode(number.msisdn, marked), foot);
    return button;
  }

  function facts(dl, rows) {
    dl.replaceChildren();
    rows.forEach(([zh, en, value]) => {
      const dt = document.createElement("dt");
      dt.append(K.t(zh, en));
      const dd = document.createElement("dd");
      dd.append(value instanceof Node ? value : document.createTextNode(value));
      dl.append(dt, dd);
    });
  }

  // --- Filters and the search ---------------------------------------------------------

  function markPressed(attribute, value) {
    screens.list.querySelectorAll(`[${attribute}]`).forEach((chip) => {
      chip.setAttribute("aria-pressed", chip.getAttribute(attribute) === value ? "true" : "false");
    });
  }

  function showFilters() {
    const f = num.filters;
    markPressed("data-num-prefix", f.prefix);
    markPressed("data-num-pattern", f.pattern);
    markPressed("data-num-tier", f.tier);
    markPressed("data-num-mode", f.mode);
    $(screens.list, "[data-num-digits-clear]").hidden = !K.fieldValue("number-digits");
  }

  function renderPrefixes() {
    const box = $(screens.list, "[data-num-prefixes]");
    box.querySelectorAll("[data-num-prefix]:not([data-num-prefix=''])").forEach((chip) => chip.remove());
    (num.prefixes || []).forEach((prefix) => {
      const chip = document.createElement("button");
      chip.type = "button";
      chip.className = "k-nums-chip";
      chip.dataset.numPrefix = prefix;
      chip.textContent = prefix;
      box.append(chip);
    });
    if (num.filters.prefix && !(num.prefixes || []).includes(num.filters.prefix)) num.filters.prefix = "";
    showFilters();
  }

  /** The blocks with numbers in stock: one count per block, kept for a while. */
  async function loadPrefixes() {
    if (num.prefixes && Date.now() - num.prefixesAt < PREFIXES_FOR_MS) {
      renderPrefixes();
      return;
    }
    const counts = await Promise.all(BLOCKS.map((prefix) =>
      K.api("GET", `numbers/?prefix=${prefix}&page_size=1`).then((page) => page.count, () => null)));
    // A block that could not be counted is offered anyway; the list is asked again later.
    num.prefixes = BLOCKS.filter((prefix, i) => counts[i] !== 0);
    num.prefixesAt = counts.includes(null) ? 0 : Date.now();
    renderPrefixes();
  }

  function searchPath(page) {
    const params = new URLSearchParams({ page: String(page), page_size: String(PAGE_SIZE) });
    const f = num.filters;
    if (f.prefix) params.set("prefix", f.prefix);
    if (f.pattern) params.set("pattern", f.pattern);
    if (f.tier) params.set("tier", f.tier);
    const digits = K.fieldValue("number-digits");
    if (digits) params.set(f.mode, digits);
    return `numbers/?${params}`;
  }

  /** Ask the stock. `more` appends the next page; otherwise the list starts again. */
  async function search({ more = false, keepError = false } = {}) {
    clearTimeout(num.typing);
    const seq = ++num.seq;
    const page = more ? num.page + 1 : 1;
    const digits = K.fieldValue("number-digits");
    const mode = num.filters.mode;
    let found;
    try {
      found = await K.api("GET", searchPath(page));
    } catch (err) {
      if (seq === num.seq) K.showError(screens.list, err);
      return;
    }
    if (seq !== num.seq) return; // a newer search is under way
    if (!keepError) K.showError(screens.list, null);
    const grid = $(screens.list, "[data-num-results]");
    if (!more) {
      grid.replaceChildren();
      num.listed.clear();
    }
    num.page = page;
    found.results.forEach((number) => {
      if (num.listed.has(number.msisdn)) return; // the pages shifted under us
      num.listed.set(number.msisdn, number);
      grid.append(numberButton(number, highlight(number, digits, mode)));
    });
    const count = $(screens.list, "[data-num-count]");
    if (found.count) K.setText(count, `共 ${found.count} 个号码可选`, `${found.count} numbers to choose from`);
    else K.setText(count, "没有符合条件的号码，请换个条件试试", "No numbers match; try other filters");
    $(screens.list, "[data-num-more]").hidden = !found.next;
  }

  function searchSoon() {
    clearTimeout(num.typing);
    num.typing = setTimeout(() => search(), DIGITS_PAUSE_MS);
  }

  function setFilter(name, value) {
    num.filters[name] = value;
    showFilters();
    search();
  }

  function clearResults() {
    num.seq += 1;
    num.listed.clear();
    $(screens.list, "[data-num-results]").replaceChildren();
    $(screens.list, "[data-num-count]").replaceChildren();
    $(screens.list, "[data-num-more]").hidden = true;
  }

  // --- Holding a number -----------------------------------------------------------

  /** Give the hold back unless it was bought. Resolves when the server answered (or failed to). */
  function releaseHold() {
    const held = num.held;
    num.held = null;
    stopCountdown();
    if (!held || num.purchased) return Promise.resolve();
    // keepalive: the release is sent even when the page is going away.
    return QmsApi.send("POST", `/api/v1/numbers/${encodeURIComponent(held.number.msisdn)}/release/`, {
      keepalive: true, timeoutMs: 0, authorization: `Kiosk ${DEVICE_TOKEN}`,
    }).catch(() => {});
  }

  async function pick(button) {
    const number = num.listed.get(button.dataset.msisdn);
    if (!number || num.picking) return; // one number at a time
    num.picking = true;
    try {
      await K.busy(button, async () => {
        try {
          const hold = await K.api("POST", `numbers/${encodeURIComponent(number.msisdn)}/hold/`);
          const expiresAt = Date.parse(hold.expires_at);
          num.held = { number, token: hold.hold_token, expiresAt, total: Math.max(1, expiresAt - Date.now()) };
          num.purchased = false;
          num.order = null;
          K.setField("number-contact", "");
          K.go("number-held");
        } catch (err) {
          K.showError(screens.list, err);
          if (err.code === "number_unavailable" || err.status === 404) {
            // Taken by another kiosk or customer a moment ago: the list as it is now.
            button.remove();
            search({ keepError: true });
          }
        }
      });
    } finally {
      num.picking = false;
    }
  }

  function stopCountdown() {
    clearInterval(num.countdown);
    num.countdown = null;
  }

  function tickCountdown() {
    const held = num.held;
    if (!held || K.state.screen !== "number-held") {
      stopCountdown();
      return;
    }
    const left = Math.max(0, held.expiresAt - Date.now());
    const seconds = Math.ceil(left / 1000);
    $(screens.held, "[data-num-countdown]").textContent =
      `${Math.floor(seconds / 60)}:${String(seconds % 60).padStart(2, "0")}`;
    const bar = $(screens.held, "[data-num-countdown-bar]");
    bar.style.width = `${(100 * left) / held.total}%`;
    bar.parentElement.classList.toggle("is-low", left < 2 * 60 * 1000);
    if (left <= 0) {
      stopCountdown();
      $(screens.held, "[data-num-buy]").disabled = true;
      K.showError(screens.held, "保留时间已到，请重新选号 / The hold has ended; please choose a number again.");
    }
  }

  function enterHeld() {
    const held = num.held;
    if (!held) {
      K.show("numbers", {}, { replace: true });
      return;
    }
    const number = held.number;
    $(screens.held, "[data-num-held-number]").replaceChildren(numberNode(number.msisdn, highlight(number, "", "")));
    $(screens.held, "[data-num-held-tier]").replaceChildren(tierName(number));
    facts($(screens.held, "[data-num-held-terms]"), [
      ["号码预存", "Deposit", number.deposit_fen ? K.yuan(number.deposit_fen) : K.t("无", "None")],
      ["月最低消费", "Minimum monthly spend", number.min_monthly_fen ? K.yuan(number.min_monthly_fen) : K.t("无", "None")],
    ]);
    $(screens.held, "[data-num-buy]").disabled = false;
    stopCountdown();
    tickCountdown();
    num.countdown = setInterval(tickCountdown, 500);
  }

  // --- Buying and paying -----------------------------------------------------------

  async function buy(button) {
    const held = num.held;
    if (!held) return;
    const contact = K.fieldValue("number-contact");
    if (contact && !K.PHONE_RE.test(contact)) {
      K.showError(screens.held, "请输入11位手机号，或不填 / Enter an 11-digit mobile number, or leave it empty.");
      return;
    }
    await K.busy(button, async () => {
      const body = { hold_token: held.token };
      if (contact) body.contact_phone = contact;
      try {
        num.order = await K.api("POST", `numbers/${encodeURIComponent(held.number.msisdn)}/purchase/`, { body });
      } catch (err) {
        K.showError(screens.held, err);
        if (err.code === "hold_invalid") {
          stopCountdown();
          button.disabled = true;
        }
        return;
      }
      num.purchased = true;
      stopCountdown();
      K.setField("number-contact", "");
      K.state.history = []; // no way back into a number already ordered: Home ends it
      K.show("number-pay", {}, { replace: true });
    });
    // busy() enables the button again; an ended hold keeps it off.
    if (!num.held || num.held.expiresAt <= Date.now()) button.disabled = true;
  }

  function enterPay() {
    const order = num.order;
    if (!order || !num.held) {
      K.show("home");
      return;
    }
    const number = num.held.number;
    $(screens.pay, "[data-num-pay-number]").replaceChildren(numberNode(number.msisdn, highlight(number, "", "")));
    K.setText($(screens.pay, "[data-num-pay-amount]"), `应付 ${K.yuan(order.amount_fen)}`, `To pay ${K.yuan(order.amount_fen)}`);
    facts($(screens.pay, "[data-num-pay-lines]"), [
      ["号码预存", "Deposit", K.yuan(number.deposit_fen)],
      ["开户预存话费", "Opening credit", K.yuan(order.amount_fen - number.deposit_fen)],
      ["订单号", "Order", order.order_no],
    ]);
    $(screens.pay, "[data-num-pay-qr]").replaceChildren(K.qrImage(K.absolute(order.pay_url)));
    K.setText($(screens.pay, "[data-num-pay-status]"), "等待支付…", "Waiting for your payment…");
    num.payShownAt = Date.now();
    startPolling(order.order_no);
  }

  function startPolling(orderNo) {
    clearTimeout(num.poll);
    const tick = async () => {
      if (!num.order || num.order.order_no !== orderNo || K.state.screen !== "number-pay") return;
      let order = null;
      try {
        order = await K.api("GET", `orders/${encodeURIComponent(orderNo)}/`);
      } catch (err) {
        // The next poll tries again; the payment does not depend on this screen.
      }
      if (!num.order || num.order.order_no !== orderNo || K.state.screen !== "number-pay") return;
      if (order) {
        num.order = order;
        if (order.status === "fulfilled") {
          K.show("number-done", {}, { replace: true });
          return;
        }
        if (order.status === "failed" || order.status === "refunded") {
          K.setText($(screens.pay, "[data-num-pay-status]"), "未能开通", "Not activated");
          K.showError(screens.pay, "号码开通失败，款项将原路退回，请到柜台咨询 / The number could not be activated; "
            + "your payment will be refunded. Please ask at a counter.");
          return;
        }
        if (order.status === "paid") {
          K.setText($(screens.pay, "[data-num-pay-status]"), "已收到付款，正在开通号码…",
            "Payment received; activating your number…");
        }
        const paying = order.status === "paid" || Date.now() - num.payShownAt < PAY_PATIENCE_MS;
        if (paying) K.stayAwake(Date.now() + 5000);
      }
      num.poll = setTimeout(tick, POLL_MS);
    };
    num.poll = setTimeout(tick, POLL_MS);
  }

  // --- Done: the receipt ------------------------------------------------------------

  function printOrder() {
    return K.printWithStatus("order", num.order.order_no, $(screens.done, "[data-num-print-status]"),
      $(screens.done, "[data-num-reprint]"));
  }

  function enterDone() {
    const order = num.order;
    if (!order || !num.held) {
      K.show("home");
      return;
    }
    const number = num.held.number;
    $(screens.done, "[data-num-done-number]").replaceChildren(numberNode(number.msisdn, highlight(number, "", "")));
    facts($(screens.done, "[data-num-done-lines]"), [
      ["号码等级", "Tier", tierName(number)],
      ["已付金额", "Paid", K.yuan(order.amount_fen)],
      ["新号码余额", "Balance of the new number", K.yuan(order.amount_fen)],
      ["订单号", "Order", order.order_no],
    ]);
    K.state.history = [];
    printOrder();
  }

  // --- Leaving ------------------------------------------------------------------------

  function reset() {
    releaseHold();
    clearTimeout(num.poll);
    clearTimeout(num.typing);
    Object.assign(num, {
      fresh: true, filters: Object.assign({}, DEFAULT_FILTERS), page: 0, held: null, order: null,
      purchased: false, poll: null, typing: null, payShownAt: 0,
    });
    clearResults();
    $(screens.list, "[data-num-pad]").hidden = true;
    K.setField("number-digits", "");
    K.setField("number-contact", "");
    showFilters();
    ["[data-num-held-number]", "[data-num-held-tier]", "[data-num-held-terms]", "[data-num-countdown]"]
      .forEach((sel) => $(screens.held, sel).replaceChildren());
    $(screens.held, "[data-num-countdown-bar]").style.width = "0";
    ["[data-num-pay-number]", "[data-num-pay-amount]", "[data-num-pay-lines]", "[data-num-pay-qr]", "[data-num-pay-status]"]
      .forEach((sel) => $(screens.pay, sel).replaceChildren());
    ["[data-num-done-number]", "[data-num-done-lines]", "[data-num-print-status]"]
      .forEach((sel) => $(screens.done, sel).replaceChildren());
    $(screens.done, "[data-num-reprint]").hidden = true;
  }

  function enterList() {
    // Back from a held number (or "choose another"): it goes back to stock first.
    const released = releaseHold();
    if (num.fresh) {
      num.fresh = false;
      showFilters();
      loadPrefixes();
    }
    // Not if the customer has moved on meanwhile (Home would otherwise refill a cleared list).
    released.then(() => { if (K.state.screen === "numbers") search(); });
  }

  K.register("numbers", {
    screens: ["numbers", "number-held", "number-pay", "number-done"],
    personal: false,
    enter(name) {
      if (name === "numbers") enterList();
      else if (name === "number-held") enterHeld();
      else if (name === "number-pay") enterPay();
      else if (name === "number-done") enterDone();
    },
    reset,
  });

  // --- Wiring -------------------------------------------------------------------------

  screens.list.addEventListener("click", (event) => {
    const target = event.target.closest("button, [data-num-digits]");
    if (!target) return;
    const d = target.dataset;
    if (d.msisdn) pick(target);
    else if (d.numPrefix !== undefined) setFilter("prefix", d.numPrefix);
    else if (d.numPattern !== undefined) setFilter("pattern", d.numPattern);
    else if (d.numTier !== undefined) setFilter("tier", d.numTier);
    else if (d.numMode !== undefined) {
      num.filters.mode = d.numMode;
      showFilters();
      if (K.fieldValue("number-digits")) search();
    } else if (d.numDigits !== undefined) {
      const pad = $(screens.list, "[data-num-pad]");
      pad.hidden = !pad.hidden;
      if (!pad.hidden) pad.scrollIntoView({ block: "nearest" });
    } else if (d.numDigitsClear !== undefined) {
      K.setField("number-digits", "");
    } else if (d.numPadDone !== undefined) {
      $(screens.list, "[data-num-pad]").hidden = true;
      search();
    } else if (d.numResetFilters !== undefined) {
      num.filters = Object.assign({}, DEFAULT_FILTERS);
      K.setField("number-digits", "");
      showFilters();
      search();
    } else if (d.numMore !== undefined) {
      K.busy(target, () => search({ more: true }));
    }
  });

  K.onField("number-digits", () => {
    showFilters();
    // Not while the flow is being reset (the field is emptied then too).
    if (K.state.screen === "numbers" && !num.fresh) searchSoon();
  });

  $(screens.held, "[data-num-buy]").addEventListener("click", (e) => buy(e.currentTarget));
  $(screens.held, "[data-num-another]").addEventListener("click", () => K.back());
  $(screens.done, "[data-num-reprint]").addEventListener("click", (e) => K.busy(e.currentTarget, printOrder));
  $(screens.done, "[data-num-finish]").addEventListener("click", () => K.resetAll());
  window.addEventListener("pagehide", () => { releaseHold(); });
})();
