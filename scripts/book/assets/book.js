// Draws every chart of a book page from the figure JSON beside it; the PNG copy stays visible
// where this cannot run (no JavaScript) and comes back if drawing fails.
(function () {
  'use strict';
  document.documentElement.classList.add('js');
  function draw(figureElement) {
    var plot = figureElement.querySelector('.book-plot');
    var source = figureElement.querySelector('script.book-figure');
    var figure = JSON.parse(source.textContent);
    // A picture the page carries once, as the fallback image, goes back into its trace.
    figure.data.forEach(function (trace) {
      var match = typeof trace.source === 'string' && /^#picture-(\d+)$/.exec(trace.source);
      var image = match && figureElement.querySelector('img[data-picture="' + match[1] + '"]');
      if (image) trace.source = image.getAttribute('src');
    });
    var config = Object.assign({ responsive: true, displaylogo: false }, figure.config);
    return window.Plotly.newPlot(plot, figure.data, figure.layout, config).then(function () {
      figureElement.classList.add('drawn');
    });
  }
  function drawAll() {
    var figures = document.querySelectorAll('figure.book-chart');
    if (figures.length > 0 && !window.Plotly) {
      console.error('book: Plotly did not load (assets/plotly.min.js); showing the static images');
      Array.prototype.forEach.call(figures, function (f) { f.classList.add('failed'); });
      return;
    }
    Array.prototype.forEach.call(figures, function (figureElement) {
      draw(figureElement).catch(function (error) {
        figureElement.classList.add('failed');
        console.error('book: chart ' + figureElement.id + ' could not be drawn: ' + error);
      });
    });
  }
  if (document.readyState === 'loading') document.addEventListener('DOMContentLoaded', drawAll);
  else drawAll();
})();
