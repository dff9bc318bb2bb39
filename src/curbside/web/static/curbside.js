/* Curbside: citation popovers and auto-submitting selectors. No dependencies.
 *
 * Load with <script defer src=".../curbside.js">. Everything works by event delegation on the
 * document, so content swapped in later by htmx needs nothing more.
 *
 * Citation markers (templates/_article_body.html):
 *   <a class="cite" href="#ref-N" data-ref="N" aria-describedby="NOTE-ID">[N]</a>
 * NOTE-ID names a .cite-note element (inside a hidden <details>) holding the quotes, the short
 * title and a "Go to reference" link; its contents are copied into the popover. Without this
 * script the marker is a plain link to the reference and the <details> shows the quotes.
 *
 * Popover: opens on hover (after a short delay), on keyboard focus, and on click (click toggles
 * and keeps it open); Escape or a click outside closes it; one is open at a time. It is a
 * non-modal dialog placed right after its marker in the DOM, so Tab moves from the marker into
 * the popover's link.
 *
 * Auto-submit: a change of a select, radio or checkbox inside (or being) an element with
 * [data-autosubmit] submits its form (requestSubmit, so htmx and validation still apply).
 */
(function () {
  "use strict";

  if (window.curbside && window.curbside.initialised) {
    return;
  }

  var doc = document;
  var root = doc.documentElement;
  root.classList.add("js");

  var OPEN_DELAY_MS = 180;
  var CLOSE_DELAY_MS = 250;
  var EDGE = 8; // px kept between the popover and the viewport edges
  var GAP = 6; // px between the marker and the popover

  var popover = null; // the single popover element, created on first use
  var current = null; // the marker whose popover is open
  var pinned = false; // opened (or kept) by a click: hover-out does not close it
  var openTimer = 0;
  var closeTimer = 0;
  var pendingMarker = null;
  var frame = 0;

  function closestMarker(node) {
    if (!node || node.nodeType !== 1 || !node.closest) {
      return null;
    }
    return node.closest("a.cite[data-ref]");
  }

  function inPopover(node) {
    return !!(popover && node && popover.contains(node));
  }

  function clearTimers() {
    window.clearTimeout(openTimer);
    window.clearTimeout(closeTimer);
    openTimer = 0;
    closeTimer = 0;
    pendingMarker = null;
  }

  function getPopover() {
    if (!popover) {
      popover = doc.createElement("div");
      popover.className = "cite-popover";
      popover.id = "cite-popover";
      popover.setAttribute("role", "dialog");
      popover.hidden = true;
    }
    return popover;
  }

  function noteFor(marker) {
    var ids = (marker.getAttribute("aria-describedby") || "").split(/\s+/);
    for (var i = 0; i < ids.length; i++) {
      if (ids[i]) {
        var el = doc.getElementById(ids[i]);
        if (el) {
          return el;
        }
      }
    }
    return null;
  }

  function stripIds(node) {
    if (node.nodeType !== 1) {
      return;
    }
    node.removeAttribute("id");
    var all = node.querySelectorAll("[id]");
    for (var i = 0; i < all.length; i++) {
      all[i].removeAttribute("id");
    }
  }

  function referenceTitle(n) {
    var ref = doc.getElementById("ref-" + n);
    if (!ref) {
      return "";
    }
    var title = ref.querySelector(".ref-title");
    return ((title || ref).textContent || "").replace(/\s+/g, " ").trim();
  }

  /* Fills the popover for a marker: a copy of its note, or the reference's title as a fallback. */
  function fill(marker) {
    var pop = getPopover();
    var n = marker.getAttribute("data-ref");
    var note = noteFor(marker);
    var title = referenceTitle(n);
    pop.textContent = "";
    if (note) {
      var copy = note.cloneNode(true);
      stripIds(copy);
      pop.appendChild(copy);
    } else {
      var p = doc.createElement("p");
      p.className = "cite-source";
      var num = doc.createElement("span");
      num.className = "cite-num";
      num.textContent = "[" + n + "] ";
      p.appendChild(num);
      p.appendChild(doc.createTextNode(title));
      pop.appendChild(p);
    }
    if (!pop.querySelector("a.cite-goto")) {
      var go = doc.createElement("a");
      go.className = "cite-goto";
      go.href = "#ref-" + n;
      go.textContent = "Go to reference";
      var holder = doc.createElement("p");
      holder.className = "cite-source";
      holder.appendChild(go);
      pop.appendChild(holder);
    }
    pop.setAttribute("aria-label", "Reference " + n + (title ? ": " + title : ""));
  }

  function position(scrolled) {
    frame = 0;
    if (!current || !popover || popover.hidden) {
      return;
    }
    var r = current.getBoundingClientRect();
    var vw = root.clientWidth || window.innerWidth;
    var vh = window.innerHeight || root.clientHeight;
    if (scrolled === true && !pinned && (r.bottom < 0 || r.top > vh)) {
      close(false); // the marker scrolled out of view: a hover or focus popover goes with it
      return;
    }
    // 100vw in the stylesheet counts the scrollbar: cap the width to the visible area here
    popover.style.maxWidth = "min(28rem, " + Math.max(0, vw - 2 * EDGE) + "px)";
    var w = popover.offsetWidth;
    var h = popover.offsetHeight;
    var top = r.bottom + GAP;
    if (top + h > vh - EDGE && r.top - GAP - h >= EDGE) {
      top = r.top - GAP - h; // not enough room below: above the marker
      popover.setAttribute("data-placement", "top");
    } else {
      popover.setAttribute("data-placement", "bottom");
    }
    top = Math.max(EDGE, Math.min(top, vh - h - EDGE));
    var left = r.left + r.width / 2 - w / 2;
    left = Math.max(EDGE, Math.min(left, vw - w - EDGE));
    popover.style.top = Math.round(top) + "px";
    popover.style.left = Math.round(left) + "px";
  }

  function schedulePosition(scrolled) {
    if (!frame) {
      frame = window.requestAnimationFrame(function () {
        position(scrolled);
      });
    }
  }

  function open(marker, pin) {
    clearTimers();
    if (current === marker && popover && !popover.hidden && popover.isConnected) {
      if (pin) {
        pinned = true;
      }
      return;
    }
    if (current) {
      close(false);
    }
    var pop = getPopover();
    fill(marker);
    marker.insertAdjacentElement("afterend", pop);
    pop.style.top = "0px";
    pop.style.left = "0px";
    pop.hidden = false;
    current = marker;
    pinned = !!pin;
    marker.setAttribute("aria-expanded", "true");
    marker.setAttribute("aria-controls", pop.id);
    position();
  }

  function close(returnFocus) {
    clearTimers();
    if (!current && (!popover || popover.hidden)) {
      return;
    }
    var marker = current;
    var focusWasInside = popover && popover.contains(doc.activeElement);
    if (popover) {
      popover.hidden = true;
      popover.textContent = "";
    }
    current = null;
    pinned = false;
    if (marker) {
      marker.setAttribute("aria-expanded", "false");
      marker.removeAttribute("aria-controls");
      if ((returnFocus || focusWasInside) && marker.isConnected) {
        marker.focus();
      }
    }
  }

  function focusIsWithin() {
    var a = doc.activeElement;
    return !!(current && a && (a === current || inPopover(a)));
  }

  function scheduleClose() {
    window.clearTimeout(closeTimer);
    closeTimer = window.setTimeout(function () {
      closeTimer = 0;
      if (!pinned && !focusIsWithin()) {
        close(false);
      }
    }, CLOSE_DELAY_MS);
  }

  /* Marks the markers under node as popover triggers (idempotent; also run after htmx swaps). */
  function enhance(node) {
    var scope = node && node.querySelectorAll ? node : doc;
    var markers = scope.querySelectorAll("a.cite[data-ref]");
    for (var i = 0; i < markers.length; i++) {
      var m = markers[i];
      if (!m.hasAttribute("aria-haspopup")) {
        m.setAttribute("aria-haspopup", "dialog");
      }
      if (m !== current) {
        m.setAttribute("aria-expanded", "false");
      }
    }
  }

  /* ---- events ---- */

  doc.addEventListener("mouseover", function (e) {
    var marker = closestMarker(e.target);
    if (marker) {
      window.clearTimeout(closeTimer);
      if (marker !== current && marker !== pendingMarker) {
        window.clearTimeout(openTimer);
        pendingMarker = marker;
        openTimer = window.setTimeout(function () {
          openTimer = 0;
          pendingMarker = null;
          if (marker.isConnected) {
            open(marker, false);
          }
        }, OPEN_DELAY_MS);
      }
    } else if (inPopover(e.target)) {
      window.clearTimeout(closeTimer);
    }
  });

  doc.addEventListener("mouseout", function (e) {
    var from = closestMarker(e.target) || (inPopover(e.target) ? popover : null);
    if (!from) {
      return;
    }
    var to = e.relatedTarget;
    if (to && (from.contains(to) || inPopover(to) || (current && current.contains(to)))) {
      return; // still over the marker or its popover
    }
    if (from === pendingMarker) {
      window.clearTimeout(openTimer);
      openTimer = 0;
      pendingMarker = null;
    }
    if (current && !pinned) {
      scheduleClose();
    }
  });

  doc.addEventListener("focusin", function (e) {
    var marker = closestMarker(e.target);
    if (marker && !inPopover(marker)) {
      open(marker, false);
      return;
    }
    if (current && !inPopover(e.target) && e.target !== current) {
      close(false); // focus moved elsewhere in the page
    }
  });

  doc.addEventListener("click", function (e) {
    var marker = closestMarker(e.target);
    if (marker && !inPopover(marker)) {
      if (e.button || e.ctrlKey || e.metaKey || e.shiftKey || e.altKey) {
        return; // new tab / window: leave the link alone
      }
      e.preventDefault();
      if (current === marker && popover && !popover.hidden) {
        // a keyboard "click" (detail 0) or a second click closes; a first mouse click keeps it open
        if (pinned || e.detail === 0) {
          close(false);
        } else {
          pinned = true;
          clearTimers();
        }
      } else {
        open(marker, true);
      }
      return;
    }
    if (inPopover(e.target)) {
      var link = e.target.closest("a[href]");
      if (link && (link.getAttribute("href") || "").charAt(0) === "#") {
        close(false); // let the browser follow the link to the reference
      }
      return;
    }
    if (current) {
      close(false); // click outside
    }
  });

  doc.addEventListener("keydown", function (e) {
    if ((e.key === "Escape" || e.key === "Esc") && current) {
      var returnFocus = focusIsWithin();
      close(returnFocus);
      if (returnFocus) {
        e.preventDefault();
      }
    }
  });

  window.addEventListener("scroll", function () {
    if (current) {
      schedulePosition(true);
    }
  }, { passive: true, capture: true });

  window.addEventListener("resize", function () {
    if (current) {
      schedulePosition();
    }
  });

  /* ---- auto-submit ---- */

  doc.addEventListener("change", function (e) {
    var t = e.target;
    if (!t || !t.closest || !t.matches("select, input[type=radio], input[type=checkbox]")) {
      return;
    }
    var scope = t.closest("[data-autosubmit]");
    if (!scope) {
      return;
    }
    if (t.type === "radio" && t.name) {
      // keep .active in step with the checked radio at once, before the response arrives
      var group = scope.querySelectorAll("input[type=radio]");
      for (var i = 0; i < group.length; i++) {
        var label = group[i].closest("label");
        if (label && group[i].name === t.name) {
          label.classList.toggle("active", group[i].checked);
        }
      }
    }
    var form = t.form || scope.closest("form");
    if (!form) {
      return;
    }
    if (typeof form.requestSubmit === "function") {
      form.requestSubmit();
    } else {
      form.submit();
    }
  });

  /* ---- htmx ---- */

  function afterSwap(e) {
    if (current && !current.isConnected) {
      current = null;
      close(false);
    }
    enhance(e && e.target);
  }

  doc.addEventListener("htmx:beforeSwap", function (e) {
    var target = e.detail && e.detail.target;
    if (current && (!target || target.contains(current))) {
      close(false); // its marker is about to be replaced
    }
  });
  doc.addEventListener("htmx:afterSwap", afterSwap);
  doc.addEventListener("htmx:load", afterSwap);

  if (doc.readyState === "loading") {
    doc.addEventListener("DOMContentLoaded", function () {
      enhance(doc);
    });
  } else {
    enhance(doc);
  }

  window.curbside = {
    initialised: true,
    enhance: enhance,
    closePopover: function () {
      close(false);
    },
  };
})();
