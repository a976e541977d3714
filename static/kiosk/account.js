/* What the signed-in customer's own services share (points.js, bills.js,
 * packs.js, vas.js): building their screens, loading what a screen shows as
 * the customer, asking before acting, and forgetting.
 *
 * Every one of those flows is personal: Kiosk.go() asks for the phone and the
 * texted code first, and every call is made as the customer. Nothing about
 * the customer outlives a flow's reset(): its screens' [data-acct-fill] parts
 * are emptied and its memory cleared, and answers still on their way when the
 * kiosk resets are dropped (each carries the generation it was asked in).
 *
 *     const acct = KioskAccount.memory(fresh);   // fresh(): the flow's empty memory
 *     KioskAccount.load(acct, "bills", ["me/bills/?months=6"], renderBills);
 *     KioskAccount.forget(acct, fresh);          // in reset()
 */
(function () {
  "use strict";

  const K = window.Kiosk;
  const MONTHS_EN = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"];
  let asking = false; // one confirmation dialog at a time

  // --- Building screens --------------------------------------------------------------

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

  function factsNode(rows) {
    const dl = el("dl", "k-facts");
    rows.forEach(([zh, en, value]) => dl.append(tEl("dt", "", zh, en), el("dd", "", value)));
    return dl;
  }

  // --- Memory and loading ------------------------------------------------------------

  /** A flow's memory about the customer: what `fresh()` makes, and its generation. */
  function memory(fresh) {
    return Object.assign(fresh(), { generation: 0 });
  }

  /** Forget everything in `acct`; answers asked for before are stale from now on. */
  function forget(acct, fresh) {
    Object.assign(acct, fresh(), { generation: acct.generation + 1 });
  }

  function stale(acct, generation) {
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
  async function load(acct, name, paths, render) {
    const generation = acct.generation;
    setLoading(name, true);
    try {
      const answers = await Promise.all(paths.map((path) => K.api("GET", path, { as: "customer" })));
      if (stale(acct, generation)) return;
      render(...answers);
    } catch (err) {
      if (!stale(acct, generation)) failed(name, err);
    } finally {
      if (!stale(acct, generation)) setLoading(name, false);
    }
  }

  /** Empty the screens `names` of the customer: their [data-acct-fill] parts, and hide `hidden` in them. */
  function clearScreens(names, hidden = []) {
    names.forEach((name) => {
      const section = screen(name);
      section.querySelectorAll("[data-acct-fill]").forEach((node) => node.replaceChildren());
      section.querySelectorAll("[data-acct-loading]").forEach((node) => { node.hidden = true; });
      hidden.forEach((selector) => section.querySelectorAll(selector).forEach((node) => { node.hidden = true; }));
    });
  }

  // --- Moving about and asking ---------------------------------------------------------

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
    if (asking) return false;
    asking = true;
    try {
      return await K.confirm(titleZh, titleEn, options);
    } finally {
      asking = false;
    }
  }

  /** The screens' own buttons: [data-acct-nav] goes to a screen, [data-acct-home] ends the visit. */
  function wire(names) {
    names.forEach((name) => {
      screen(name).querySelectorAll("[data-acct-nav]").forEach((button) =>
        button.addEventListener("click", () => navTo(button.dataset.acctNav)));
      screen(name).querySelectorAll("[data-acct-home]").forEach((button) => button.addEventListener("click", K.resetAll));
    });
  }

  window.KioskAccount = {
    screen, part, el, tEl, monthLabel, day, number, factsNode, memory, forget, stale, failed, load, clearScreens,
    navTo, ask, wire,
  };
})();
