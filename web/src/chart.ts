// The interactive chart: uPlot over the series the server embedded, replacing its static SVG.
// A grouped page draws one line per group, coloured as the server's legend, and uPlot's own
// legend names them and shows each one's value under the cursor.
import uPlot from "uplot";

import { countValues, type SeriesData } from "./series";
import { VALUE_INCREMENTS, drawingScale, formatValue, valueRange } from "./values";

function cssVariable(name: string, fallback: string): string {
  const value = getComputedStyle(document.documentElement).getPropertyValue(name).trim();
  return value || fallback;
}

function chartWidth(container: HTMLElement): number {
  return Math.max(320, Math.floor(container.getBoundingClientRect().width));
}

// Must match the palette of styles.css (and chart_svg.PALETTE_SIZE on the server).
const PALETTE_SIZE = 8;

function drawnPoints(u: uPlot): number {
  return u.data.slice(1).reduce((total, values) => total + countValues(values), 0);
}

/** Values the chart could not place on its canvas (a NaN or infinite coordinate). */
function unplacedPoints(u: uPlot): number {
  let unplaced = 0;
  for (const values of u.data.slice(1)) {
    for (const value of values) {
      if (value !== null && value !== undefined && !Number.isFinite(u.valToPos(value, "y"))) {
        unplaced += 1;
      }
    }
  }
  return unplaced;
}

/** Draws `series` into `container`, recording on it how many points the chart holds. */
export function drawChart(container: HTMLElement, series: SeriesData): uPlot {
  const ink = cssVariable("--cm-ink-muted", "#4b5563");
  const line = cssVariable("--cm-line", "#d1d5db");
  const grouped = series.lines.length > 1;
  const scale = drawingScale(series.lines.map((drawn) => drawn.values));
  const lines: uPlot.Series[] = series.lines.map((drawn, index) => ({
    label: grouped ? drawn.label : `${series.agg}(${series.metric})`,
    // uPlot hands null for an empty bucket, whatever its types say.
    value: (_u: uPlot, value: number | null) => (value === null ? "—" : formatValue(value / scale)),
    stroke: cssVariable(`--cm-series-${String(index % PALETTE_SIZE)}`, "#1d4ed8"),
    width: 1.5,
    // Empty buckets stay gaps: never draw a line across a bucket without points.
    spanGaps: false,
    points: { show: (u) => drawnPoints(u) <= 120 },
  }));
  const options: uPlot.Options = {
    width: chartWidth(container),
    height: 320,
    // Times are shown in UTC, as on the rest of the page.
    tzDate: (ts) => uPlot.tzDate(new Date(ts * 1000), "Etc/UTC"),
    scales: { x: { time: true }, y: { range: (_u, min, max) => valueRange(min, max) } },
    axes: [
      { stroke: ink, grid: { stroke: line, width: 1 }, ticks: { stroke: line, width: 1 } },
      {
        stroke: ink,
        grid: { stroke: line, width: 1 },
        ticks: { stroke: line, width: 1 },
        // Wide enough for "-1.798e+308"; the labels are short whatever the values' size.
        size: 80,
        incrs: VALUE_INCREMENTS,
        values: (_u, splits) => {
          const labels = splits.map((split) => formatValue(split / scale));
          container.dataset.yLabels = labels.join(" ");
          return labels;
        },
      },
    ],
    series: [{}, ...lines],
    hooks: {
      draw: [
        (u) => {
          const drawn = drawnPoints(u);
          container.dataset.renderedPoints = String(drawn);
          container.dataset.unplacedPoints = String(unplacedPoints(u));
          container.dataset.draws = String(Number(container.dataset.draws ?? "0") + 1);
        },
      ],
    },
  };
  container.replaceChildren();
  const data: uPlot.AlignedData = [
    series.timestamps,
    ...series.lines.map((drawn) =>
      drawn.values.map((value) => (value === null ? null : value * scale)),
    ),
  ];
  const chart = new uPlot(options, data, container);
  const resize = new ResizeObserver(() => {
    chart.setSize({ width: chartWidth(container), height: 320 });
  });
  resize.observe(container);
  return chart;
}
