/** Class colours: distinct on the dark canvas, readable in the legend. */
const CLASS_COLORS = ['#4e79a7', '#f28e2b', '#e15759', '#76b7b2', '#59a14f', '#edc948', '#b07aa1', '#ff9da7', '#9c755f', '#bab0ac'];

/** A label's colour: the ten above, then hues a golden angle apart for datasets with more labels. */
export function classColor(label: number): string {
  if (label < CLASS_COLORS.length) return CLASS_COLORS[label]!;
  return `hsl(${Math.round((label * 137.508) % 360)}, 55%, ${label % 2 ? 62 : 52}%)`;
}
