/* askreport: copy buttons and "open in reader" links. Acts only on data-copy, data-copy-url, data-goto and
   data-open attributes written by the templates in present/templates/; nothing here evaluates page text.
   In a library the reader holds one document at a time: a link whose passage is not in the reader (data-open:
   its passage id) asks the app for that document through the hidden #reader-want box, then goes to it. */
(() => {
  "use strict";
  function flash(btn, text) {
    if (!btn) return;
    if (!btn.dataset.label) btn.dataset.label = btn.textContent;
    btn.textContent = text;
    btn.classList.add("copied");
    clearTimeout(btn._arTimer);
    btn._arTimer = setTimeout(() => { btn.textContent = btn.dataset.label; btn.classList.remove("copied"); }, 1600);
  }
  function copyText(text, btn) {
    const fallback = () => {
      const ta = document.createElement("textarea");
      ta.value = text;
      ta.setAttribute("readonly", "");
      ta.style.position = "fixed";
      ta.style.opacity = "0";
      document.body.appendChild(ta);
      ta.select();
      let ok = false;
      try { ok = document.execCommand("copy"); } catch (e) { ok = false; }
      ta.remove();
      flash(btn, ok ? "Copied" : "Press Ctrl+C");
    };
    if (navigator.clipboard && window.isSecureContext) {
      navigator.clipboard.writeText(text).then(() => flash(btn, "Copied"), fallback);
    } else {
      fallback();
    }
  }
  function readTab() {
    const isRead = (b) => /^\s*read\b/i.test(b.textContent || "");
    return document.getElementById("tab-read-button") ||
      Array.from(document.querySelectorAll('#ar-tabs [role="tab"], #ar-tabs .overflow-dropdown button')).find(isRead);
  }
  function inReader(target) {
    const el = document.getElementById(target);
    return el && el.closest("#reader") ? el : null;
  }
  function requestDocument(pid) {
    /* The reader's hidden box: the passage id and a nonce (the same passage may be asked for again). */
    let tries = 0;
    const ask = () => {
      const box = document.querySelector("#reader-want textarea, #reader-want input");
      if (!box) {
        if (tries++ < 100) setTimeout(ask, 30);
        return;
      }
      box.value = pid + " #" + Date.now();
      box.dispatchEvent(new Event("input", { bubbles: true }));
    };
    ask();
  }
  function showPlace(el) {
    const at = document.querySelector("#reader .reader-at");
    if (!at) return;
    const label = el.getAttribute("data-page-label");
    at.textContent = label ? "Opened at the cited passage, on p. " + label + "." : "";
    at.setAttribute("data-page-label", label || "");
    at.hidden = !label;
  }
  function openReader(target, pid) {
    const tab = readTab();
    if (tab && tab.getAttribute("aria-selected") !== "true") tab.click();
    let tries = 0, limit = 100;
    if (pid && !inReader(target)) {         /* data-open is written only in a library */
      requestDocument(pid);
      limit = 600;                              /* up to ~18 s while the document is drawn */
    }
    const go = () => {
      const el = inReader(target);
      if (!el || el.offsetParent === null) {
        if (tries++ < limit) setTimeout(go, 30);
        return;
      }
      document.querySelectorAll("#reader .is-cited").forEach((x) => x.classList.remove("is-cited"));
      el.classList.add("is-cited");
      showPlace(el);
      el.scrollIntoView({ block: el.offsetHeight > window.innerHeight * 0.6 ? "start" : "center" });
      if (el.focus) el.focus({ preventScroll: true });
    };
    go();
  }
  window.askreportOpen = openReader;
  document.addEventListener("click", (ev) => {
    const t = ev.target instanceof Element ? ev.target : null;
    if (!t) return;
    const c = t.closest("[data-copy]");
    if (c) { ev.preventDefault(); copyText(c.getAttribute("data-copy"), c); return; }
    const u = t.closest("[data-copy-url]");
    if (u) { ev.preventDefault(); copyText(new URL(u.getAttribute("data-copy-url"), window.location.href).href, u); return; }
    const g = t.closest("[data-goto]");
    if (g) { ev.preventDefault(); openReader(g.getAttribute("data-goto"), g.getAttribute("data-open")); }
  });
})();
