// Progressive enhancement only: every page works without this file.
document.addEventListener('change', function (e) {
  var el = e.target;
  if (el && el.matches && el.matches('select[data-autosubmit]') && el.form) {
    var next = el.form.querySelector('[data-autosubmit-button]');
    if (next) { next.click(); } else { el.form.submit(); }
  }
});

// The receipt's print button exists only with JavaScript (printing works from the browser's menu without it).
document.addEventListener('DOMContentLoaded', function () {
  var buttons = document.querySelectorAll('button[data-print]');
  for (var i = 0; i < buttons.length; i++) {
    buttons[i].hidden = false;
    buttons[i].addEventListener('click', function () { window.print(); });
  }
});
