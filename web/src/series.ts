// The series a metric page embeds for its chart, read and checked from the page's JSON island:
// one line, or one per value of the tag the page groups by.

export interface Line {
  /** What the legend calls it: the metric, or `tag=value` of its group. */
  label: string;
  /** The aggregate per bucket; null where the bucket had no points (drawn as a gap). */
  values: (number | null)[];
}

export interface SeriesData {
  /** Bucket starts, in seconds since the epoch, one per bucket of the range (gaps included). */
  timestamps: number[];
  lines: Line[];
  stepSeconds: number;
  metric: string;
  agg: string;
}

function isNumberArray(value: unknown): value is number[] {
  return Array.isArray(value) && value.every((item) => typeof item === "number");
}

function isValueArray(value: unknown): value is (number | null)[] {
  return Array.isArray(value) && value.every((item) => item === null || typeof item === "number");
}

function isLine(value: unknown, length: number): value is Line {
  if (typeof value !== "object" || value === null) {
    return false;
  }
  const { label, values } = value as Record<string, unknown>;
  return typeof label === "string" && isValueArray(values) && values.length === length;
}

export function readSeries(island: HTMLElement): SeriesData {
  const parsed: unknown = JSON.parse(island.textContent || "null");
  if (typeof parsed !== "object" || parsed === null) {
    throw new Error("the series island holds no object");
  }
  const record = parsed as Record<string, unknown>;
  const { timestamps, lines, stepSeconds, metric, agg } = record;
  if (
    !isNumberArray(timestamps) ||
    !Array.isArray(lines) ||
    !lines.every((line) => isLine(line, timestamps.length)) ||
    typeof stepSeconds !== "number" ||
    typeof metric !== "string" ||
    typeof agg !== "string"
  ) {
    throw new Error("the series island does not hold a series");
  }
  return { timestamps, lines, stepSeconds, metric, agg };
}

/** How many buckets hold a value, in any array-like uPlot or the page hands over. */
export function countValues(values: ArrayLike<number | null | undefined>): number {
  return Array.from(values).filter((value) => value !== null && value !== undefined).length;
}
