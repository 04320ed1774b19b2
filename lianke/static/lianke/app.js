// Small behaviours for server-rendered pages (no inline scripts: the CSP forbids them).
// Every behaviour is delegated from the document, so it works on content htmx swaps in.
(function () {
  "use strict";

  // ------------------------------------------------------------------ forms that submit themselves
  // A list's state is its filter form: a change of a select, checkbox or date in it (or of a
  // control bound to it with form="filter-form" and data-autosubmit, such as the sort and
  // page-size menus) submits it; htmx swaps the results and pushes the URL.
  function autosubmits(el) {
    if (!el.form) { return false; }
    if (el.hasAttribute("data-autosubmit")) { return true; }
    return el.form.id === "filter-form" && el.matches("select, input[type=checkbox], input[type=radio], input[type=date]");
  }
  document.addEventListener("change", function (e) {
    if (autosubmits(e.target)) { e.target.form.requestSubmit(); }
  });
  var typing = null;
  document.addEventListener("input", function (e) {
    var el = e.target;
    if (!el.form || el.form.id !== "filter-form" || !el.matches("input[type=search], input[name=search]")) { return; }
    window.clearTimeout(typing);
    typing = window.setTimeout(function () { el.form.requestSubmit(); }, 500);
  });

  // Parts of a form that belong to some values of one of its fields:
  //   <form data-show-by="kind"> … <div data-show-for="task visit"> … </div>
  // shows a part only for those values (its inputs disabled otherwise: neither sent nor
  // required), and <input data-placeholders='{"task": "…"}'> takes the value's placeholder.
  function showFor(form) {
    var control = form.elements[form.getAttribute("data-show-by")];
    if (!control) { return; }
    var value = control.value;
    form.querySelectorAll("[data-show-for]").forEach(function (part) {
      var shown = part.getAttribute("data-show-for").split(/\s+/).indexOf(value) !== -1;
      part.hidden = !shown;
      part.querySelectorAll("input, select, textarea").forEach(function (input) { input.disabled = !shown; });
    });
    form.querySelectorAll("[data-placeholders]").forEach(function (input) {
      var texts = JSON.parse(input.getAttribute("data-placeholders"));
      if (Object.prototype.hasOwnProperty.call(texts, value)) { input.placeholder = texts[value]; }
    });
  }
  function showForAll(root) {
    if (root.matches && root.matches("form[data-show-by]")) { showFor(root); }
    root.querySelectorAll("form[data-show-by]").forEach(showFor);
  }
  document.addEventListener("DOMContentLoaded", function () { showForAll(document); });
  document.addEventListener("htmx:afterSwap", function (e) { showForAll(e.target); });
  document.addEventListener("change", function (e) {
    var form = e.target.form;
    if (form && form.hasAttribute("data-show-by") && e.target.name === form.getAttribute("data-show-by")) {
      showFor(form);
    }
  });

  // Confirm before destructive buttons.
  document.addEventListener("click", function (e) {
    var el = e.target.closest("[data-confirm]");
    if (el && !window.confirm(el.getAttribute("data-confirm"))) { e.preventDefault(); e.stopPropagation(); }
  }, true);

  // ------------------------------------------------------------------ list selection
  function listOf(el) { return el.closest("#object-list"); }
  function boxes(list) { return list.querySelectorAll(".row-select"); }

  // The table (desktop) and the cards (phone) show the same rows: a record's two boxes move together.
  function setRow(list, value, checked) {
    list.querySelectorAll('.row-select[value="' + value + '"]').forEach(function (box) { box.checked = checked; });
  }

  function refreshSelection(list) {
    var values = {};
    boxes(list).forEach(function (box) { if (box.checked) { values[box.value] = true; } });
    var n = Object.keys(values).length;
    // The ticked ids travel as one comma-separated field (a field per box would hit the
    // server's limit on the number of fields for a large selection).
    var pks = list.querySelector("#bulk-pks");
    if (pks) { pks.value = Object.keys(values).join(","); }
    var all = list.querySelector("#all-matching");
    var matching = list.querySelector("#select-matching");
    var onPage = {};
    boxes(list).forEach(function (box) { onPage[box.value] = true; });
    var pageFull = n > 0 && n === Object.keys(onPage).length;
    if (all && !pageFull) { all.value = ""; }
    if (matching) {
      matching.classList.toggle("d-none", !pageFull);
      matching.querySelector(".page-selected").classList.toggle("d-none", !!(all && all.value));
      matching.querySelector(".all-selected").classList.toggle("d-none", !(all && all.value));
    }
    var label = list.querySelector("#selected-count");
    if (label) {
      label.textContent = all && all.value ? label.getAttribute("data-all") : (n ? label.getAttribute("data-template").replace("{n}", n) : "");
    }
    var head = list.querySelector(".select-all");
    if (head) { head.checked = pageFull; }
  }

  document.addEventListener("change", function (e) {
    var list = listOf(e.target);
    if (!list) { return; }
    if (e.target.matches(".select-all")) {
      boxes(list).forEach(function (box) { box.checked = e.target.checked; });
      refreshSelection(list);
    } else if (e.target.matches(".row-select")) {
      setRow(list, e.target.value, e.target.checked);
      refreshSelection(list);
    } else if (e.target.id === "bulk-action") {
      var form = e.target.closest("form");
      form.querySelector(".bulk-edit").classList.toggle("d-none", e.target.value !== "edit");
      form.querySelector(".bulk-transfer").classList.toggle("d-none", e.target.value !== "transfer");
    }
  });

  // Boxes a browser restored as ticked (back button) fire no change: count them again on submit.
  document.addEventListener("submit", function (e) {
    if (e.target.id === "bulk-form" && listOf(e.target)) { refreshSelection(listOf(e.target)); }
  }, true);

  function setSelecting(list, on) {
    list.classList.toggle("selecting", on);
    var button = list.querySelector("[data-select-mode]");
    if (button) { button.setAttribute("aria-pressed", on ? "true" : "false"); }
    if (!on) {
      boxes(list).forEach(function (box) { box.checked = false; });
      refreshSelection(list);
    }
  }

  document.addEventListener("click", function (e) {
    var list = listOf(e.target);
    if (!list) { return; }
    var all = list.querySelector("#all-matching");
    if (e.target.closest("#select-all-matching")) {
      all.value = "1";
      refreshSelection(list);
    } else if (e.target.closest("#clear-selection")) {
      all.value = "";
      boxes(list).forEach(function (box) { box.checked = false; });
      refreshSelection(list);
    } else if (e.target.closest("[data-select-mode]")) {
      setSelecting(list, !list.classList.contains("selecting"));
    } else if (list.classList.contains("selecting")) {
      // In selection mode a tap on a card ticks it instead of opening the record.
      var card = e.target.closest(".object-card");
      if (card && !e.target.closest(".row-select, .btn-call")) {
        e.preventDefault();
        var box = card.querySelector(".row-select");
        box.checked = !box.checked;
        setRow(list, box.value, box.checked);
        refreshSelection(list);
      }
    }
  });

  // A long press on a card starts selection mode with that card ticked.
  var press = null;
  document.addEventListener("touchstart", function (e) {
    var card = e.target.closest(".object-card");
    if (!card || e.target.closest(".btn-call, .row-select")) { return; }
    press = window.setTimeout(function () {
      press = "done";
      var list = listOf(card);
      if (!list.querySelector("[data-select-mode]")) { return; }
      setSelecting(list, true);
      var box = card.querySelector(".row-select");
      box.checked = true;
      setRow(list, box.value, true);
      refreshSelection(list);
    }, 550);
  }, { passive: true });
  function cancelPress() { if (press && press !== "done") { window.clearTimeout(press); } }
  document.addEventListener("touchmove", cancelPress, { passive: true });
  document.addEventListener("touchend", function (e) {
    if (press === "done" && e.target.closest(".object-card")) { e.preventDefault(); }  // no click after it
    cancelPress();
    press = null;
  });
  document.addEventListener("contextmenu", function (e) {
    if (e.target.closest(".object-card") && listOf(e.target) && listOf(e.target).querySelector("[data-select-mode]")) { e.preventDefault(); }
  });

  // ------------------------------------------------------------------ lookups and errors
  // Keep the lookup search box out of the form it sits in (it has its own request).
  document.addEventListener("keydown", function (e) {
    if (e.key === "Enter" && e.target.matches("[data-lookup]")) { e.preventDefault(); }
  });

  // People pickers: the search box asks the server for matching people; what is chosen now
  // goes along, so the answer keeps it.
  document.addEventListener("htmx:configRequest", function (e) {
    var elt = e.detail.elt;
    if (!elt.matches || !elt.matches("[data-people-search]")) { return; }
    var chosen = [];
    elt.closest("[data-people]").querySelectorAll("select option:checked, input[type=checkbox]:checked").forEach(function (el) {
      if (el.value) { chosen.push(el.value); }
    });
    e.detail.parameters.selected = chosen;
  });
  // Checkboxes the search swapped in must act like the ones the page came with: htmx resolves
  // a form's "change from:<selector>" trigger once, so have it look again (a changed attribute
  // makes htmx.process re-initialise the form).
  document.addEventListener("htmx:afterSwap", function (e) {
    if (!e.target.matches || !e.target.matches(".people-checks")) { return; }
    var owner = e.target.closest("[hx-trigger]");
    if (owner && window.htmx) {
      owner.setAttribute("data-people-swaps", String((Number(owner.getAttribute("data-people-swaps")) || 0) + 1));
      window.htmx.process(owner);
    }
  });

  // A printable page's "Print" button.
  document.addEventListener("click", function (e) {
    if (e.target.closest("[data-print]")) { window.print(); }
  });

  // Server errors on htmx requests: show them instead of failing silently.
  document.addEventListener("htmx:responseError", function (e) {
    var box = document.getElementById("messages");
    if (!box) { return; }
    var div = document.createElement("div");
    div.className = "alert alert-danger";
    div.setAttribute("role", "alert");
    div.textContent = e.detail.xhr.status === 403 ? (document.documentElement.lang.indexOf("zh") === 0 ? "没有权限。" : "Permission denied.") : (e.detail.xhr.responseText || "Error").slice(0, 300);
    box.appendChild(div);
  });
})();
