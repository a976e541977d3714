/* Bills (账单查询) and data usage (流量查询), for the signed-in customer: the
 * last six months' bills as a chart with each month's items, and this month's
 * data by plan and pack, what went beyond them (1 yuan per MB) and WLAN time.
 * Read only: two flows, "bills" and "usage", on one memory. */
(function () {
  "use strict";

  const K = window.Kiosk;
  const A = window.KioskAccount;
  const { part, el, tEl, monthLabel } = A;
  // The local carrier's bill lines in English; others show as the carrier wrote them.
  const BILL_ITEMS_EN = {
    套餐及固定费: "Plan and fixed fees", 语音通信费: "Calls", 短信彩信费: "Texts (SMS/MMS)", 上网费: "Mobile data",
    增值业务费: "Value-added services",
  };
  const LOW_PERCENT = 20;

  function fresh() {
    return { bills: [], billMonth: null };
  }

  const acct = A.memory(fresh);

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
    if (bills.length) {
      selectMonth(acct.billMonth && bills.some((b) => b.month === acct.billMonth) ? acct.billMonth : bills[0].month);
    } else {
      part("bills", "[data-bill-months]").replaceChildren(tEl("p", "k-note", "暂无账单", "No bills yet"));
    }
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

  /** A k-bar showing `percent` left, named `label`; under 20% it turns to the warning colour. */
  function fillBar(bar, percent, label) {
    bar.classList.toggle("is-low", percent < LOW_PERCENT);
    const fill = el("span");
    fill.style.width = `${Math.max(0, Math.min(100, percent))}%`;
    bar.replaceChildren(fill);
    bar.setAttribute("role", "progressbar");
    bar.setAttribute("aria-valuemin", "0");
    bar.setAttribute("aria-valuemax", "100");
    bar.setAttribute("aria-valuenow", String(percent));
    bar.setAttribute("aria-label", label);
    return bar;
  }

  function usageBar(percent) {
    return fillBar(el("div", "k-bar"), percent, "剩余流量 / Data left");
  }

  function sourceTitle(allowance) {
    if (allowance.source === "plan") return K.t(`套餐内流量 · ${allowance.name}`, `Plan data · ${allowance.name}`);
    if (/^G\d+$/.test(allowance.source)) {
      return K.t(allowance.name, `Data pack ${allowance.source} (${K.dataAmount(allowance.total_kb)})`);
    }
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
    if (!cards.length) {
      cards.push(el("div", "k-card", tEl("p", "k-note", "本月没有套餐内流量", "No data allowance this month")));
    }
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
      fillBar(part("usage", "[data-usage-wlan-bar]"), percent, "剩余WLAN时长 / WLAN time left");
      K.setText(part("usage", "[data-usage-wlan-percent]"), `剩余 ${percent}%`, `${percent}% left`);
      K.setText(part("usage", "[data-usage-wlan]"),
        `剩余 ${usage.wlan_minutes_left} 分钟 · 已用 ${usage.wlan_minutes_used} 分钟 · 共 ${usage.wlan_minutes_total} 分钟`,
        `${usage.wlan_minutes_left} min left · ${usage.wlan_minutes_used} used · of ${usage.wlan_minutes_total}`);
    }
  }

  // --- Entering and forgetting ------------------------------------------------------

  function enter(name) {
    if (name === "bills") return A.load(acct, "bills", ["me/bills/?months=6"], renderBills);
    if (name === "usage") return A.load(acct, "usage", ["me/usage/"], renderUsage);
    return undefined;
  }

  function reset() {
    A.forget(acct, fresh);
    A.clearScreens(["bills"], ["[data-bill-detail]"]);
    A.clearScreens(["usage"], ["[data-usage-overage]", "[data-usage-wlan-card]"]);
    fillBar(part("usage", "[data-usage-wlan-bar]"), 0, "剩余WLAN时长 / WLAN time left");
  }

  // Two home tiles, two flows; they share this memory, and each reset forgets both.
  K.register("bills", { screens: ["bills"], personal: true, enter, reset });
  K.register("usage", { screens: ["usage"], personal: true, enter, reset });

  A.screen("bills").addEventListener("click", (event) => {
    const button = event.target.closest("[data-month]");
    if (button) selectMonth(button.dataset.month);
  });
  A.wire(["bills", "usage"]);
})();
