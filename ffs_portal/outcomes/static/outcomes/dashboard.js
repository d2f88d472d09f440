// Charts of the dashboard, drawn from the same figures as the tables beneath them.
(function () {
  "use strict";
  function draw() {
    var source = document.getElementById("dashboard-data");
    if (!source || typeof Chart === "undefined") return;
    var data = JSON.parse(source.textContent);
    var text = data.text || {};
    Chart.defaults.font.family = getComputedStyle(document.body).fontFamily;
    Chart.defaults.animation = false;
    var trend = document.getElementById("chart-trend");
    if (trend && data.trend) {
      new Chart(trend, {
        data: {
          labels: data.trend.labels,
          datasets: [
            { type: "line", label: text.rate, data: data.trend.rate, yAxisID: "rate",
              borderColor: "#0b5cad", backgroundColor: "#0b5cad", pointRadius: 2, spanGaps: true },
            { type: "bar", label: text.attended, data: data.trend.attended, yAxisID: "children",
              backgroundColor: "rgba(25, 135, 84, .35)" },
            { type: "bar", label: text.expected, data: data.trend.expected, yAxisID: "children",
              backgroundColor: "rgba(108, 117, 125, .2)", grouped: false }
          ]
        },
        options: {
          maintainAspectRatio: false,
          interaction: { mode: "index", intersect: false },
          scales: {
            rate: { position: "left", min: 0, max: 100, ticks: { callback: function (v) { return v + "%"; } } },
            children: { position: "right", beginAtZero: true, grid: { drawOnChartArea: false } }
          }
        }
      });
    }
    var lowest = document.getElementById("chart-lowest");
    if (lowest && data.lowest) {
      new Chart(lowest, {
        type: "bar",
        data: {
          labels: data.lowest.labels,
          datasets: [{ label: text.rate, data: data.lowest.rate, backgroundColor: "#cc8a00" }]
        },
        options: {
          indexAxis: "y",
          maintainAspectRatio: false,
          plugins: { legend: { display: false } },
          scales: { x: { min: 0, max: 100, ticks: { callback: function (v) { return v + "%"; } } } }
        }
      });
    }
  }
  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", draw);
  } else {
    draw();
  }
})();
