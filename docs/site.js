// Typeset the page's math with the local KaTeX copy. The builder leaves each formula's TeX in an element with
// class "math" ("inline" or "display"); a formula KaTeX cannot read stays as text and is reported on the console,
// so the browser check fails on it. When done, <html data-math="N"> holds the number of formulas typeset.
document.addEventListener('DOMContentLoaded', function () {
  var done = 0;
  document.querySelectorAll('.math').forEach(function (el) {
    var tex = el.textContent;
    try {
      katex.render(tex, el, {displayMode: el.classList.contains('display'), throwOnError: true, strict: 'ignore'});
      done += 1;
    } catch (e) {
      el.classList.add('math-error');
      console.error('KaTeX could not typeset ' + JSON.stringify(tex) + ': ' + e.message);
    }
  });
  document.documentElement.dataset.math = String(done);
});
