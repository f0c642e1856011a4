// Progressive enhancement only: every page works without this file.
document.addEventListener('change', function (e) {
  var el = e.target;
  if (el && el.matches && el.matches('select[data-autosubmit]') && el.form) {
    var next = el.form.querySelector('[data-autosubmit-button]');
    if (next) { next.click(); } else { el.form.submit(); }
  }
});
