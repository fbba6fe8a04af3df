// The stock grid from the keyboard: Enter moves to the same column in the next row (Shift+Enter:
// the row above), Escape puts a cell back as it was loaded. Tab moves along the row as usual.
document.addEventListener("keydown", function (event) {
  var cell = event.target;
  if (!cell.classList || !cell.classList.contains("inv-cell")) return;
  if (event.key === "Escape") {
    var was = document.querySelector('input[name="was-' + cell.name + '"]');
    if (was) cell.value = was.value;
    return;
  }
  if (event.key !== "Enter") return;
  event.preventDefault();
  var column = cell.name.split("-")[0];
  var cells = Array.prototype.slice.call(document.querySelectorAll('#inv-grid input.inv-cell[name^="' + column + '-"]'));
  var next = cells[cells.indexOf(cell) + (event.shiftKey ? -1 : 1)];
  if (next) { next.focus(); next.select(); }
});
