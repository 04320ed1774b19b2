// Kanban: drag a card to another stage; a lost stage asks for the reason first.
(function () {
  "use strict";
  function csrf() {
    var headers = JSON.parse(document.body.getAttribute("hx-headers") || "{}");
    return headers["X-CSRFToken"];
  }
  function showError(text) {
    var box = document.getElementById("kanban-error");
    box.textContent = text;
    box.classList.remove("d-none");
  }
  function move(card, column, from, extra) {
    var list = column.querySelector(".kanban-cards");
    var url = list.getAttribute("data-move-url-template").replace("__pk__", card.getAttribute("data-id"));
    var body = new URLSearchParams(Object.assign({ stage: column.getAttribute("data-stage") }, extra || {}));
    fetch(url, { method: "POST", headers: { "X-CSRFToken": csrf(), "HX-Request": "true" }, body: body, credentials: "same-origin" })
      .then(function (r) { return r.text().then(function (t) { return { ok: r.ok, text: t }; }); })
      .then(function (res) {
        if (!res.ok) { from.appendChild(card); showError(res.text); return; }
        card.outerHTML = res.text;
        document.getElementById("kanban-error").classList.add("d-none");
      })
      .catch(function () { from.appendChild(card); showError("Network error"); });
  }
  document.addEventListener("DOMContentLoaded", function () {
    var dialog = document.getElementById("loss-dialog");
    document.querySelectorAll(".kanban-cards").forEach(function (list) {
      new Sortable(list, {
        group: "kanban", animation: 150, delay: 150, delayOnTouchOnly: true,
        onAdd: function (evt) {
          var column = evt.to.closest(".kanban-column");
          if (column.getAttribute("data-kind") === "lost") {
            dialog.showModal();
            dialog.addEventListener("close", function handler() {
              dialog.removeEventListener("close", handler);
              if (dialog.returnValue !== "ok") { evt.from.appendChild(evt.item); return; }
              var form = document.getElementById("loss-form");
              move(evt.item, column, evt.from, { loss_reason: form.loss_reason.value, loss_note: form.loss_note.value });
            });
          } else {
            move(evt.item, column, evt.from);
          }
        }
      });
    });
  });
})();
