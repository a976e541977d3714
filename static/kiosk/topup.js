/* Top-up (充值缴费): anyone tops up any number, no code. The number is
 * looked up first (GET topups/account/: the holder's masked name and the
 * amounts allowed), then an amount is chosen, confirmed, and ordered
 * (POST topups/ with an Idempotency-Key made at the confirmation and kept for
 * that number and amount, so a retry or a double tap makes one order). The pay
 * screen shows the order's pay_url as a QR code for the customer's phone and
 * polls the order every 2 s while it is on screen; once the order is fulfilled
 * (the balance credited) the receipt prints, and a failed print offers to
 * print again. An unpaid order left behind simply stays "created".
 *
 * Everything about the customer sits in `topup` and in the [data-topup-slot]
 * elements; reset() empties both. */
(function () {
  "use strict";

  const K = window.Kiosk;
  const POLL_MS = 2000;
  const topup = {
    account: null, // {msisdn, name_masked, min_fen, max_fen, presets_fen}
    presetFen: null, // the preset chosen (a typed amount takes over)
    key: new QmsApi.ActionKey(), // the Idempotency-Key of the order being confirmed, per number and amount
    order: null, // the order on the pay screen
    final: null, // the order as it ended: fulfilled, failed or refunded
    pollTimer: null,
    pollRun: 0, // bumped to stop: an answer arriving after it is ignored
  };

  const STATUS = {
    created: ["待支付", "Awaiting payment"],
    paid: ["已支付", "Paid"],
    fulfilled: ["已完成", "Completed"],
    failed: ["失败", "Failed"],
    refunded: ["已退款", "Refunded"],
  };

  function screen(name) {
    return K.screenEl(name);
  }

  function slot(name) {
    return document.querySelector(`[data-topup-slot="${name}"]`);
  }

  /** 13800138000 -> "138 0013 8000": easy to check against the number in mind. */
  function spaced(msisdn) {
    return `${msisdn.slice(0, 3)} ${msisdn.slice(3, 7)} ${msisdn.slice(7)}`;
  }

  function setStatus(el, status) {
    const [zh, en] = STATUS[status] || [status, status];
    K.setText(el, zh, en);
  }

  // --- The number ----------------------------------------------------------------

  async function lookUp(button) {
    const where = screen("topup");
    const msisdn = K.fieldValue("topup-msisdn");
    if (!K.PHONE_RE.test(msisdn)) {
      K.showError(where, "请输入11位手机号码 / Enter an 11-digit mobile number.");
      return;
    }
    await K.busy(button, async () => {
      try {
        const account = await K.api("GET", `topups/account/?msisdn=${encodeURIComponent(msisdn)}`);
        if (topup.account && topup.account.msisdn !== account.msisdn) topup.presetFen = null;
        topup.account = account;
      } catch (err) {
        K.showError(where, err);
        return;
      }
      K.go("topup-amount");
    });
  }

  // --- The amount ----------------------------------------------------------------

  function typedFen() {
    const yuan = K.fieldValue("topup-yuan");
    return yuan ? Number(yuan) * 100 : null;
  }

  function chosenFen() {
    const typed = typedFen();
    return typed !== null ? typed : topup.presetFen;
  }

  function showChoice() {
    slot("presets").querySelectorAll("[data-topup-preset]").forEach((button) => {
      const on = typedFen() === null && Number(button.dataset.topupPreset) === topup.presetFen;
      button.setAttribute("aria-pressed", on ? "true" : "false");
    });
    const fen = chosenFen();
    slot("confirm-amount").textContent = fen ? K.yuan(fen) : "";
  }

  function showAmountScreen() {
    const account = topup.account;
    slot("msisdn").textContent = spaced(account.msisdn);
    slot("name").textContent = account.name_masked || "—";
    const presets = (account.presets_fen || []).filter((fen) => fen >= account.min_fen && fen <= account.max_fen);
    slot("presets").replaceChildren(...presets.map((fen) => {
      const button = document.createElement("button");
      button.type = "button";
      button.className = "k-choice k-topup-preset";
      button.dataset.topupPreset = String(fen);
      button.textContent = K.yuan(fen).replace(/\.00$/, "");
      return button;
    }));
    K.setText(slot("limits"),
      `可充 ${K.yuan(account.min_fen)} 至 ${K.yuan(account.max_fen)}，整数元`,
      `From ${K.yuan(account.min_fen)} to ${K.yuan(account.max_fen)}, whole yuan`);
    showChoice();
  }

  function choosePreset(button) {
    topup.presetFen = Number(button.dataset.topupPreset);
    K.setField("topup-yuan", "");
    K.showError(screen("topup-amount"), null);
    showChoice();
  }

  function confirmBody(fen) {
    const dl = document.createElement("dl");
    dl.className = "k-facts k-topup-confirm";
    const rows = [
      ["充值号码", "Number", spaced(topup.account.msisdn)],
      ["机主姓名", "Holder", topup.account.name_masked || "—"],
      ["充值金额", "Amount", K.yuan(fen)],
    ];
    rows.forEach(([zh, en, value]) => {
      const dt = document.createElement("dt");
      dt.append(K.t(zh, en));
      const dd = document.createElement("dd");
      dd.textContent = value;
      dl.append(dt, dd);
    });
    return dl;
  }

  async function confirmTopup(button) {
    const where = screen("topup-amount");
    const account = topup.account;
    const fen = chosenFen();
    const refuse = (message) => {
      K.showError(where, message);
      button.scrollIntoView({ block: "nearest" });
    };
    if (!fen) {
      refuse("请选择或输入充值金额 / Choose or enter an amount.");
      return;
    }
    if (fen < account.min_fen || fen > account.max_fen) {
      refuse(`充值金额须在 ${K.yuan(account.min_fen)} 至 ${K.yuan(account.max_fen)} 之间 / `
        + `The amount must be from ${K.yuan(account.min_fen)} to ${K.yuan(account.max_fen)}.`);
      return;
    }
    K.showError(where, null);
    await K.busy(button, async () => {
      const yes = await K.confirm("请确认充值信息", "Please check the top-up", {
        bodyNode: confirmBody(fen), yesZh: "确认并支付", yesEn: "Confirm and pay",
      });
      if (!yes || topup.account !== account) return;
      // One key per number and amount: asking again after a failure (or coming
      // back from the pay screen) finds the same order instead of a second one.
      const idempotencyKey = topup.key.for(`${account.msisdn}:${fen}`);
      let order;
      try {
        order = await K.api("POST", "topups/", {
          body: { msisdn: account.msisdn, amount_fen: fen }, idempotencyKey,
        });
      } catch (err) {
        if (topup.account === account) refuse(err);
        return;
      }
      if (topup.account !== account) return; // the kiosk was reset meanwhile
      topup.order = order;
      K.show("topup-pay");
    });
  }

  // --- Paying ----------------------------------------------------------------------

  function showPayScreen() {
    const order = topup.order;
    slot("pay-amount").textContent = K.yuan(order.amount_fen);
    const who = [order.msisdn_masked || K.maskPhone(topup.account.msisdn), order.name_masked].filter(Boolean);
    slot("pay-who").textContent = who.join("  ");
    slot("qr").replaceChildren(K.qrImage(K.absolute(order.pay_url)));
    waiting(order.status);
  }

  function waiting(status) {
    const line = slot("pay-status");
    line.classList.remove("is-bad");
    if (status === "paid") K.setText(line, "已收到付款，正在为您充值…", "Payment received; topping up…");
    else K.setText(line, "等待支付…", "Waiting for your payment…");
  }

  function stopPolling() {
    clearTimeout(topup.pollTimer);
    topup.pollTimer = null;
    topup.pollRun += 1;
  }

  function startPolling() {
    stopPolling();
    // The customer pays on their phone without touching the kiosk.
    K.stayAwake(Date.now() + K.PAY_PATIENCE_MS);
    const run = topup.pollRun;
    const orderNo = topup.order.order_no;
    const current = () => run === topup.pollRun && K.state.screen === "topup-pay";
    const tick = async () => {
      if (!current()) return;
      let order = null;
      try {
        order = await K.api("GET", `orders/${encodeURIComponent(orderNo)}/`, { as: "public", timeoutMs: 8000 });
      } catch (err) {
        if (current()) {
          const line = slot("pay-status");
          line.classList.add("is-bad");
          line.replaceChildren(K.bilingual(K.errorMessage(err)));
        }
      }
      if (!current()) return;
      if (order) {
        if (["fulfilled", "failed", "refunded"].includes(order.status)) {
          finish(order);
          return;
        }
        waiting(order.status);
      }
      topup.pollTimer = setTimeout(tick, POLL_MS);
    };
    topup.pollTimer = setTimeout(tick, POLL_MS);
  }

  function finish(order) {
    stopPolling();
    topup.final = order;
    K.state.history = [];
    K.show("topup-done", {}, { replace: true });
    if (order.status === "fulfilled") printOrder();
  }

  // --- Done ------------------------------------------------------------------------

  function showDoneScreen() {
    const order = topup.final;
    const ok = order.status === "fulfilled";
    screen("topup-done").querySelector("[data-topup-ok]").hidden = !ok;
    const fail = slot("fail");
    fail.hidden = ok;
    if (order.status === "refunded") {
      fail.replaceChildren(K.t("充值未成功，款项已原路退回", "The top-up did not go through; your payment has been refunded."));
    } else if (!ok) {
      fail.replaceChildren(K.t("充值未成功，款项将原路退回", "The top-up did not go through; your payment will be refunded."));
    }
    slot("done-msisdn").textContent = order.msisdn_masked || K.maskPhone(topup.account.msisdn);
    slot("done-amount").textContent = K.yuan(order.amount_fen);
    slot("done-order").textContent = order.order_no;
    setStatus(slot("done-status"), order.status);
  }

  function printOrder() {
    const orderNo = topup.final.order_no;
    return K.printWithStatus("order", orderNo, slot("print-status"),
      screen("topup-done").querySelector("[data-topup-reprint]"),
      () => Boolean(topup.final) && topup.final.order_no === orderNo);
  }

  // --- Forgetting ----------------------------------------------------------------------

  function reset() {
    stopPolling();
    Object.assign(topup, { account: null, presetFen: null, order: null, final: null });
    topup.key.settle();
    document.querySelectorAll("[data-topup-slot]").forEach((el) => {
      el.replaceChildren();
      el.classList.remove("is-bad");
    });
    slot("fail").hidden = true;
    screen("topup-done").querySelector("[data-topup-ok]").hidden = true;
    screen("topup-done").querySelector("[data-topup-reprint]").hidden = true;
  }

  K.register("topup", {
    screens: ["topup", "topup-amount", "topup-pay", "topup-done"],
    enter(name) {
      if (name !== "topup-pay") stopPolling();
      if (name === "topup-amount") {
        if (!topup.account) return K.show("topup", {}, { replace: true });
        showAmountScreen();
      } else if (name === "topup-pay") {
        if (!topup.order) return K.show("topup", {}, { replace: true });
        showPayScreen();
        startPolling();
      } else if (name === "topup-done") {
        if (!topup.final) return K.show("home");
        showDoneScreen();
      }
      return undefined;
    },
    reset,
  });

  screen("topup").querySelector("[data-topup-lookup]").addEventListener("click", (e) => lookUp(e.currentTarget));
  const amountScreen = screen("topup-amount");
  amountScreen.addEventListener("click", (event) => {
    const preset = event.target.closest("[data-topup-preset]");
    if (preset) choosePreset(preset);
  });
  amountScreen.querySelector("[data-topup-confirm]").addEventListener("click", (e) => confirmTopup(e.currentTarget));
  K.onField("topup-yuan", () => {
    if (topup.account) showChoice();
  });
  K.onField("topup-msisdn", () => K.showError(screen("topup"), null));
  screen("topup-pay").querySelector("[data-topup-cancel]").addEventListener("click", () => K.resetAll());
  const doneScreen = screen("topup-done");
  doneScreen.querySelector("[data-topup-reprint]").addEventListener("click", (e) => K.busy(e.currentTarget, printOrder));
  doneScreen.querySelector("[data-topup-finish]").addEventListener("click", () => K.resetAll());
})();
