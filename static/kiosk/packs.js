/* Data packs (流量包, G5 to G50), for the signed-in customer: the packs and
 * the balance; choose one, confirm, buy it from the balance (POST
 * me/data-packs/). A balance too low offers the top-up flow with the
 * customer's own number filled in. */
(function () {
  "use strict";

  const K = window.Kiosk;
  const A = window.KioskAccount;
  const { screen, part, el, tEl, monthLabel } = A;
  const SCREENS = ["packs", "packs-done"];

  function fresh() {
    return { me: null, packs: [], purchase: null };
  }

  const acct = A.memory(fresh);

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
    const body = el("div", "k-acct-confirm", A.factsNode([
      ["流量", "Data", K.dataAmount(pack.data_kb)],
      ["扣费", "Price", K.yuan(pack.price_fen)],
      ["当前话费余额", "Balance now", K.yuan(balance)],
      ["扣费后余额", "Balance after", K.yuan(balance - pack.price_fen)],
    ]), tEl("p", "k-note", "当月有效，立即生效", "Valid this month, from now"));
    const yes = await A.ask(`${pack.name}，从话费余额扣除`, `${packEnglish(pack)}, paid from your balance`,
      { bodyNode: body, yesZh: "确认订购", yesEn: "Buy" });
    if (!yes) return;
    const generation = acct.generation;
    await K.busy(button, async () => {
      try {
        const purchase = await K.api("POST", "me/data-packs/", { as: "customer", body: { code: pack.code } });
        if (A.stale(acct, generation)) return;
        acct.purchase = Object.assign({ name: pack.name }, purchase);
        acct.me = Object.assign({}, acct.me, { balance_fen: purchase.balance_fen });
        K.show("packs-done", {}, { replace: true });
      } catch (err) {
        if (A.stale(acct, generation)) return;
        refuseForBalance(err);
        if (err.status === 401) A.failed("packs", err);
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

  function enter(name) {
    switch (name) {
      case "packs":
        part("packs", "[data-packs-topup]").hidden = true;
        return A.load(acct, "packs", ["me/", "data-packs/"], renderPacks);
      case "packs-done":
        if (!acct.purchase) return K.show("packs", {}, { replace: true });
        return renderBought();
      default:
        return undefined;
    }
  }

  function reset() {
    A.forget(acct, fresh);
    A.clearScreens(SCREENS, ["[data-packs-topup]"]);
  }

  K.register("packs", { screens: SCREENS, personal: true, enter, reset });

  screen("packs").addEventListener("click", (event) => {
    const button = event.target.closest("[data-pack]");
    if (button && !button.disabled) buyPack(button);
  });
  part("packs", "[data-acct-topup]").addEventListener("click", topUp);
  A.wire(SCREENS);
})();
