// Small behaviours for server-rendered pages (no inline scripts: the CSP forbids them).
(function () {
  "use strict";

  function onReady(root) {
    root.querySelectorAll("[data-autosubmit]").forEach(function (el) {
      el.addEventListener("change", function () { el.form.requestSubmit(); });
    });
  }

  document.addEventListener("DOMContentLoaded", function () { onReady(document); });
  document.addEventListener("htmx:afterSwap", function (e) { onReady(e.target); });

  // Confirm before destructive buttons.
  document.addEventListener("click", function (e) {
    var el = e.target.closest("[data-confirm]");
    if (el && !window.confirm(el.getAttribute("data-confirm"))) { e.preventDefault(); e.stopPropagation(); }
  }, true);

  // Bulk actions: select all, and show the inputs of the chosen action.
  document.addEventListener("change", function (e) {
    if (e.target.matches(".select-all")) {
      var table = e.target.closest("table");
      table.querySelectorAll(".row-select").forEach(function (box) { box.checked = e.target.checked; });
    }
    if (e.target.id === "bulk-action") {
      var form = e.target.closest("form");
      form.querySelector(".bulk-edit").classList.toggle("d-none", e.target.value !== "edit");
      form.querySelector(".bulk-transfer").classList.toggle("d-none", e.target.value !== "transfer");
    }
  });

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
