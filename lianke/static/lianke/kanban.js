// Board drag & drop (desktop): dropping a card on a column moves it through the shared stage
// move (stages.js: the reason dialog for a lost stage, errors, counts). On a phone the board
// shows one stage at a time and cards move through their stage menu instead.
(function () {
  "use strict";
  document.addEventListener("DOMContentLoaded", function () {
    var phone = window.matchMedia("(max-width: 767.98px)");
    var sortables = [];
    document.querySelectorAll("[data-stage-board][data-can-move] .kanban-cards").forEach(function (list) {
      sortables.push(new Sortable(list, {
        group: "kanban", draggable: ".kanban-card", filter: ".kanban-card-menu", preventOnFilter: false,
        animation: 150, delay: 150, delayOnTouchOnly: true, disabled: phone.matches,
        onAdd: function (evt) {
          var column = evt.to.closest(".kanban-column");
          window.LiankeStages.moveCard(evt.item, column.getAttribute("data-stage"), column.getAttribute("data-kind"))
            .then(function (stored) { if (!stored) { evt.from.appendChild(evt.item); } });
        }
      }));
    });
    phone.addEventListener("change", function () {
      sortables.forEach(function (s) { s.option("disabled", phone.matches); });
    });
  });
})();
