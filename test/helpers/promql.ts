/** PromQL words that are not metric names: aggregations' modifiers, binary operators' keywords. */
const KEYWORDS = new Set([
  "by",
  "without",
  "on",
  "ignoring",
  "group_left",
  "group_right",
  "offset",
  "bool",
  "and",
  "or",
  "unless",
]);

/**
 * The metric names a PromQL expression (or Grafana's `label_values(metric,
 * label)`) reads: every identifier left once strings, label matchers,
 * `by (…)` lists, range selectors, Grafana's `$variables` and numbers are
 * gone, that is neither a keyword nor a function (followed by `(`).
 * Enough for the expressions of a dashboard, not a full parser.
 */
export function metricNamesIn(expression: string): string[] {
  const bare = expression
    .replace(/"(?:[^"\\]|\\.)*"/g, '""')
    .replace(/\{[^}]*\}/g, " ")
    .replace(/\b(?:by|without|on|ignoring|group_left|group_right)\s*\([^)]*\)/g, " ")
    .replace(/\[[^\]]*\]/g, " ")
    .replace(/\$\{?\w+\}?/g, " ")
    .replace(/\blabel_values\(\s*([a-zA-Z_:][\w:]*)\s*,\s*\w+\s*\)/g, " $1 ")
    .replace(/\b\d+(?:\.\d+)?(?:e[+-]?\d+)?\b/gi, " ");
  const names = new Set<string>();
  for (const match of bare.matchAll(/[a-zA-Z_:][\w:]*(?=\s*(\()?)/g)) {
    if (match[1] === "(" || KEYWORDS.has(match[0])) continue;
    names.add(match[0]);
  }
  return [...names];
}
