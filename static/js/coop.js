/* The co-op's pages by keyboard and with a screen reader (#19, WCAG 2.2 AA).
   Everything here is an enhancement: without it each form still posts and each link
   still leads where it says.

   - After a basket change swapped in by htmx, focus goes back to the control used, or
     to its replacement: each control is named by data-focus="what:where:offer" (Add
     and + share "more:card:N", so after Add focus is on the +; once the last unit is
     removed, on the Add button again). A refused quantity keeps focus, is marked
     aria-invalid and described by its message.
   - On the shop the products are one stop in the Tab order: Tab from a product's last
     control leaves the list (to the basket), Shift+Tab from its first control goes back
     before it, and the up and down arrows go from one product to the next.
   - « Go to the basket » on a phone, where the basket panel is not shown, goes to the
     basket bar.
   - Escape closes the menu; an error summary takes focus when its page loads. */
(function () {
  "use strict";

  var pending = null;

  function focusable(el) {
    return el && !el.disabled && el.getClientRects().length > 0;
  }

  function byKey(key) {
    var found = document.querySelectorAll('[data-focus="' + key + '"]');
    for (var i = 0; i < found.length; i++) {
      if (focusable(found[i])) return found[i];
    }
    return null;
  }

  // Where focus goes after a change made with the control named `key`: the control
  // itself, its field, the product's Add (or +) on its card, the basket's heading.
  function candidates(key) {
    var parts = key.split(":");
    var what = parts[0], where = parts[1], offer = parts[2];
    var keys = [key];
    if (what !== "qty") keys.push("qty:" + where + ":" + offer);
    keys.push("more:card:" + offer, "qty:card:" + offer);
    return keys;
  }

  function restore(detail) {
    var p = pending;
    pending = null;
    if (!p) return;
    var active = document.activeElement;
    var moved = active && active !== document.body && active !== p.element &&
      document.contains(active) && active.getAttribute("data-focus") !== p.key;
    if (moved) return; // the customer has gone elsewhere while the answer came
    var keys = candidates(p.key), target = null;
    for (var i = 0; i < keys.length && !target; i++) target = byKey(keys[i]);
    if (!target) {
      var heading = document.getElementById("basket-title");
      target = focusable(heading) ? heading : document.getElementById("main");
    }
    if (!target) return;
    target.focus();
    var status = detail && detail.xhr ? detail.xhr.status : 200;
    if (target.tagName === "INPUT") {
      var offer = p.key.split(":")[2];
      var message = document.getElementById("line-msg-" + offer) || document.getElementById("line-msg-basket");
      if (status >= 400 && message) {
        target.setAttribute("aria-invalid", "true");
        target.setAttribute("aria-describedby", message.id);
      } else {
        target.removeAttribute("aria-invalid");
        target.removeAttribute("aria-describedby");
      }
      if (status >= 400 && target.select) target.select();
    }
  }

  document.addEventListener("htmx:beforeRequest", function (event) {
    var active = document.activeElement;
    var key = active && active.getAttribute ? active.getAttribute("data-focus") : null;
    if (!key) {
      // A click that did not move focus (some browsers do not focus a clicked button).
      var trigger = event.detail.requestConfig && event.detail.requestConfig.triggeringEvent;
      var submitter = trigger && trigger.submitter;
      key = submitter && submitter.getAttribute ? submitter.getAttribute("data-focus") : null;
    }
    pending = key ? { key: key, element: active } : null;
  });
  document.addEventListener("htmx:afterRequest", function (event) {
    restore(event.detail);
  });

  // The shop's products: one Tab stop, arrows between them.
  var FOCUSABLE = 'a[href], button, input:not([type="hidden"]), select, textarea, [tabindex]';

  function tabbables(root) {
    return Array.prototype.filter.call(root.querySelectorAll(FOCUSABLE), function (el) {
      return el.tabIndex >= 0 && focusable(el) && !el.closest("[inert]");
    });
  }

  function leaveList(from, forward) {
    var all = tabbables(document);
    var cards = document.querySelectorAll(".offer-card");
    if (!cards.length) return false;
    var edge = forward ? cards[cards.length - 1] : cards[0];
    var outside = all.filter(function (el) {
      if (el.closest(".offer-card")) return false;
      var position = edge.compareDocumentPosition(el);
      return forward ? position & Node.DOCUMENT_POSITION_FOLLOWING : position & Node.DOCUMENT_POSITION_PRECEDING;
    });
    var next = forward ? outside[0] : outside[outside.length - 1];
    if (!next) return false;
    next.focus();
    return true;
  }

  function moveCard(card, step, from) {
    var cards = Array.prototype.slice.call(document.querySelectorAll(".offer-card"));
    var index = cards.indexOf(card) + step;
    while (index >= 0 && index < cards.length) {
      var controls = tabbables(cards[index]);
      if (controls.length) {
        // The same kind of control if the next product has one (Add, −, the field, +).
        var kind = from.getAttribute("data-focus");
        kind = kind ? kind.split(":")[0] : "";
        var same = controls.filter(function (el) {
          var k = el.getAttribute("data-focus");
          return k && k.split(":")[0] === kind;
        })[0];
        (same || controls[0]).focus();
        return true;
      }
      index += step;
    }
    return false;
  }

  var hinted = false;
  document.addEventListener("focusin", function (event) {
    if (hinted || !event.target.closest || !event.target.closest(".offer-card")) return;
    var hint = document.getElementById("keyboard-hint");
    var status = document.getElementById("basket-status");
    if (hint && status) {
      hinted = true;
      status.textContent = hint.textContent;
    }
  });

  document.addEventListener("keydown", function (event) {
    var target = event.target;
    if (event.key === "Escape") {
      var menu = target.closest ? target.closest("details[open]") : null;
      menu = menu || document.querySelector("details.menu[open]");
      if (menu) {
        menu.open = false;
        var summary = menu.querySelector("summary");
        if (summary) summary.focus();
        event.preventDefault();
      }
      return;
    }
    if (event.altKey || event.ctrlKey || event.metaKey || !target.closest) return;
    var card = target.closest(".offer-card");
    if (!card) return;
    if (event.key === "ArrowDown" || event.key === "ArrowUp") {
      if (moveCard(card, event.key === "ArrowDown" ? 1 : -1, target)) event.preventDefault();
      return;
    }
    if (event.key === "Tab") {
      var controls = tabbables(card);
      var edge = event.shiftKey ? controls[0] : controls[controls.length - 1];
      if (target === edge && leaveList(target, !event.shiftKey)) event.preventDefault();
    }
  });

  document.addEventListener("click", function (event) {
    var link = event.target.closest ? event.target.closest("[data-skip-basket]") : null;
    if (!link) return;
    var heading = document.getElementById("basket-title");
    if (focusable(heading)) return; // the panel is shown: the link's own target
    var bar = document.querySelector("#basket-bar a");
    event.preventDefault();
    if (bar) bar.focus();
    else window.location.href = link.getAttribute("data-basket-url") || "/basket/";
  });

  function onLoad() {
    var hint = document.getElementById("keyboard-hint");
    if (hint) hint.hidden = false;
    var summary = document.querySelector("[data-error-summary]");
    if (summary) summary.focus();
  }
  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", onLoad);
  else onLoad();
})();
