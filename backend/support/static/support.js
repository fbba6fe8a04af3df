// The support chat's thread (backend/support/templates/support/_thread.html): keep the newest
// line in view as lines arrive, unless the reader scrolled up to read older ones, and show each
// line once (a poll and the poll a send triggers may both bring it).
(function () {
  "use strict";
  function thread() { return document.getElementById("support-thread"); }

  function atBottom(box) { return box.scrollHeight - box.scrollTop - box.clientHeight < 80; }

  var follow = true;
  document.addEventListener("htmx:oobBeforeSwap", function () {
    var box = thread();
    follow = box ? atBottom(box) : true;
  });
  document.addEventListener("htmx:oobAfterSwap", function () {
    var box = thread();
    if (!box) { return; }
    var seen = {};
    box.querySelectorAll(".chat-line").forEach(function (line) {
      if (seen[line.id]) { line.remove(); } else { seen[line.id] = true; }
    });
    var empty = document.getElementById("support-empty");
    if (empty) { empty.remove(); }
    if (follow) { box.scrollTop = box.scrollHeight; }
  });
  document.addEventListener("DOMContentLoaded", function () {
    var box = thread();
    if (box) { box.scrollTop = box.scrollHeight; }
  });
})();
