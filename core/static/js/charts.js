// Draws every <canvas data-chart="id"> from the JSON in <script type="application/json" id="id">, with the
// vendored Chart.js. The server shapes each chart; this only renders it (no inline script: the CSP forbids it).
"use strict";

(function () {
  const chartLocale = document.documentElement.lang === "en" ? "en-GB" : "id-ID";
  const palette = ["#0b5d8c", "#c8553d", "#2a9d8f", "#8a4b00", "#6c4ab6", "#d4a017", "#4d5660", "#1c6b34"];
  const markers = {
    id: "launchMarkers",
    afterDatasetsDraw(chart, args, options) {
      const { ctx, chartArea, scales } = chart;
      (options.items || []).forEach((marker, index) => {
        const x = scales.x.getPixelForValue(marker.x);
        if (x === undefined || Number.isNaN(x)) return;
        ctx.save();
        ctx.strokeStyle = "#c8553d";
        ctx.setLineDash([4, 3]);
        ctx.beginPath();
        ctx.moveTo(x, chartArea.top);
        ctx.lineTo(x, chartArea.bottom);
        ctx.stroke();
        ctx.font = "12px system-ui, sans-serif";
        const y = chartArea.top + 12 + (index % 4) * 15;  // staggered: launches cluster
        ctx.fillStyle = "rgba(255, 255, 255, 0.9)";  // legible over the bars
        ctx.fillRect(x + 1, y - 11, ctx.measureText(marker.text).width + 4, 14);
        ctx.fillStyle = "#c8553d";
        ctx.fillText(marker.text, x + 3, y);
        ctx.restore();
      });
    },
  };

  function render(canvas) {
    const source = document.getElementById(canvas.dataset.chart);
    if (!source) return;
    const spec = JSON.parse(source.textContent);
    const datasets = spec.datasets.map((set, index) => ({
      label: set.label,
      data: set.data,
      borderColor: set.color || palette[index % palette.length],
      backgroundColor: set.color || palette[index % palette.length],
      borderDash: set.dashed ? [6, 4] : undefined,
      pointRadius: spec.type === "line" ? 2 : undefined,
      stack: set.stack,
      spanGaps: true,
    }));
    const percent = spec.percent;
    const chart = new Chart(canvas, {
      type: spec.type,
      data: { labels: spec.labels, datasets },
      options: {
        responsive: true,
        maintainAspectRatio: false,
        animation: false,
        locale: chartLocale,
        interaction: { mode: "index", intersect: false },
        scales: {
          x: { stacked: Boolean(spec.stacked) },
          y: { stacked: Boolean(spec.stacked), beginAtZero: !percent,
               ticks: { callback: (value) => (percent ? value.toLocaleString(chartLocale) + "%" : value.toLocaleString(chartLocale)) } },
        },
        plugins: { legend: { position: "bottom" }, launchMarkers: { items: spec.markers || [] } },
      },
      plugins: [markers],
    });
    canvas.dataset.rendered = String(chart.data.datasets.reduce((n, d) => n + d.data.filter((v) => v !== null).length, 0));
  }

  document.querySelectorAll("canvas[data-chart]").forEach(render);
})();
