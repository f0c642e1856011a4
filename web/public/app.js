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

// Queue: "select all" ticks the ready requests in place (without JS the link reloads them ticked), with a live count.
(function () {
  var form = document.getElementById('bulk');
  var link = form && form.querySelector('[data-select-all]');
  var count = document.getElementById('selected-count');
  if (!form || !count) return;
  var boxes = function () { return form.querySelectorAll('input[name="references"]'); };
  var update = function () {
    var n = 0;
    boxes().forEach(function (b) { if (b.checked) n += 1; });
    count.textContent = String(n);
  };
  form.addEventListener('change', update);
  if (link) {
    link.addEventListener('click', function (e) {
      e.preventDefault();
      var all = boxes();
      var every = true;
      all.forEach(function (b) { if (!b.checked) every = false; });
      all.forEach(function (b) { b.checked = !every; });
      update();
    });
  }
  update();
})();

// After an error, the summary at the top of the page takes the focus (read out first; its links jump to the fields).
document.addEventListener('DOMContentLoaded', function () {
  var summary = document.querySelector('.error-summary[tabindex]');
  if (summary) { summary.focus(); }
});

// Place of residence: filters as one types (the search form works without this, by reloading the page).
// The results come from /places/results, the same fragment the page renders; the count is read out.
(function () {
  var form = document.querySelector('form[data-place-search]');
  var input = form && form.querySelector('input[name="place"]');
  var count = document.getElementById('place-count');
  if (!form || !input || !count) return;
  var timer = null;
  var latest = 0;
  var run = function () {
    var q = input.value.trim();
    if (q.length < 2 || q.length > Number(input.maxLength > 0 ? input.maxLength : 60)) return;
    var ticket = ++latest;
    var url = '/places/results?place=' + encodeURIComponent(q) + '&field=' + encodeURIComponent(form.dataset.field || 'zone') + '&current=' + encodeURIComponent(form.dataset.current || '');
    fetch(url, { credentials: 'same-origin', headers: { Accept: 'text/html' } }).then(function (r) { return r.ok ? r.text() : null; }).then(function (html) {
      var target = document.getElementById('place-results');
      if (html === null || ticket !== latest || !target) return;
      var box = document.createElement('div');
      box.innerHTML = html;
      var fresh = box.querySelector('#place-results');
      if (!fresh) return;
      target.replaceWith(fresh);
      count.textContent = fresh.getAttribute('data-count') || '';
      var choose = document.querySelector('[data-place-choose]');
      if (choose) choose.hidden = !fresh.querySelector('input[type=radio]');
    }).catch(function () { /* the search button still works */ });
  };
  input.addEventListener('input', function () {
    clearTimeout(timer);
    timer = setTimeout(run, 250);
  });
  form.addEventListener('submit', function (e) {
    if (!window.fetch || (e.submitter && e.submitter.hasAttribute('data-place-choose'))) return;
    e.preventDefault();
    clearTimeout(timer);
    run();
  });
})();
