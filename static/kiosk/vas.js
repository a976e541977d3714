/* Value-added services and transparent consumption (透明消费), for the
 * signed-in customer: the "0000" list of every service they pay for, each
 * cancelled at once after a confirmation; and the catalogue, where asking for
 * a service subscribes nothing until the customer confirms it a second time
 * (二次确认) within the time the API gives (POST me/vas/, then
 * me/vas/confirmations/{id}/), a countdown on screen. */
(function () {
  "use strict";

  const K = window.Kiosk;
  const A = window.KioskAccount;
  const { screen, part, el, tEl, day } = A;
  const SCREENS = ["vas", "vas-catalogue", "vas-confirm"];

  function fresh() {
    return { vas: [], confirmation: null, countdown: null };
  }

  const acct = A.memory(fresh);

  function fee(fen) {
    return K.t(`${K.yuan(fen)}/月`, `${K.yuan(fen)} a month`);
  }

  // --- The "0000" list ----------------------------------------------------------------

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
    const yes = await A.ask(`退订${service.name}？`, `Cancel ${service.name}?`,
      { bodyNode: body, yesZh: "确认退订", yesEn: "Cancel it" });
    if (!yes) return;
    const generation = acct.generation;
    await K.busy(button, async () => {
      try {
        const list = await K.api("POST", `me/vas/${encodeURIComponent(service.code)}/cancel/`, { as: "customer" });
        if (A.stale(acct, generation)) return;
        renderVas(list);
        vasNotice(`已退订 ${service.name}`, `${service.name} is cancelled`);
      } catch (err) {
        if (!A.stale(acct, generation)) A.failed("vas", err);
      }
    });
  }

  // --- Subscribing, with the second confirmation -----------------------------------------

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
        if (A.stale(acct, generation)) return;
        acct.confirmation = {
          id: asked.confirmation_id, code, name, monthly, expiresAt: Date.parse(asked.expires_at), done: false,
        };
        K.go("vas-confirm");
      } catch (err) {
        if (!A.stale(acct, generation)) A.failed("vas-catalogue", err);
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
        if (A.stale(acct, generation)) return;
        c.done = true;
        const box = part("vas-confirm", "[data-vas-confirmed]");
        K.setText(box, `已订购 ${c.name}，立即生效`, `${c.name} is now subscribed`);
        box.hidden = false;
        confirmEnded(false);
      } catch (err) {
        if (A.stale(acct, generation)) return;
        A.failed("vas-confirm", err);
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
      case "vas":
        vasNotice(null);
        return A.load(acct, "vas", ["me/vas/"], renderVas);
      case "vas-catalogue":
        return A.load(acct, "vas-catalogue", ["vas/", "me/vas/"], renderCatalogue);
      case "vas-confirm":
        if (!acct.confirmation) return K.show("vas", {}, { replace: true });
        return renderConfirmation();
      default:
        return undefined;
    }
  }

  function reset() {
    stopCountdown();
    A.forget(acct, fresh);
    A.clearScreens(SCREENS, ["[data-vas-empty]", "[data-vas-notice]", "[data-vas-confirmed]", "[data-vas-confirm-after]"]);
    part("vas", "[data-vas-notice]").replaceChildren();
    part("vas-confirm", "[data-vas-confirmed]").replaceChildren();
    part("vas-confirm", "[data-vas-confirm-actions]").hidden = false;
    part("vas-confirm", "[data-vas-countdown-line]").hidden = false;
  }

  K.register("vas", { screens: SCREENS, personal: true, enter, reset });

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
  A.wire(SCREENS);
})();
