// Draws the two charts of the insights page from the JSON the page carries
// (#insights-chart-data, written by json_script): medians in minutes, one line or bar set
// per number. Without data (an empty period) the page has no canvas and this does nothing.
(function () {
  "use strict";

  var COLOURS = ["#2f6fde", "#c8281e", "#1d7a45", "#9a5b00"];

  function datasets(series, filled) {
    return series.datasets.map(function (set, index) {
      return {
        label: set.label,
        data: set.data,
        borderColor: COLOURS[index % COLOURS.length],
        backgroundColor: filled ? COLOURS[index % COLOURS.length] : "transparent",
        spanGaps: true,
        tension: 0.2,
      };
    });
  }

  function options() {
    return {
      responsive: true,
      maintainAspectRatio: false,
      animation: false,
      interaction: { mode: "index", intersect: false },
      scales: {
        y: { beginAtZero: true, title: { display: true, text: "minutes" } },
      },
      plugins: {
        legend: { position: "bottom" },
        tooltip: {
          callbacks: {
            label: function (item) {
              return item.dataset.label + ": " + (item.raw === null ? "none" : item.raw + " min");
            },
          },
        },
      },
    };
  }

  function draw(id, type, series) {
    var canvas = document.getElementById(id);
    if (!canvas) return;
    var chart = new window.Chart(canvas, {
      type: type,
      data: { labels: series.labels, datasets: datasets(series, type === "bar") },
      options: options(),
    });
    canvas.setAttribute("data-drawn", String(chart.data.datasets.length));
  }

  function start() {
    var source = document.getElementById("insights-chart-data");
    if (!source || !window.Chart) return;
    var data = JSON.parse(source.textContent);
    draw("chart-by-month", "line", data.by_month);
    draw("chart-by-severity", "bar", data.by_severity);
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", start);
  } else {
    start();
  }
})();
