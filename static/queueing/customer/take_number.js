/* /m/{code}/: take a number with a phone.
 *
 * Posts {"service", "channel": "mobile", "phone"} to the public issue API
 * (POST /api/v1/halls/{code}/tickets/) and opens the new ticket's page. The
 * request carries an Idempotency-Key that stays the same for the same hall,
 * service and phone in this tab, so a double tap, a retry after a dropped
 * connection or the back button never takes a second number. The API's
 * refusals (the daily limit per phone, too many tickets from one address, a
 * closed hall, a full service) are shown as they come, in both languages.
 */
(function () {
  "use strict";

  const root = document.querySelector(".hall-root");
  const form = root.querySelector("[data-take-form]");
  const phone = form.querySelector("input[name=phone]");
  const submit = root.querySelector("[data-take-submit]");
  const errorBox = root.querySelector("[data-take-error]");
  const PHONE_RE = /^1[3-9][0-9]{9}$/;
  const state = { submitting: false, lastError: null };
  window.qmsTakeNumber = state;

  function showError(message) {
    state.lastError = message;
    errorBox.textContent = "";
    if (!message) {
      errorBox.hidden = true;
      return;
    }
    const [zh, en] = String(message).split(" / ");
    errorBox.append(zh);
    if (en) {
      const span = document.createElement("span");
      span.className = "en";
      span.textContent = en;
      errorBox.append(span);
    }
    errorBox.hidden = false;
    errorBox.scrollIntoView({ block: "nearest", behavior: "smooth" });
  }

  function idempotencyKey(service, number) {
    // Kept in sessionStorage: a reload of the tab, too, finds the same key.
    return QmsApi.storedKey(`qms-take:${root.dataset.hall}:${service}:${number}`);
  }

  // A long wait here for the chosen service: show the nearby hall with a shorter one, if any.
  function showNearby() {
    const checked = form.querySelector("input[name=service]:checked");
    root.querySelectorAll("[data-nearby-for]").forEach((el) => {
      el.hidden = !checked || el.dataset.nearbyFor !== checked.value;
    });
  }
  form.addEventListener("change", (event) => { if (event.target.name === "service") showNearby(); });
  showNearby();

  // Only digits, and at most 11 of them (people paste "138 0013 8000").
  phone.addEventListener("input", () => {
    const digits = phone.value.replace(/[^0-9]/g, "").slice(0, 11);
    if (digits !== phone.value) phone.value = digits;
    phone.removeAttribute("aria-invalid");
    if (state.lastError) showError(null);
  });

  const MESSAGES = {
    phone_limit_reached: (m) => {
      const limit = root.dataset.phoneLimit;
      const [zh, en] = m.split(" / ");
      return `${zh}（每天最多 ${limit} 次），请明天再来 / ${en || ""} (at most ${limit} a day). Please try tomorrow.`;
    },
    rate_limited: (m) => m,
    hall_closed: (m) => {
      root.querySelector("[data-closed]").hidden = false;
      root.querySelector("[data-hours]").setAttribute("data-highlight", "");
      return `${m.split(" / ")[0]}，请查看下方营业时间 / ${m.split(" / ")[1] || "The hall is closed now."} See the opening hours below.`;
    },
  };

  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    if (state.submitting) return;
    const checked = form.querySelector("input[name=service]:checked");
    const number = phone.value.trim();
    if (!checked) {
      showError("请选择业务 / Choose a service.");
      return;
    }
    if (!PHONE_RE.test(number)) {
      phone.setAttribute("aria-invalid", "true");
      phone.focus();
      showError("请输入正确的 11 位手机号 / Enter an 11-digit mobile number.");
      return;
    }
    state.submitting = true;
    submit.disabled = true;
    showError(null);
    const body = { service: checked.value, channel: "mobile", phone: number };
    try {
      const answer = await QmsApi.send("POST", root.dataset.issueUrl, {
        body, csrf: root.dataset.csrf, idempotencyKey: idempotencyKey(body.service, number), timeoutMs: 0,
      });
      const data = answer.data;
      if ((answer.status === 201 || answer.status === 200) && data && data.token) {
        state.ticket = data.number;
        location.assign(`/t/${encodeURIComponent(data.token)}/`);
        return; // keep the button disabled while the ticket page loads
      }
      const error = answer.error || QmsApi.errorOf(answer.status, data);
      const fields = error.fields;
      if (fields.phone) {
        phone.setAttribute("aria-invalid", "true");
        showError(fields.phone[0]);
      } else if (fields.service) {
        showError(fields.service[0]);
      } else if (data && data.error && data.error.message) {
        showError((MESSAGES[error.code] || ((m) => m))(error.message));
      } else {
        showError("取号失败，请稍后再试 / Could not take a number; please try again.");
      }
    } catch (err) {
      showError("网络异常，请重试 / Network problem; please try again.");
    }
    state.submitting = false;
    submit.disabled = false;
  });
})();
