/* The signed-in customer's own services: points (积分兑换), bills (账单查询),
 * data usage (流量查询), data packs (流量包) and value-added services
 * (增值业务, the "0000" list). Every flow is personal: Kiosk.go() asks for the
 * phone and the texted code first, and every call is made as the customer.
 *
 * Nothing about the customer outlives reset(): the screens' [data-acct-fill]
 * parts are emptied and the memory cleared, and answers still on their way
 * when the kiosk resets are dropped (each carries the generation it was
 * asked in). A redemption's Idempotency-Key is made when the customer
 * confirms, and kept only for a retry after a network failure, so a double
 * tap or a retry spends once. */
(function () {
  "use strict";

  const K = window.Kiosk;
  const SCREENS = ["points", "points-quantity", "points-done", "bills", "usage", "packs", "packs-done",
    "vas", "vas-catalogue", "vas-confirm"];
  const KIND = { bill_credit: ["话费", "Bill credit"], data: ["流量", "Data"], gift: ["礼品", "Gift"] };
  const MONTHS_EN = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"];
  // The local carrier's bill lines in English; others show as the carrier wrote them.
  const BILL_ITEMS_EN = {
    套餐及固定费: "Plan and fixed fees", 语音通信费: "Calls", 短信彩信费: "Texts (SMS/MMS)", 上网费: "Mobile data",
    增值业务费: "Value-added services",
  };
  const MAX_QUANTITY = 99;
  const LOW_PERCENT = 20;

  function fresh() {
    return {
      generation: 0,
      asking: false,
      me: null,
      rewards: [],
      reward: null,
      quantity: 1,
      redeemKey: null,
      redeemKeyFor: null,
      redemption: null,
      bills: [],
      billMonth: null,
      packs: [],
      purchase: null,
      vas: [],
      confirmation: null,
      countdown: null,
    };
  }

  const acct = fresh();

  // --- Small helpers ---------------------------------------------------------------

  function screen(name) {
    return K.screenEl(name);
  }

  function part(name, selector) {
    return screen(name).querySelector(selector);
  }

  function el(tag, className, ...children) {
    const node = document.createElement(tag);
    if (className) node.className = className;
    children.forEach((child) => {
      if (child !== null && child !== undefined) node.append(child);
    });
    return node;
  }

  function tEl(tag, className, zh, en) {
    return el(tag, className, K.t(zh, en));
  }

  function monthLabel(month) {
    const [year, mon] = String(month).split("-").map(Number);
    return { zh: `${year}年${mon}月`, en: `${MONTHS_EN[mon - 1] || mon} ${year}` };
  }

  function day(iso) {
    return iso ? String(iso).slice(0, 10) : "";
  }

  function number(n) {
    return String(Number(n) || 0);
  }

  function stale(generation) {
    return generation !== acct.generation;
  }

  function setLoading(name, on) {
    const note = part(name, "[data-acct-loading]");
    if (note) note.hidden = !on;
  }

  /** Show a refusal in the screen's error box; a session that ended asks for sign-in again. */
  function failed(name, err) {
    K.showError(screen(name), err);
    if (err && err.status === 401 && K.state.screen === name) K.go(name, {}, { replace: true });
  }

  /** GET everything `paths` names, as the customer, then `render` (unless the kiosk reset meanwhile). */
  async function load(name, paths, render) {
    const generation = acct.generation;
    setLoading(name, true);
    try {
      const answers = await Promise.all(paths.map((path) => K.api("GET", path, { as: "customer" })));
      if (stale(generation)) return;
      render(...answers);
    } catch (err) {
      if (!stale(generation)) failed(name, err);
    } finally {
      if (!stale(generation)) setLoading(name, false);
    }
  }

  /** Back to `name` if it is behind us (dropping what is after it), else forward to it. */
  function navTo(name) {
    const at = K.state.history.lastIndexOf(name);
    if (at >= 0) {
      K.state.history.length = at;
      K.show(name, {}, { replace: true });
    } else {
      K.go(name);
    }
  }

  async function ask(titleZh, titleEn, options) {
    if (acct.asking) return false;
    acct.asking = true;
    try {
      return await K.confirm(titleZh, titleEn, options);
    } finally {
      acct.asking = false;
    }
  }

  function factsNode(rows) {
    const dl = el("dl", "k-facts");
    rows.forEach(([zh, en, value]) => dl.append(tEl("dt", "", zh, en), el("dd", "", value)));
    return dl;
  }

  // --- Points ----------------------------------------------------------------------

  function rewardTile(reward, points) {
    const button = el("button", "k-choice k-reward");
    button.type = "button";
    button.dataset.reward = reward.code;
    const kind = KIND[reward.kind] || ["", ""];
    button.append(
      tEl("span", `k-tag k-tag-${reward.kind}`, kind[0], kind[1]),
      el("span", "k-choice-title", reward.name),
      el("span", "k-reward-points", K.t(`${reward.points} 积分`, `${reward.points} points`)),
    );
    if (reward.stock <= 0) {
      button.disabled = true;
      button.append(tEl("span", "k-choice-note", "已兑完", "Out of stock"));
    } else if (reward.points > points) {
      button.disabled = true;
      button.append(tEl("span", "k-choice-note", "积分不足", "Not enough points"));
    } else {
      button.append(tEl("span", "k-choice-sub", `库存 ${reward.stock}`, `${reward.stock} in stock`));
    }
    return button;
  }

  function renderPoints(me, rewards, history) {
    acct.me = me;
    acct.rewards = rewards;
    part("points", "[data-points-balance]").textContent = number(me.points);
    part("points", "[data-rewards]").replaceChildren(...rewards.map((reward) => rewardTile(reward, me.points)));
    const items = (history && history.results) || [];
    part("points", "[data-redemptions]").replaceChildren(...items.map((r) => el("li", "k-acct-row",
      el("span", "k-acct-row-main", `${r.reward_name} × ${r.quantity}`),
      el("span", "k-acct-row-sub", K.t(`${day(r.created_at)} · ${r.points_spent} 积分`,
        `${day(r.created_at)} · ${r.points_spent} points`)))));
    part("points", "[data-redemptions-empty]").hidden = items.length > 0;
  }

  function maxQuantity() {
    const reward = acct.reward;
    if (!reward || !acct.me) return 0;
    return Math.max(0, Math.min(MAX_QUANTITY, reward.stock, Math.floor(acct.me.points / reward.points)));
  }

  function renderQuantity() {
    const reward = acct.reward;
    const max = maxQuantity();
    acct.quantity = Math.max(1, Math.min(acct.quantity, max || 1));
    part("points-quantity", "[data-reward-name]").textContent = reward.name;
    part("points-quantity", "[data-reward-points]").textContent = number(reward.points);
    part("points-quantity", "[data-reward-balance]").textContent = number(acct.me.points);
    part("points-quantity", "[data-reward-stock]").textContent = number(reward.stock);
    part("points-quantity", "[data-qty]").textContent = String(acct.quantity);
    part("points-quantity", "[data-qty-total]").textContent = number(reward.points * acct.quantity);
    part("points-quantity", "[data-qty-minus]").disabled = acct.quantity <= 1;
    part("points-quantity", "[data-qty-plus]").disabled = acct.quantity >= max;
    part("points-quantity", "[data-redeem]").disabled = max < 1;
  }

  function chooseReward(button) {
    const reward = acct.rewards.find((r) => r.code === button.dataset.reward);
    if (!reward) return;
    acct.reward = reward;
    acct.quantity = 1;
    K.go("points-quantity");
  }

  function step(by) {
    acct.quantity += by;
    renderQuantity();
  }

  /** After a refusal: the points and the stock as they are now. */
  async function refreshForQuantity(generation) {
    try {
      const [me, rewards] = await Promise.all([K.api("GET", "me/", { as: "customer" }), K.api("GET", "rewards/", { as: "customer" })]);
      if (stale(generation) || !acct.reward) return;
      acct.me = me;
      acct.rewards = rewards;
      acct.reward = rewards.find((r) => r.code === acct.reward.code) || acct.reward;
      renderQuantity();
    } catch (err) {
      // The refusal on screen says enough.
    }
  }

  async function redeem(button) {
    const reward = acct.reward;
    const quantity = acct.quantity;
    if (!reward || !acct.me) return;
    const spend = reward.points * quantity;
    const body = el("div", "k-acct-confirm",
      el("p", "k-acct-confirm-main", `${reward.name} × ${quantity}`),
      factsNode([
        ["使用积分", "Points to spend", number(spend)],
        ["兑换后剩余", "Points left after", number(acct.me.points - spend)],
      ]));
    const yes = await ask("确认兑换", "Redeem these points?", { bodyNode: body, yesZh: "确认兑换", yesEn: "Redeem" });
    if (!yes) return;
    // The key is the customer's decision: made now, kept only to retry this same request.
    const request = `${reward.code}×${quantity}`;
    if (acct.redeemKeyFor !== request) {
      acct.redeemKey = K.randomKey();
      acct.redeemKeyFor = request;
    }
    const generation = acct.generation;
    await K.busy(button, async () => {
      try {
        const redemption = await K.api("POST", "me/redemptions/", {
          as: "customer", body: { reward: reward.code, quantity }, idempotencyKey: acct.redeemKey,
        });
        if (stale(generation)) return;
        acct.redeemKey = null;
        acct.redeemKeyFor = null;
        acct.redemption = redemption;
        K.show("points-done", {}, { replace: true });
      } catch (err) {
        if (stale(generation)) return;
        if (err.status !== 0 && err.status < 500) {
          acct.redeemKey = null;
          acct.redeemKeyFor = null;
        }
        failed("points-quantity", err);
        if (err.status === 409) refreshForQuantity(generation);
      }
    });
  }

  function renderRedeemed() {
    const r = acct.redemption;
    part("points-done", "[data-done-reward]").textContent = `${r.reward_name} × ${r.quantity}`;
    part("points-done", "[data-done-spent]").textContent = number(r.points_spent);
    part("points-done", "[data-done-left]").textContent = number(r.points_left);
  }

  // --- Bills -----------------------------------------------------------------------

  function renderBills(bills) {
    acct.bills = bills;
    const max = Math.max(1, ...bills.map((b) => b.total_fen));
    // Oldest on the left, as a chart reads.
    const bars = bills.slice().reverse().map((bill) => {
      const label = monthLabel(bill.month);
      const button = el("button", "k-bill-month");
      button.type = "button";
      button.dataset.month = bill.month;
      const bar = el("span", "k-bill-bar");
      bar.style.height = `${Math.max(4, Math.round((bill.total_fen / max) * 100))}%`;
      button.append(
        el("span", "k-bill-amount", K.yuan(bill.total_fen)),
        el("span", "k-bill-track", bar),
        el("span", "k-bill-label", K.t(label.zh.replace(/^\d+年/, ""), label.en.replace(/ \d+$/, ""))),
      );
      return button;
    });
    part("bills", "[data-bill-months]").replaceChildren(...bars);
    if (bills.length) selectMonth(acct.billMonth && bills.some((b) => b.month === acct.billMonth) ? acct.billMonth : bills[0].month);
    else part("bills", "[data-bill-months]").replaceChildren(tEl("p", "k-note", "暂无账单", "No bills yet"));
  }

  function selectMonth(month) {
    const bill = acct.bills.find((b) => b.month === month);
    if (!bill) return;
    acct.billMonth = month;
    part("bills", "[data-bill-months]").querySelectorAll("[data-month]").forEach((button) => {
      button.setAttribute("aria-pressed", button.dataset.month === month ? "true" : "false");
    });
    const label = monthLabel(month);
    K.setText(part("bills", "[data-bill-detail-month]"), `${label.zh}账单明细`, `${label.en}: items`);
    const items = part("bills", "[data-bill-items]");
    items.replaceChildren();
    bill.items.forEach((item) => items.append(
      el("dt", "", K.t(item.name, BILL_ITEMS_EN[item.name] || item.name)), el("dd", "", K.yuan(item.amount_fen))));
    part("bills", "[data-bill-detail-total]").textContent = K.yuan(bill.total_fen);
    part("bills", "[data-bill-detail]").hidden = false;
  }

  // --- Data usage ------------------------------------------------------------------

  /** A k-bar showing `percent` left; under 20% it turns to the warning colour. */
  function fillBar(bar, percent) {
    bar.classList.toggle("is-low", percent < LOW_PERCENT);
    const fill = el("span");
    fill.style.width = `${Math.max(0, Math.min(100, percent))}%`;
    bar.replaceChildren(fill);
    bar.setAttribute("role", "progressbar");
    bar.setAttribute("aria-valuemin", "0");
    bar.setAttribute("aria-valuemax", "100");
    bar.setAttribute("aria-valuenow", String(percent));
    return bar;
  }

  function usageBar(percent) {
    return fillBar(el("div", "k-bar"), percent);
  }

  function sourceTitle(allowance) {
    if (allowance.source === "plan") return K.t(`套餐内流量 · ${allowance.name}`, `Plan data · ${allowance.name}`);
    if (/^G\d+$/.test(allowance.source)) return K.t(allowance.name, `Data pack ${allowance.source} (${K.dataAmount(allowance.total_kb)})`);
    return K.t(allowance.name, `Data from points (${K.dataAmount(allowance.total_kb)})`);
  }

  function renderUsage(usage) {
    const label = monthLabel(usage.month);
    K.setText(part("usage", "[data-usage-month]"), label.zh, label.en);
    const cards = usage.data.map((a) => {
      const card = el("div", "k-card k-usage");
      card.dataset.usageSource = a.source;
      card.append(
        el("div", "k-usage-head", el("span", "k-usage-name", sourceTitle(a)),
          el("span", "k-usage-percent", K.t(`剩余 ${a.percent_left}%`, `${a.percent_left}% left`))),
        usageBar(a.percent_left),
        el("p", "k-usage-line", K.t(
          `已用 ${K.dataAmount(a.used_kb)} · 剩余 ${K.dataAmount(a.left_kb)} · 共 ${K.dataAmount(a.total_kb)}`,
          `Used ${K.dataAmount(a.used_kb)} · Left ${K.dataAmount(a.left_kb)} · Of ${K.dataAmount(a.total_kb)}`)),
      );
      return card;
    });
    if (!cards.length) cards.push(el("div", "k-card", tEl("p", "k-note", "本月没有套餐内流量", "No data allowance this month")));
    part("usage", "[data-usage-sources]").replaceChildren(...cards);

    const overage = part("usage", "[data-usage-overage]");
    overage.hidden = !usage.overage_kb;
    if (usage.overage_kb) {
      K.setText(part("usage", "[data-usage-overage-text]"),
        `套餐外已用 ${K.dataAmount(usage.overage_kb)}，按1元/MB计 ${K.yuan(usage.overage_fen)}`,
        `${K.dataAmount(usage.overage_kb)} beyond your allowance: ${K.yuan(usage.overage_fen)} at 1 yuan per MB`);
    }

    const wlan = part("usage", "[data-usage-wlan-card]");
    wlan.hidden = !usage.wlan_minutes_total;
    if (usage.wlan_minutes_total) {
      const percent = Math.floor((usage.wlan_minutes_left * 100) / usage.wlan_minutes_total);
      fillBar(part("usage", "[data-usage-wlan-bar]"), percent);
      K.setText(part("usage", "[data-usage-wlan-percent]"), `剩余 ${percent}%`, `${percent}% left`);
      K.setText(part("usage", "[data-usage-wlan]"),
        `剩余 ${usage.wlan_minutes_left} 分钟 · 已用 ${usage.wlan_minutes_used} 分钟 · 共 ${usage.wlan_minutes_total} 分钟`,
        `${usage.wlan_minutes_left} min left · ${usage.wlan_minutes_used} used · of ${usage.wlan_minutes_total}`);
    }
  }

  // --- Data packs ------------------------------------------------------------------

  function packEnglish(pack) {
    return `${K.yuan(pack.price_fen)} for ${K.dataAmount(pack.data_kb)} of national data`;
  }

  function renderPacks(me, packs) {
    acct.me = me;
    acct.packs = packs;
    part("packs", "[data-packs-balance]").textContent = K.yuan(me.balance_fen);
    part("packs", "[data-packs]").replaceChildren(...packs.map((pack) => {
      const button = el("button", "k-choice k-pack");
      button.type = "button";
      button.dataset.pack = pack.code;
      button.append(
        el("span", "k-pack-code", pack.code),
        el("span", "k-pack-data", K.dataAmount(pack.data_kb)),
        el("span", "k-pack-price", K.t(`${pack.price_fen / 100}元`, K.yuan(pack.price_fen))),
      );
      return button;
    }));
  }

  function refuseForBalance(err) {
    K.showError(screen("packs"), err);
    part("packs", "[data-packs-topup]").hidden = !(err && err.code === "insufficient_balance");
  }

  async function buyPack(button) {
    const pack = acct.packs.find((p) => p.code === button.dataset.pack);
    if (!pack || !acct.me) return;
    K.showError(screen("packs"), null);
    part("packs", "[data-packs-topup]").hidden = true;
    const balance = acct.me.balance_fen;
    const body = el("div", "k-acct-confirm", factsNode([
      ["流量", "Data", K.dataAmount(pack.data_kb)],
      ["扣费", "Price", K.yuan(pack.price_fen)],
      ["当前话费余额", "Balance now", K.yuan(balance)],
      ["扣费后余额", "Balance after", K.yuan(balance - pack.price_fen)],
    ]), tEl("p", "k-note", "当月有效，立即生效", "Valid this month, from now"));
    const yes = await ask(`${pack.name}，从话费余额扣除`, `${packEnglish(pack)}, paid from your balance`,
      { bodyNode: body, yesZh: "确认订购", yesEn: "Buy" });
    if (!yes) return;
    const generation = acct.generation;
    await K.busy(button, async () => {
      try {
        const purchase = await K.api("POST", "me/data-packs/", { as: "customer", body: { code: pack.code } });
        if (stale(generation)) return;
        acct.purchase = Object.assign({ name: pack.name }, purchase);
        acct.me = Object.assign({}, acct.me, { balance_fen: purchase.balance_fen });
        K.show("packs-done", {}, { replace: true });
      } catch (err) {
        if (stale(generation)) return;
        refuseForBalance(err);
        if (err.status === 401) failed("packs", err);
      }
    });
  }

  function renderBought() {
    const p = acct.purchase;
    const label = monthLabel(p.month);
    part("packs-done", "[data-pack-done-name]").replaceChildren(K.t(`${p.name}（${label.zh}有效）`,
      `${p.code}: ${K.dataAmount(p.data_kb)}, valid in ${label.en}`));
    part("packs-done", "[data-pack-done-price]").textContent = K.yuan(p.price_fen);
    part("packs-done", "[data-pack-done-balance]").textContent = K.yuan(p.balance_fen);
  }

  /** To the top-up flow, with the customer's own number filled in. */
  function topUp() {
    if (!screen("topup")) return;
    const phone = K.state.customer ? K.state.customer.phone : "";
    K.go("topup");
    if (phone && document.querySelector('[data-field="topup-msisdn"]')) K.setField("topup-msisdn", phone);
  }

  // --- Value-added services --------------------------------------------------------

  function fee(fen) {
    return K.t(`${K.yuan(fen)}/月`, `${K.yuan(fen)} a month`);
  }

  function renderVas(list) {
    acct.vas = list;
    part("vas", "[data-vas-list]").replaceChildren(...list.map((service) => {
      const cancel = el("button", "k-button k-danger k-vas-cancel", K.t("退订", "Cancel"));
      cancel.type = "button";
      cancel.dataset.vasCancel = service.code;
      const row = el("li", "k-acct-row k-vas-row",
        el("span", "k-acct-row-main", service.name),
        el("span", "k-acct-row-sub", fee(service.monthly_fee_fen), " · ",
          K.t(`${day(service.since)} 起`, `since ${day(service.since)}`)),
        cancel);
      row.dataset.vas = service.code;
      return row;
    }));
    part("vas", "[data-vas-empty]").hidden = list.length > 0;
    const total = list.reduce((sum, s) => sum + s.monthly_fee_fen, 0);
    if (list.length) {
      K.setText(part("vas", "[data-vas-total]"), `共 ${list.length} 项，每月合计 ${K.yuan(total)}`,
        `${list.length} services, ${K.yuan(total)} a month in all`);
    } else {
      part("vas", "[data-vas-total]").replaceChildren();
    }
  }

  function vasNotice(zh, en) {
    const notice = part("vas", "[data-vas-notice]");
    if (zh === null) {
      notice.hidden = true;
      notice.replaceChildren();
      return;
    }
    K.setText(notice, zh, en);
    notice.hidden = false;
  }

  async function cancelVas(button) {
    const service = acct.vas.find((s) => s.code === button.dataset.vasCancel);
    if (!service) return;
    vasNotice(null);
    const body = el("div", "k-acct-confirm",
      el("p", "k-acct-confirm-main", service.name),
      tEl("p", "k-note", `退订后立即生效，不再收取 ${K.yuan(service.monthly_fee_fen)}/月`,
        `Stops at once; no more ${K.yuan(service.monthly_fee_fen)} a month`));
    const yes = await ask(`退订${service.name}？`, `Cancel ${service.name}?`,
      { bodyNode: body, yesZh: "确认退订", yesEn: "Cancel it" });
    if (!yes) return;
    const generation = acct.generation;
    await K.busy(button, async () => {
      try {
        const list = await K.api("POST", `me/vas/${encodeURIComponent(service.code)}/cancel/`, { as: "customer" });
        if (stale(generation)) return;
        renderVas(list);
        vasNotice(`已退订 ${service.name}`, `${service.name} is cancelled`);
      } catch (err) {
        if (!stale(generation)) failed("vas", err);
      }
    });
  }

  function renderCatalogue(catalogue, mine) {
    acct.vas = mine;
    const subscribed = new Set(mine.map((s) => s.code));
    part("vas-catalogue", "[data-vas-catalogue]").replaceChildren(...catalogue.map((service) => {
      const button = el("button", "k-choice");
      button.type = "button";
      button.dataset.vasOrder = service.code;
      button.append(el("span", "k-choice-title", service.name), el("span", "k-choice-sub", fee(service.monthly_fee_fen)));
      if (subscribed.has(service.code)) {
        button.disabled = true;
        button.append(tEl("span", "k-choice-note is-ok", "已订购", "Subscribed"));
      }
      return button;
    }));
  }

  async function orderVas(button) {
    const code = button.dataset.vasOrder;
    const name = button.querySelector(".k-choice-title").textContent;
    const monthly = button.querySelector(".k-choice-sub").cloneNode(true);
    const generation = acct.generation;
    await K.busy(button, async () => {
      try {
        const asked = await K.api("POST", "me/vas/", { as: "customer", body: { code } });
        if (stale(generation)) return;
        acct.confirmation = {
          id: asked.confirmation_id, code, name, monthly, expiresAt: Date.parse(asked.expires_at), done: false,
        };
        K.go("vas-confirm");
      } catch (err) {
        if (!stale(generation)) failed("vas-catalogue", err);
      }
    });
  }

  function stopCountdown() {
    clearInterval(acct.countdown);
    acct.countdown = null;
  }

  function confirmEnded(expired) {
    stopCountdown();
    part("vas-confirm", "[data-vas-confirm-actions]").hidden = true;
    part("vas-confirm", "[data-vas-confirm-after]").hidden = false;
    part("vas-confirm", "[data-vas-countdown-line]").hidden = true;
    if (expired) acct.confirmation.done = true;
  }

  function tickCountdown() {
    const c = acct.confirmation;
    if (!c) return stopCountdown();
    const left = Math.max(0, Math.ceil((c.expiresAt - Date.now()) / 1000));
    part("vas-confirm", "[data-vas-countdown]").textContent =
      `${Math.floor(left / 60)}:${String(left % 60).padStart(2, "0")}`;
    if (left <= 0) {
      K.showError(screen("vas-confirm"), "确认已超时，业务未订购 / The confirmation has expired; nothing was subscribed.");
      confirmEnded(true);
    }
    return undefined;
  }

  function renderConfirmation() {
    const c = acct.confirmation;
    part("vas-confirm", "[data-vas-confirm-name]").textContent = c.name;
    part("vas-confirm", "[data-vas-confirm-fee]").replaceChildren(c.monthly.cloneNode(true));
    part("vas-confirm", "[data-vas-confirmed]").hidden = true;
    part("vas-confirm", "[data-vas-confirmed]").replaceChildren();
    part("vas-confirm", "[data-vas-confirm-actions]").hidden = false;
    part("vas-confirm", "[data-vas-confirm-after]").hidden = true;
    part("vas-confirm", "[data-vas-countdown-line]").hidden = false;
    stopCountdown();
    tickCountdown();
    if (!c.done) acct.countdown = setInterval(tickCountdown, 250);
  }

  async function confirmVas(button) {
    const c = acct.confirmation;
    if (!c || c.done) return;
    const generation = acct.generation;
    await K.busy(button, async () => {
      try {
        await K.api("POST", `me/vas/confirmations/${encodeURIComponent(c.id)}/`, { as: "customer" });
        if (stale(generation)) return;
        c.done = true;
        const box = part("vas-confirm", "[data-vas-confirmed]");
        K.setText(box, `已订购 ${c.name}，立即生效`, `${c.name} is now subscribed`);
        box.hidden = false;
        confirmEnded(false);
      } catch (err) {
        if (stale(generation)) return;
        failed("vas-confirm", err);
        if (err.status === 410 || err.status === 404 || err.status === 409) confirmEnded(true);
      }
    });
  }

  function declineVas() {
    stopCountdown();
    acct.confirmation = null;
    K.back();
  }

  // --- Entering and forgetting ------------------------------------------------------

  function enter(name) {
    switch (name) {
      case "points":
        return load("points", ["me/", "rewards/", "me/redemptions/"], renderPoints);
      case "points-quantity":
        if (!acct.reward || !acct.me) return K.show("points", {}, { replace: true });
        return renderQuantity();
      case "points-done":
        if (!acct.redemption) return K.show("points", {}, { replace: true });
        return renderRedeemed();
      case "bills":
        return load("bills", ["me/bills/?months=6"], renderBills);
      case "usage":
        return load("usage", ["me/usage/"], renderUsage);
      case "packs":
        part("packs", "[data-packs-topup]").hidden = true;
        return load("packs", ["me/", "data-packs/"], renderPacks);
      case "packs-done":
        if (!acct.purchase) return K.show("packs", {}, { replace: true });
        return renderBought();
      case "vas":
        vasNotice(null);
        return load("vas", ["me/vas/"], renderVas);
      case "vas-catalogue":
        return load("vas-catalogue", ["vas/", "me/vas/"], renderCatalogue);
      case "vas-confirm":
        if (!acct.confirmation) return K.show("vas", {}, { replace: true });
        return renderConfirmation();
      default:
        return undefined;
    }
  }

  function reset() {
    stopCountdown();
    const generation = acct.generation + 1;
    Object.assign(acct, fresh(), { generation });
    SCREENS.forEach((name) => {
      const section = screen(name);
      section.querySelectorAll("[data-acct-fill]").forEach((node) => node.replaceChildren());
      section.querySelectorAll("[data-acct-loading]").forEach((node) => { node.hidden = true; });
    });
    ["[data-bill-detail]", "[data-usage-overage]", "[data-usage-wlan-card]", "[data-redemptions-empty]",
      "[data-vas-empty]", "[data-vas-notice]", "[data-vas-confirmed]", "[data-packs-topup]", "[data-vas-confirm-after]",
    ].forEach((selector) => document.querySelectorAll(`.k-acct ${selector}`).forEach((node) => { node.hidden = true; }));
    part("vas", "[data-vas-notice]").replaceChildren();
    part("vas-confirm", "[data-vas-confirmed]").replaceChildren();
    part("vas-confirm", "[data-vas-confirm-actions]").hidden = false;
    part("vas-confirm", "[data-vas-countdown-line]").hidden = false;
    fillBar(part("usage", "[data-usage-wlan-bar]"), 0);
  }

  // Each service is its own flow: the home tiles go to "points", "bills", "usage", "packs", "vas".
  // They share one memory, so each reset forgets all five (the core calls every flow's).
  K.register("points", { screens: ["points", "points-quantity", "points-done"], personal: true, enter, reset });
  K.register("bills", { screens: ["bills"], personal: true, enter, reset });
  K.register("usage", { screens: ["usage"], personal: true, enter, reset });
  K.register("packs", { screens: ["packs", "packs-done"], personal: true, enter, reset });
  K.register("vas", { screens: ["vas", "vas-catalogue", "vas-confirm"], personal: true, enter, reset });

  // --- Taps ------------------------------------------------------------------------

  screen("points").addEventListener("click", (event) => {
    const button = event.target.closest("[data-reward]");
    if (button && !button.disabled) chooseReward(button);
  });
  part("points-quantity", "[data-qty-minus]").addEventListener("click", () => step(-1));
  part("points-quantity", "[data-qty-plus]").addEventListener("click", () => step(1));
  part("points-quantity", "[data-redeem]").addEventListener("click", (e) => redeem(e.currentTarget));
  screen("bills").addEventListener("click", (event) => {
    const button = event.target.closest("[data-month]");
    if (button) selectMonth(button.dataset.month);
  });
  screen("packs").addEventListener("click", (event) => {
    const button = event.target.closest("[data-pack]");
    if (button && !button.disabled) buyPack(button);
  });
  part("packs", "[data-acct-topup]").addEventListener("click", topUp);
  screen("vas").addEventListener("click", (event) => {
    const button = event.target.closest("[data-vas-cancel]");
    if (button && !button.disabled) cancelVas(button);
  });
  screen("vas-catalogue").addEventListener("click", (event) => {
    const button = event.target.closest("[data-vas-order]");
    if (button && !button.disabled) orderVas(button);
  });
  part("vas-confirm", "[data-vas-confirm]").addEventListener("click", (e) => confirmVas(e.currentTarget));
  part("vas-confirm", "[data-vas-decline]").addEventListener("click", declineVas);
  SCREENS.forEach((name) => {
    screen(name).querySelectorAll("[data-acct-nav]").forEach((button) =>
      button.addEventListener("click", () => navTo(button.dataset.acctNav)));
    screen(name).querySelectorAll("[data-acct-home]").forEach((button) => button.addEventListener("click", K.resetAll));
  });
})();
