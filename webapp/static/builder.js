// The survey builder's drag to reorder: drag a question by its handle and drop it on another
// question; the form is sent with op=move_question:<from>:<to> and the server answers with the
// reordered form, as for the "Move question up/down" buttons (webapp/admin/builder_form.py).
// Only an enhancement: the buttons do the same without JavaScript, and from the keyboard.
(function () {
  "use strict";
  var form = document.querySelector("form.builder");
  if (!form || !form.hasAttribute("data-reorder")) {
    return;
  }
  var sections = form.querySelectorAll("section.builder-question[data-index]");
  var dragged = null;
  Array.prototype.forEach.call(sections, function (section) {
    var handle = section.querySelector(".builder-drag");
    if (!handle) {
      return;
    }
    handle.hidden = false;
    section.setAttribute("draggable", "true");
    section.addEventListener("dragstart", function (event) {
      dragged = section.getAttribute("data-index");
      event.dataTransfer.effectAllowed = "move";
      event.dataTransfer.setData("text/plain", dragged);
    });
    section.addEventListener("dragover", function (event) {
      if (dragged !== null) {
        event.preventDefault();
      }
    });
    section.addEventListener("drop", function (event) {
      event.preventDefault();
      var to = section.getAttribute("data-index");
      if (dragged === null || to === dragged) {
        return;
      }
      var op = document.createElement("input");
      op.type = "hidden";
      op.name = "op";
      op.value = "move_question:" + dragged + ":" + to;
      form.appendChild(op);
      form.submit();
    });
  });
}());
