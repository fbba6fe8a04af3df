// Live chat page: keep the newest message in view as messages arrive, and on a phone (where the
// list and the conversation take turns on the screen) go back to the list.
(function () {
  "use strict";
  function showNewest() {
    var list = document.getElementById("chat-messages");
    if (list && list.lastElementChild) {
      list.lastElementChild.scrollIntoView({ block: "nearest" });
    }
  }
  document.addEventListener("htmx:afterSettle", showNewest);
  document.addEventListener("htmx:oobAfterSwap", showNewest);
  document.addEventListener("click", function (event) {
    if (!event.target.closest("[data-chat-back]")) { return; }
    var view = document.getElementById("chat-view");
    var pick = document.querySelector("#chat-desk").getAttribute("data-pick") || "";
    view.innerHTML = "";
    var note = document.createElement("p");
    note.className = "muted chat-pick";
    note.textContent = pick;
    view.appendChild(note);
  });
})();
