// Numbers as the chart shows them, and a value range that cannot overflow.

/** A value in a few characters: 1e12 reads "1e+12", not "1,000,000,000,000" cut to "0,000". */
export function formatValue(value: number): string {
  const magnitude = Math.abs(value);
  if (magnitude !== 0 && (magnitude >= 1e6 || magnitude < 1e-3)) {
    return value.toExponential(3).replace(/\.?0+e/, "e");
  }
  return String(Number(value.toPrecision(4)));
}

/**
 * The y range for values from `min` to `max`, padded. Computed on halves and clamped: near
 * ±1.8e308 (the largest double) a span or a padding would overflow to Infinity, and every
 * coordinate would be NaN.
 */
export function valueRange(min: number | null, max: number | null): [number, number] {
  if (min === null || max === null) {
    return [0, 1];
  }
  const halfSpan = max / 2 - min / 2;
  const pad = halfSpan > 0 ? halfSpan * 0.1 : Math.abs(min) * 0.1 || 1;
  return [Math.max(min - pad, -Number.MAX_VALUE), Math.min(max + pad, Number.MAX_VALUE)];
}

/**
 * Tick spacings for the value axis: 1, 2 and 5 times every power of ten a double holds. uPlot's
 * own list ends at 5e15, so an axis over larger values (1e308) would get no tick at all.
 */
export const VALUE_INCREMENTS: number[] = Array.from({ length: 324 }, (_, index) => index - 16)
  .flatMap((exponent) =>
    [1, 2, 5].map((mantissa) => Number(`${String(mantissa)}e${String(exponent)}`)),
  )
  .filter((increment) => Number.isFinite(increment));

/**
 * What to multiply values by before charting them: 1, unless their span exceeds what a double
 * holds (a chart from -1e308 to 1e308), in which case a quarter, and labels divide it out.
 */
export function drawingScale(lines: readonly (readonly (number | null)[])[]): number {
  let min = Infinity;
  let max = -Infinity;
  for (const values of lines) {
    for (const value of values) {
      if (value !== null) {
        min = Math.min(min, value);
        max = Math.max(max, value);
      }
    }
  }
  return min <= max && !Number.isFinite((max - min) * 1.25) ? 0.25 : 1;
}
