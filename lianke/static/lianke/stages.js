// Stage paths and boards (core.stages; templates core/partials/stage_path.html, stage_board.html):
// one tap moves a record to another state; a lost state asks for the reason first (the page's
// one #loss-dialog). Errors show in the widget; a board moves the card and its counts.
// window.LiankeStages.moveCard is what kanban.js calls when a card is dropped on a column.
(function () {
  "use strict";

  function csrf() {
    var headers = JSON.parse(document.body.getAttribute("hx-headers") || "{}");
    return headers["X-CSRFToken"];
  }

  // Resolves with the reason fields ({name: value}), or null when the user cancels.
  function askReason() {
    var dialog = document.getElementById("loss-dialog");
    if (!dialog) { return Promise.resolve({}); }
    var form = dialog.querySelector("form");
    form.reset();
    dialog.returnValue = "";
    return new Promise(function (resolve) {
      dialog.addEventListener("close", function handler() {
        dialog.removeEventListener("close", handler);
        if (dialog.returnValue !== "ok") { resolve(null); return; }
        var data = {};
        new FormData(form).forEach(function (value, key) { data[key] = value; });
        resolve(data);
      });
      dialog.showModal();
    });
  }

  function errorBox(scope) {
    return (scope && scope.querySelector("[data-stage-error]")) || null;
  }

  function showError(scope, text) {
    var box = errorBox(scope);
    if (!box) { window.alert(text); return; }
    box.textContent = text;
    box.classList.remove("d-none");
  }

  function clearError(scope) {
    var box = errorBox(scope);
    if (box) { box.classList.add("d-none"); box.textContent = ""; }
  }

  // POST one move. opts: url, field, value, kind, scope (the widget: shows errors), extra (more
  // fields). Resolves with {ok, html} | {ok: false} | {cancelled: true} | {redirected: true}.
  function move(opts) {
    var ask = opts.kind === "lost" ? askReason() : Promise.resolve({});
    return ask.then(function (reason) {
      if (reason === null) { return { cancelled: true }; }
      var body = new URLSearchParams(Object.assign({}, reason, opts.extra || {}));
      body.set(opts.field, opts.value);
      var generic = opts.scope.getAttribute("data-error-generic") || "Error";
      return fetch(opts.url, {
        method: "POST",
        headers: { "X-CSRFToken": csrf(), "HX-Request": "true" },
        body: body,
        credentials: "same-origin"
      }).then(function (response) {
        var redirect = response.headers.get("HX-Redirect");
        if (response.ok && redirect) {
          window.location.assign(redirect);
          return { redirected: true };
        }
        return response.text().then(function (text) {
          if (!response.ok) {
            var plain = (response.headers.get("Content-Type") || "").indexOf("text/plain") === 0;
            showError(opts.scope, plain && text ? text : generic);
            return { ok: false };
          }
          clearError(opts.scope);
          return { ok: true, html: text };
        });
      }, function () {
        showError(opts.scope, generic);
        return { ok: false };
      });
    });
  }

  // ---------------------------------------------------------------- the path on a record's page
  document.addEventListener("submit", function (e) {
    var form = e.target.closest("form[data-stage-path]");
    if (!form) { return; }
    e.preventDefault();
    var button = e.submitter;
    if (!button || !button.value || form.getAttribute("aria-busy") === "true") { return; }
    form.setAttribute("aria-busy", "true");
    move({
      url: form.action, field: button.name, value: button.value,
      kind: button.getAttribute("data-stage-kind"), scope: form
    }).then(function (result) {
      if (!result.redirected) { form.removeAttribute("aria-busy"); }
    });
  });

  // A path or a tab strip wider than the screen scrolls inside itself: show the current state.
  function showCurrent(root) {
    root.querySelectorAll(".stage-scroll").forEach(function (strip) {
      var current = strip.querySelector('[aria-current="step"], .active');
      if (current && strip.scrollWidth > strip.clientWidth) {
        strip.scrollLeft = current.offsetLeft - (strip.clientWidth - current.offsetWidth) / 2;
      }
    });
  }

  // ---------------------------------------------------------------- boards
  function boardOf(el) { return el.closest("[data-stage-board]"); }

  function addToCount(board, value, delta) {
    board.querySelectorAll('[data-stage-count="' + CSS.escape(value) + '"]').forEach(function (el) {
      el.textContent = String(Math.max(0, parseInt(el.textContent, 10) + delta));
    });
  }

  // Counts and totals as the server has them now (the same page, its filters; other people may
  // have moved cards too): copied into the headers and tabs without redrawing the cards.
  function refreshFigures(board) {
    fetch(window.location.href, { credentials: "same-origin" })
      .then(function (response) { return response.ok ? response.text() : ""; })
      .then(function (html) {
        if (!html) { return; }
        var fresh = new DOMParser().parseFromString(html, "text/html");
        fresh.querySelectorAll("[data-stage-count], [data-stage-summary]").forEach(function (el) {
          var key = el.hasAttribute("data-stage-count") ? "data-stage-count" : "data-stage-summary";
          var selector = "[" + key + '="' + CSS.escape(el.getAttribute(key)) + '"]';
          board.querySelectorAll(selector).forEach(function (mine) { mine.textContent = el.textContent; });
        });
      })
      .catch(function () { /* the figures stay as counted here */ });
  }

  function column(board, value) {
    return board.querySelector('.kanban-column[data-stage="' + CSS.escape(value) + '"]');
  }

  // Store a card's move to `value`; on success the card (re-rendered) sits in that column and
  // the counts follow. Resolves true when stored (a refused or cancelled move changes nothing).
  function moveCard(card, value, kind) {
    var board = boardOf(card);
    var from = card.getAttribute("data-stage-current");
    return move({
      url: board.getAttribute("data-move-url-template").replace("__pk__", card.getAttribute("data-id")),
      field: board.getAttribute("data-stage-field"),
      value: value, kind: kind, scope: board, extra: { render: "card" }
    }).then(function (result) {
      if (!result.ok) { return false; }
      card.querySelector(".kanban-card-body").innerHTML = result.html;
      var target = column(board, value).querySelector(".kanban-cards");
      if (card.parentNode !== target) {
        target.insertBefore(card, target.querySelector(".kanban-card"));
      }
      card.setAttribute("data-stage-current", value);
      if (from !== value) {
        addToCount(board, from, -1);
        addToCount(board, value, 1);
        refreshFigures(board);
      }
      var status = board.querySelector("[data-stage-status]");
      var label = column(board, value).querySelector(".card-header .fw-semibold");
      var link = card.querySelector(".kanban-card-body a");
      if (status && label && link) {
        status.textContent = board.getAttribute("data-moved-text")
          .replace("__record__", link.textContent.trim())
          .replace("__stage__", label.firstChild.textContent.trim());
      }
      return true;
    });
  }

  function selectTab(board, value) {
    board.querySelectorAll("[data-stage-tab]").forEach(function (tab) {
      var on = tab.getAttribute("data-stage-tab") === value;
      tab.classList.toggle("active", on);
      tab.setAttribute("aria-selected", on ? "true" : "false");
    });
    board.querySelectorAll(".kanban-column").forEach(function (col) {
      col.classList.toggle("is-active", col.getAttribute("data-stage") === value);
    });
    var url = new URL(window.location.href);
    url.searchParams.set("tab", value);
    window.history.replaceState(window.history.state, "", url);
  }

  function openMenu(card) {
    var board = boardOf(card);
    var menu = board.querySelector(".stage-menu");
    var current = card.getAttribute("data-stage-current");
    menu.querySelectorAll("[data-stage-value]").forEach(function (button) {
      button.disabled = button.value === current;
      button.setAttribute("aria-current", button.value === current ? "true" : "false");
    });
    menu.returnValue = "";
    menu.addEventListener("close", function handler() {
      menu.removeEventListener("close", handler);
      var value = menu.returnValue;
      if (!value || value === current) { return; }
      var chosen = menu.querySelector('[data-stage-value][value="' + CSS.escape(value) + '"]');
      moveCard(card, value, chosen.getAttribute("data-stage-kind"));
    });
    menu.showModal();
  }

  document.addEventListener("click", function (e) {
    var opener = e.target.closest("[data-stage-menu]");
    if (opener) { openMenu(opener.closest(".kanban-card")); return; }
    var tab = e.target.closest("[data-stage-tab]");
    if (tab) { selectTab(boardOf(tab), tab.getAttribute("data-stage-tab")); }
  });

  document.addEventListener("DOMContentLoaded", function () { showCurrent(document); });

  window.LiankeStages = { move: move, moveCard: moveCard };
})();
