// Draws every <canvas data-chart="id"> from the JSON in <script type="application/json" id="id">, with the
// vendored Chart.js. The server shapes each chart; this only renders it (no inline script: the CSP forbids it).
// Charts swapped in later by htmx are drawn when they arrive.
//
// Each drawn canvas records the boxes of the texts it drew on the axis and at its markers in data-label-boxes
// ([left, top, right, bottom] in canvas pixels), so a browser test can check that no two labels overlap.
"use strict";

(function () {
  const chartLocale = document.documentElement.lang === "en" ? "en-GB" : "id-ID";
  const palette = ["#0b5d8c", "#c8553d", "#2a9d8f", "#8a4b00", "#6c4ab6", "#d4a017", "#4d5660", "#1c6b34"];
  const MARKER_FONT = "bold 12px system-ui, sans-serif";

  // Launches and events as short numbered tags ("1", "A") on dashed lines; the page lists what each tag is. A tag
  // that would touch one already drawn goes a row lower, so tags never overlap however close the launches are.
  const markers = {
    id: "launchMarkers",
    afterDatasetsDraw(chart, args, options) {
      const { ctx, chartArea, scales } = chart;
      const placed = [];
      (options.items || []).forEach((marker) => {
        const x = scales.x.getPixelForValue(marker.x);
        if (x === undefined || Number.isNaN(x)) return;
        ctx.save();
        ctx.strokeStyle = marker.color || "#c8553d";
        ctx.setLineDash([4, 3]);
        ctx.beginPath();
        ctx.moveTo(x, chartArea.top);
        ctx.lineTo(x, chartArea.bottom);
        ctx.stroke();
        ctx.setLineDash([]);
        ctx.font = MARKER_FONT;
        const width = ctx.measureText(marker.text).width + 8;
        const left = Math.min(Math.max(x - width / 2, chartArea.left), chartArea.right - width);
        let top = chartArea.top + 2;
        while (placed.some((box) => left < box[2] + 2 && left + width > box[0] - 2 && top < box[3] + 2 && top + 16 > box[1] - 2)) {
          top += 18;
        }
        const box = [left, top, left + width, top + 16];
        placed.push(box);
        ctx.fillStyle = "#ffffff";
        ctx.fillRect(left, top, width, 16);
        ctx.strokeStyle = marker.color || "#c8553d";
        ctx.strokeRect(left, top, width, 16);
        ctx.fillStyle = marker.color || "#c8553d";
        ctx.textBaseline = "middle";
        ctx.fillText(marker.text, left + 4, top + 8);
        ctx.restore();
      });
      chart.$markerBoxes = placed;
    },
  };

  // A target drawn across a bar chart as one line with its label ("Target 60%"), the bars coloured by the side they
  // fall on.
  const targetLine = {
    id: "targetLine",
    afterDatasetsDraw(chart, args, options) {
      if (options.value === undefined || options.value === null) return;
      const { ctx, chartArea, scales } = chart;
      const horizontal = chart.options.indexAxis === "y";
      const scale = horizontal ? scales.x : scales.y;
      const at = scale.getPixelForValue(options.value);
      ctx.save();
      ctx.strokeStyle = "#1f2933";
      ctx.lineWidth = 2;
      ctx.setLineDash(options.carried ? [3, 3] : []);
      ctx.beginPath();
      if (horizontal) {
        ctx.moveTo(at, chartArea.top);
        ctx.lineTo(at, chartArea.bottom);
      } else {
        ctx.moveTo(chartArea.left, at);
        ctx.lineTo(chartArea.right, at);
      }
      ctx.stroke();
      ctx.restore();
    },
  };

  function labelBoxes(chart) {
    // The axis labels Chart.js kept (it skips those that would collide) and the marker tags, in canvas pixels.
    const boxes = [];
    const { ctx } = chart;
    ["x", "y"].forEach((axis) => {
      const scale = chart.scales[axis];
      if (!scale || !scale.getLabelItems) return;
      scale.getLabelItems().forEach((item) => {
        const lines = Array.isArray(item.label) ? item.label : [item.label];
        ctx.save();
        ctx.font = item.font.string;
        const width = Math.max(...lines.map((line) => ctx.measureText(String(line)).width));
        ctx.restore();
        const height = item.font.lineHeight * lines.length;
        const x = item.options.translation[0];
        const y = item.options.translation[1] + (item.textOffset || 0);
        let left = x;
        if (item.options.textAlign === "center") left = x - width / 2;
        else if (item.options.textAlign === "right") left = x - width;
        let top = y;
        if (item.options.textBaseline === "middle") top = y - height / 2;
        else if (item.options.textBaseline === "bottom") top = y - height;
        boxes.push([left, top, left + width, top + height].map(Math.round));
      });
    });
    (chart.$markerBoxes || []).forEach((box) => boxes.push(box.map(Math.round)));
    return boxes;
  }

  // After every drawing (the first, and each after a resize): the boxes of what was drawn, for the overlap check.
  const labelRecorder = {
    id: "labelRecorder",
    afterRender(chart) {
      chart.canvas.dataset.labelBoxes = JSON.stringify(labelBoxes(chart));
    },
  };

  function render(canvas) {
    if (canvas.dataset.rendered !== undefined) return;
    const source = document.getElementById(canvas.dataset.chart);
    if (!source) return;
    const spec = JSON.parse(source.textContent);
    const horizontal = Boolean(spec.horizontal);
    if (spec.height) canvas.parentElement.style.height = spec.height + "px";
    const datasets = spec.datasets.map((set, index) => {
      const color = set.color || palette[index % palette.length];
      return {
        label: set.label,
        data: set.data,
        borderColor: set.band ? "transparent" : color,
        backgroundColor: set.colors || (set.band ? set.area || "rgba(11, 93, 140, 0.18)" : color),
        borderDash: set.dashed ? [6, 4] : undefined,
        borderWidth: set.band ? 0 : undefined,
        pointRadius: spec.type === "line" && !set.band && !set.flat ? 2 : 0,
        fill: set.band === "upper" ? "-1" : false,  // a band: its upper edge fills down to its lower
        stack: set.stack,
        spanGaps: true,
        hiddenFromLegend: Boolean(set.hideLegend),
      };
    });
    const percent = spec.percent;
    const valueTicks = { callback: (value) => (percent ? value.toLocaleString(chartLocale) + "%" : value.toLocaleString(chartLocale)) };
    // Category labels lie flat and Chart.js skips what does not fit: never rotated, never on top of each other.
    const categoryTicks = { maxRotation: 0, minRotation: 0, autoSkip: true, autoSkipPadding: 12 };
    const valueAxis = {
      stacked: Boolean(spec.stacked), beginAtZero: !percent || horizontal, ticks: valueTicks,
      title: spec.valueTitle ? { display: true, text: spec.valueTitle } : undefined,
      max: spec.valueMax,
    };
    const categoryAxis = {
      stacked: Boolean(spec.stacked), ticks: horizontal ? { autoSkip: false } : categoryTicks,
      title: spec.categoryTitle ? { display: true, text: spec.categoryTitle } : undefined,
    };
    const chart = new Chart(canvas, {
      type: spec.type,
      data: { labels: spec.labels, datasets },
      options: {
        responsive: true,
        maintainAspectRatio: false,
        animation: false,
        locale: chartLocale,
        indexAxis: horizontal ? "y" : "x",
        interaction: { mode: "index", intersect: false },
        scales: horizontal ? { x: valueAxis, y: categoryAxis } : { x: categoryAxis, y: valueAxis },
        plugins: {
          legend: {
            position: "bottom",
            display: spec.legend !== false,
            labels: { filter: (item, data) => !data.datasets[item.datasetIndex].hiddenFromLegend },
          },
          launchMarkers: { items: spec.markers || [] },
          targetLine: spec.target || {},
        },
      },
      plugins: [markers, targetLine, labelRecorder],
    });
    canvas.dataset.rendered = String(chart.data.datasets.reduce((n, d) => n + d.data.filter((v) => v !== null).length, 0));
  }

  function renderAll(root) {
    root.querySelectorAll("canvas[data-chart]").forEach(render);
  }

  renderAll(document);
  document.body.addEventListener("htmx:afterSettle", (event) => renderAll(event.target));
})();
