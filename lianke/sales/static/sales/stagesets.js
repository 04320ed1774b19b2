// The stage set editor (Settings › Stage sets): the stage rows of [data-stage-list] are put in
// order by dragging (desktop) or by their up/down buttons (touch), removed by their bin, and a
// new row is added from <template id="stage-template">. Nothing is sent until the form is saved:
// the rows are posted in the order they stand. Choosing "won" or "lost" sets the probability
// (100 % or 0 %).
(function () {
  "use strict";

  function init() {
    const list = document.querySelector("[data-stage-list]");
    if (!list) return;
    const template = document.getElementById("stage-template");
    const add = document.getElementById("add-stage");

    list.addEventListener("click", function (e) {
      const button = e.target.closest("button");
      const row = button && button.closest("[data-stage-row]");
      if (!row) return;
      if (button.hasAttribute("data-stage-up") && row.previousElementSibling) {
        list.insertBefore(row, row.previousElementSibling);
      } else if (button.hasAttribute("data-stage-down") && row.nextElementSibling) {
        list.insertBefore(row.nextElementSibling, row);
      } else if (button.hasAttribute("data-stage-remove")) {
        row.remove();
      }
    });

    list.addEventListener("change", function (e) {
      if (e.target.name !== "stage-kind") return;
      const row = e.target.closest("[data-stage-row]");
      const probability = row.querySelector("[name=stage-probability]");
      if (e.target.value === "won") probability.value = "100";
      if (e.target.value === "lost") probability.value = "0";
    });

    if (add && template) {
      add.addEventListener("click", function () {
        const row = template.content.firstElementChild.cloneNode(true);
        const lastClosed = Array.from(list.children).find(function (item) {
          const kind = item.querySelector("[name=stage-kind]");
          return kind && kind.value !== "open";
        });
        list.insertBefore(row, lastClosed || null);  // a new open stage goes before won / lost
        row.querySelector("[name=stage-name]").focus();
      });
    }

    let dragged = null;
    list.addEventListener("dragstart", function (e) {
      dragged = e.target.closest("[data-stage-row]");
      if (!dragged) return;
      e.dataTransfer.effectAllowed = "move";
      e.dataTransfer.setData("text/plain", "stage");
      e.dataTransfer.setDragImage(dragged, 0, 0);
      dragged.classList.add("opacity-50");
    });
    list.addEventListener("dragover", function (e) {
      const over = e.target.closest("[data-stage-row]");
      if (!dragged || !over || over === dragged) return;
      e.preventDefault();
      const box = over.getBoundingClientRect();
      const after = e.clientY > box.top + box.height / 2;
      list.insertBefore(dragged, after ? over.nextSibling : over);
    });
    list.addEventListener("drop", function (e) {
      if (dragged) e.preventDefault();
    });
    list.addEventListener("dragend", function () {
      if (dragged) dragged.classList.remove("opacity-50");
      dragged = null;
    });
  }

  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", init);
  else init();
})();
