/* Points (积分兑换), for the signed-in customer: their points, the rewards
 * with their stock, past redemptions; choose a reward and a quantity, confirm,
 * redeem (POST me/redemptions/). The redemption's Idempotency-Key is made when
 * the customer confirms, and kept only for a retry of that same request after
 * a network failure, so a double tap or a retry spends once. */
(function () {
  "use strict";

  const K = window.Kiosk;
  const A = window.KioskAccount;
  const { screen, part, el, tEl, day, number } = A;
  const SCREENS = ["points", "points-quantity", "points-done"];
  const KIND = { bill_credit: ["话费", "Bill credit"], data: ["流量", "Data"], gift: ["礼品", "Gift"] };
  const MAX_QUANTITY = 99;

  function fresh() {
    return { me: null, rewards: [], reward: null, quantity: 1, redemption: null };
  }

  const acct = A.memory(fresh);
  const redeemKey = new QmsApi.ActionKey();

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
      const [me, rewards] = await Promise.all([
        K.api("GET", "me/", { as: "customer" }), K.api("GET", "rewards/", { as: "customer" })]);
      if (A.stale(acct, generation) || !acct.reward) return;
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
      A.factsNode([
        ["使用积分", "Points to spend", number(spend)],
        ["兑换后剩余", "Points left after", number(acct.me.points - spend)],
      ]));
    const yes = await A.ask("确认兑换", "Redeem these points?", { bodyNode: body, yesZh: "确认兑换", yesEn: "Redeem" });
    if (!yes) return;
    // The key is the customer's decision: made now, kept only to retry this same request.
    const idempotencyKey = redeemKey.for(`${reward.code}×${quantity}`);
    const generation = acct.generation;
    await K.busy(button, async () => {
      try {
        const redemption = await K.api("POST", "me/redemptions/", {
          as: "customer", body: { reward: reward.code, quantity }, idempotencyKey,
        });
        if (A.stale(acct, generation)) return;
        redeemKey.settle();
        acct.redemption = redemption;
        K.show("points-done", {}, { replace: true });
      } catch (err) {
        if (A.stale(acct, generation)) return;
        if (err.status !== 0 && err.status < 500) redeemKey.settle();
        A.failed("points-quantity", err);
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

  function enter(name) {
    switch (name) {
      case "points":
        return A.load(acct, "points", ["me/", "rewards/", "me/redemptions/"], renderPoints);
      case "points-quantity":
        if (!acct.reward || !acct.me) return K.show("points", {}, { replace: true });
        return renderQuantity();
      case "points-done":
        if (!acct.redemption) return K.show("points", {}, { replace: true });
        return renderRedeemed();
      default:
        return undefined;
    }
  }

  function reset() {
    A.forget(acct, fresh);
    redeemKey.settle();
    A.clearScreens(SCREENS, ["[data-redemptions-empty]"]);
  }

  K.register("points", { screens: SCREENS, personal: true, enter, reset });

  screen("points").addEventListener("click", (event) => {
    const button = event.target.closest("[data-reward]");
    if (button && !button.disabled) chooseReward(button);
  });
  part("points-quantity", "[data-qty-minus]").addEventListener("click", () => step(-1));
  part("points-quantity", "[data-qty-plus]").addEventListener("click", () => step(1));
  part("points-quantity", "[data-redeem]").addEventListener("click", (e) => redeem(e.currentTarget));
  A.wire(SCREENS);
})();
