// The settings console's drag and drop (desktop; a phone uses the buttons and "Move to…" pages):
// - [data-sortable="URL"]: its [data-sort-id] children are dragged into order; the new order is
//   posted as ids=… to URL.
// - [data-tree]: a [data-department] row dropped onto another row (or onto [data-department-root])
//   posts parent=<that department> to the dragged row's data-move-url.
// The server answers {"ok": true} or {"code", "message"}; a refusal is shown and nothing moves.
(function () {
  "use strict";

  function csrf() {
    const input = document.querySelector("input[name=csrfmiddlewaretoken]");
    return input ? input.value : "";
  }

  function post(url, data) {
    const body = new URLSearchParams();
    for (const [key, value] of data) body.append(key, value);
    return fetch(url, {
      method: "POST",
      body: body,
      credentials: "same-origin",
      headers: { "X-CSRFToken": csrf(), Accept: "application/json" },
    }).then(function (response) {
      return response.json().catch(function () { return { message: response.statusText }; }).then(function (json) {
        if (!response.ok) throw json;
        return json;
      });
    });
  }

  function showError(error) {
    const box = document.getElementById("messages");
    if (!box) return;
    const alert = document.createElement("div");
    alert.className = "alert alert-danger";
    alert.setAttribute("role", "alert");
    if (error && error.code) alert.dataset.errorCode = error.code;
    alert.textContent = (error && error.message) || "Error";
    box.replaceChildren(alert);
  }

  function sortable(list) {
    let dragged = null;
    list.addEventListener("dragstart", function (e) {
      dragged = e.target.closest("[data-sort-id]");
      if (!dragged) return;
      e.dataTransfer.effectAllowed = "move";
      e.dataTransfer.setData("text/plain", dragged.dataset.sortId);
      dragged.classList.add("opacity-50");
    });
    list.addEventListener("dragover", function (e) {
      const over = e.target.closest("[data-sort-id]");
      if (!dragged || !over || over === dragged) return;
      e.preventDefault();
      const box = over.getBoundingClientRect();
      const after = e.clientY > box.top + box.height / 2;
      over.parentNode.insertBefore(dragged, after ? over.nextSibling : over);
    });
    list.addEventListener("drop", function (e) {
      if (dragged) e.preventDefault();
    });
    list.addEventListener("dragend", function () {
      if (!dragged) return;
      dragged.classList.remove("opacity-50");
      dragged = null;
      const ids = Array.from(list.querySelectorAll("[data-sort-id]"), function (item) {
        return ["ids", item.dataset.sortId];
      });
      post(list.dataset.sortable, ids).then(
        function () { list.dataset.saved = String(Date.now()); },
        function (error) { showError(error); window.setTimeout(function () { window.location.reload(); }, 1500); }
      );
    });
  }

  function tree(root) {
    let dragged = null;
    const targets = "[data-department], [data-department-root]";
    document.addEventListener("dragstart", function (e) {
      const row = e.target.closest && e.target.closest("[data-department]");
      if (!row || !root.contains(row)) return;
      dragged = row;
      e.dataTransfer.effectAllowed = "move";
      e.dataTransfer.setData("text/plain", row.dataset.department);
    });
    document.addEventListener("dragover", function (e) {
      const target = dragged && e.target.closest && e.target.closest(targets);
      if (!target || target === dragged) return;
      e.preventDefault();
      target.classList.add("border-primary");
    });
    document.addEventListener("dragleave", function (e) {
      const target = e.target.closest && e.target.closest(targets);
      if (target) target.classList.remove("border-primary");
    });
    document.addEventListener("drop", function (e) {
      const target = dragged && e.target.closest && e.target.closest(targets);
      if (!target || target === dragged) return;
      e.preventDefault();
      target.classList.remove("border-primary");
      const parent = target.dataset.department || "";
      const url = dragged.dataset.moveUrl;
      dragged = null;
      post(url, [["parent", parent]]).then(
        function () { window.location.reload(); },
        function (error) { showError(error); }
      );
    });
    document.addEventListener("dragend", function () { dragged = null; });
  }

  function init() {
    document.querySelectorAll("[data-sortable]").forEach(sortable);
    const root = document.querySelector("[data-tree]");
    if (root) tree(root);
  }

  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", init);
  else init();
})();
