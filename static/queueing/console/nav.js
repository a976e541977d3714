/* Remembering the agent's counter across visits (per user, in localStorage).
 *
 * - The counter screen stores its counter id, so opening /console/ again (a
 *   bookmark, the next morning) goes straight back to it; the URL itself
 *   (?counter=<id>) already makes a reload return to the same counter.
 * - A picker page reached without choosing (data-auto-resume) goes to the
 *   stored counter; "change counter" links carry ?hall= and never do.
 * - A page refusing the stored counter (data-forget-counter) forgets it, so a
 *   counter that was removed or a hall the user left cannot trap them.
 */
(function () {
  "use strict";

  const shell = document.querySelector("[data-console-shell]");
  if (!shell || !shell.dataset.user) return;
  const key = `qms.console.counter.${shell.dataset.user}`;

  function read() {
    try { return window.localStorage.getItem(key); } catch (e) { return null; }
  }
  function write(value) {
    try {
      if (value === null) window.localStorage.removeItem(key);
      else window.localStorage.setItem(key, value);
    } catch (e) { /* private mode: the URL still remembers */ }
  }

  if (shell.hasAttribute("data-counter-screen")) {
    write(shell.dataset.counterId);
  } else if (shell.hasAttribute("data-forget-counter")) {
    write(null);
  } else if (shell.hasAttribute("data-auto-resume")) {
    const stored = read();
    if (stored && /^[0-9]{1,11}$/.test(stored)) {
      window.location.replace(`${window.location.pathname}?counter=${stored}`);
    }
  }
})();
