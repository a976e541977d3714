/*
 * The console's number tools: 过号顺延 (a no-show who came back waits again,
 * a few places back), calling a chosen number out of turn with a reason, and
 * issuing a ticket for a customer at the counter. The rules are the server's;
 * this only asks and shows the answer.
 */
(function () {
  "use strict";

  const root = document.querySelector("[data-counter-screen]");
  const panel = root && root.querySelector("[data-number-tools]");
  if (!panel) return;

  const cfg = {
    counterUrl: root.dataset.counterUrl,
    missedUrl: root.dataset.missedUrl,
    issueUrl: root.dataset.issueUrl,
    reinstateBase: root.dataset.issueUrl, // /api/v1/halls/<code>/tickets/
    csrf: root.dataset.csrf,
  };
  const hallServices = JSON.parse(document.getElementById("console-hall-services").textContent);
  const $ = (selector) => root.querySelector(selector);
  const input = $("[data-number-input]");
  const result = $("[data-number-result]");
  const missedList = $("[data-missed-list]");
  const reasonDialog = $("[data-reason-dialog]");
  const issueDialog = $("[data-issue-dialog]");
  const MISSED_REFRESH_MS = 30000;
  let busy = false;

  const NUMBER = /^[A-Za-z]{1,2}\d{1,6}$/;

  function show(kind, text) {
    result.hidden = false;
    result.className = `number-result is-${kind}`;
    result.textContent = text;
  }

  function errorText(answer) {
    const err = answer.data && answer.data.error;
    if (err && err.fields) {
      const first = Object.values(err.fields)[0];
      if (first && first.length) return String(first[0]);
    }
    if (err && err.message) return err.message;
    return `操作未完成 / The action was refused (HTTP ${answer.status}).`;
  }

  async function send(method, url, body, key) {
    try {
      return await QmsApi.send(method, url, { body, csrf: cfg.csrf, idempotencyKey: key, cache: "no-store" });
    } catch (err) {
      return { status: 0, data: null, network: true };
    }
  }

  function typedNumber() {
    const number = input.value.trim().toUpperCase();
    if (!NUMBER.test(number)) {
      show("error", "请输入号码，如 A012 / Type a ticket number, e.g. A012.");
      input.focus();
      return null;
    }
    return number;
  }

  async function run(action) {
    if (busy) return;
    busy = true;
    panel.classList.add("is-busy");
    try {
      const answer = await action();
      if (answer.network) show("error", "网络中断，请稍后重试 / No connection; please try again.");
    } finally {
      busy = false;
      panel.classList.remove("is-busy");
    }
  }

  function reinstate(number) {
    return run(async () => {
      const answer = await send("POST", `${cfg.reinstateBase}${encodeURIComponent(number)}/reinstate/`);
      if (answer.status === 200) {
        const place = answer.data.position ? `，前面还有 ${answer.data.position - 1} 人 / ${answer.data.position - 1} ahead` : "";
        show("success", `${number} 已顺延，重新等候${place}`);
        input.value = "";
        loadMissed();
      } else if (!answer.network) {
        show("error", errorText(answer));
      }
      return answer;
    });
  }

  function callChosen(number, reason) {
    return run(async () => {
      const answer = await send("POST", `${cfg.counterUrl}call/`, { number, reason }, QmsApi.newKey());
      if (answer.status === 200) {
        show("success", `已叫 ${number}（${reason}） / Called ${number}`);
        input.value = "";
        window.dispatchEvent(new CustomEvent("qms:console-refresh"));
      } else if (!answer.network) {
        show("error", errorText(answer));
      }
      return answer;
    });
  }

  function issue(service, priority) {
    return run(async () => {
      const answer = await send("POST", cfg.issueUrl, { service, channel: "staff", priority }, QmsApi.newKey());
      if (answer.status === 201) {
        const ahead = answer.data.position ? answer.data.position - 1 : 0;
        show("success", `已取号 ${answer.data.number}，前面 ${ahead} 人 / Ticket ${answer.data.number}, ${ahead} ahead`);
      } else if (!answer.network) {
        show("error", errorText(answer));
      }
      return answer;
    });
  }

  async function loadMissed() {
    const answer = await send("GET", cfg.missedUrl);
    if (answer.status !== 200 || !Array.isArray(answer.data)) return;
    const open = answer.data.filter((t) => t.reinstatable);
    const count = $("[data-missed-count]");
    count.hidden = open.length === 0;
    count.textContent = `过号 ${open.length}`;
    missedList.replaceChildren(...open.slice(0, 6).map((t) => {
      const li = document.createElement("li");
      const number = document.createElement("b");
      number.textContent = t.number;
      const when = document.createElement("small");
      when.textContent = t.missed_at ? new Date(t.missed_at).toTimeString().slice(0, 5) : "";
      const button = document.createElement("button");
      button.type = "button";
      button.className = "btn btn-small btn-ghost";
      button.dataset.reinstate = t.number;
      button.textContent = "顺延";
      button.title = `过号顺延 ${t.number} / Reinstate ${t.number}`;
      li.append(number, when, button);
      return li;
    }));
  }

  /* --- Dialogs ----------------------------------------------------------------- */

  function open(dialog) {
    if (typeof dialog.showModal === "function") dialog.showModal();
    else dialog.setAttribute("open", "");
    const first = dialog.querySelector(".btn-option");
    if (first) first.focus();
  }

  function close(dialog) {
    if (typeof dialog.close === "function" && dialog.open) dialog.close();
    else dialog.removeAttribute("open");
  }

  let chosenNumber = null;

  function askReason(number) {
    chosenNumber = number;
    reasonDialog.querySelector("[data-reason-number]").textContent = number;
    open(reasonDialog);
  }

  function askIssue() {
    const box = issueDialog.querySelector("[data-issue-options]");
    box.replaceChildren(...hallServices.map((service, i) => window.qmsServiceOption(service, i, "issueService")));
    open(issueDialog);
  }

  reasonDialog.addEventListener("click", (event) => {
    const option = event.target.closest("[data-reason]");
    if (option) {
      close(reasonDialog);
      callChosen(chosenNumber, option.dataset.reason);
    } else if (event.target.closest("[data-dialog-cancel]") || event.target === reasonDialog) {
      close(reasonDialog);
    }
  });

  issueDialog.addEventListener("click", (event) => {
    const option = event.target.closest("[data-issue-service]");
    if (option) {
      const priority = issueDialog.querySelector("input[name=issue-priority]:checked").value;
      close(issueDialog);
      issue(option.dataset.issueService, priority);
    } else if (event.target.closest("[data-dialog-cancel]") || event.target === issueDialog) {
      close(issueDialog);
    }
  });

  // In these dialogs digits pick an option, and no key reaches the console's
  // shortcuts (Space would call the next customer behind the dialog).
  for (const dialog of [reasonDialog, issueDialog]) {
    dialog.addEventListener("keydown", (event) => {
      event.stopPropagation();
      if (!/^[1-9]$/.test(event.key)) return;
      const option = dialog.querySelectorAll(".btn-option")[Number(event.key) - 1];
      if (option) {
        event.preventDefault();
        option.click();
      }
    });
  }

  /* --- Wiring -------------------------------------------------------------------- */

  $("[data-number-form]").addEventListener("submit", (event) => {
    event.preventDefault();
    const number = typedNumber();
    if (number) reinstate(number);
  });

  panel.addEventListener("click", (event) => {
    const act = event.target.closest("[data-number-act=call]");
    if (act) {
      const number = typedNumber();
      if (number) askReason(number);
      return;
    }
    const again = event.target.closest("[data-reinstate]");
    if (again) {
      reinstate(again.dataset.reinstate);
      return;
    }
    if (event.target.closest("[data-issue-open]")) askIssue();
  });

  loadMissed();
  setInterval(() => {
    if (document.visibilityState === "visible") loadMissed();
  }, MISSED_REFRESH_MS);
  // A no-show marked at this counter shows in the list at once (others' within the refresh).
  window.addEventListener("qms:console-acted", loadMissed);
})();
