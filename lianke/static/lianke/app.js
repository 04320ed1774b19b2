// Small behaviours for server-rendered pages (no inline scripts: the CSP forbids them).
(function () {
  "use strict";

  function onReady(root) {
    root.querySelectorAll("[data-autosubmit]").forEach(function (el) {
      el.addEventListener("change", function () { el.form.requestSubmit(); });
    });
    if (root.matches && root.matches("form[data-show-by]")) { showFor(root); }
    root.querySelectorAll("form[data-show-by]").forEach(showFor);
  }

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

  document.addEventListener("DOMContentLoaded", function () { onReady(document); });
  document.addEventListener("htmx:afterSwap", function (e) { onReady(e.target); });

  // Confirm before destructive buttons.
  document.addEventListener("click", function (e) {
    var el = e.target.closest("[data-confirm]");
    if (el && !window.confirm(el.getAttribute("data-confirm"))) { e.preventDefault(); e.stopPropagation(); }
  }, true);

  // Bulk actions: select all, and show the inputs of the chosen action.
  document.addEventListener("change", function (e) {
    var form = e.target.form;
    if (form && form.hasAttribute("data-show-by") && e.target.name === form.getAttribute("data-show-by")) {
      showFor(form);
    }
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
