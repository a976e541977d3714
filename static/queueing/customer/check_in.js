/* /m/check-in/{key}/: the hall's check-in code, opened on a phone.
 *
 * The ticket pages this browser opened remember their tickets (ticket.js,
 * localStorage "qms-tickets"); each of this hall's tickets of today is
 * checked in with the hall's key (POST /api/v1/tickets/{token}/check-in/
 * {"hall_key"}), and the answer shown with a link back to its page.
 */
(function () {
  "use strict";

  const root = document.querySelector(".check-in-root");
  const cfg = JSON.parse(document.getElementById("check-in-config").textContent);
  const results = root.querySelector("[data-results]");
  const state = { done: 0, checked: [] };
  window.qmsCheckIn = state;

  function remembered() {
    try {
      return JSON.parse(localStorage.getItem("qms-tickets") || "[]")
        .filter((t) => t && t.hall === cfg.hall && t.day === cfg.day);
    } catch (err) {
      return [];
    }
  }

  function line(ticket, ok, zh, en) {
    const li = document.createElement("li");
    li.className = `panel check-in-result ${ok ? "ok" : "bad"}`;
    li.dataset.number = ticket.number;
    const number = document.createElement("div");
    number.className = "t-number small-number";
    number.textContent = ticket.number;
    const text = document.createElement("p");
    text.className = "zh";
    text.textContent = zh;
    const textEn = document.createElement("p");
    textEn.className = "en";
    textEn.textContent = en;
    const link = document.createElement("a");
    link.className = "button primary";
    link.href = `/t/${encodeURIComponent(ticket.token)}/`;
    link.textContent = "查看排队进度 ";
    const span = document.createElement("span");
    span.className = "en";
    span.textContent = "Follow my place";
    link.append(span);
    li.append(number, text, textEn, link);
    results.append(li);
  }

  async function checkIn(ticket) {
    try {
      const { status, data } = await QmsApi.send("POST", cfg.checkInUrl.replace("{token}", encodeURIComponent(ticket.token)),
        { body: { hall_key: cfg.hallKey }, timeoutMs: 0 });
      if (status === 200 && data) {
        if (data.status !== "waiting") {
          line(ticket, false, "此号已不在等候中", "This number is no longer waiting.");
          return;
        }
        state.checked.push(ticket.number);
        const ahead = data.position == null ? null : data.position - 1;
        line(ticket, true, `签到成功${ahead == null ? "" : `，前面还有 ${ahead} 位`}`,
          `Checked in${ahead == null ? "" : `: ${ahead} ahead of you`}.`);
        return;
      }
      const message = (data && data.error && data.error.message) || "签到失败 / Could not check in.";
      const [zh, en] = message.split(" / ");
      line(ticket, false, zh, en || "");
    } catch (err) {
      line(ticket, false, "网络异常，请重试", "Network problem; please try again.");
    }
  }

  async function start() {
    const tickets = remembered();
    root.querySelector("[data-working]").hidden = true;
    if (!tickets.length) {
      root.querySelector("[data-none]").hidden = false;
      root.dataset.state = "none";
      return;
    }
    for (const ticket of tickets) await checkIn(ticket);
    root.dataset.state = "done";
  }

  start();
})();
