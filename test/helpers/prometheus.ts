import { createRequire } from "node:module";

/** One sample family as parse-prometheus-text-format reads it (prom2json's shape). */
export interface MetricFamily {
  readonly name: string;
  readonly help: string;
  readonly type: "COUNTER" | "GAUGE" | "HISTOGRAM" | "SUMMARY" | "UNTYPED";
  readonly metrics: readonly {
    readonly labels?: Readonly<Record<string, string>>;
    readonly value?: string;
    readonly buckets?: Readonly<Record<string, string>>;
    readonly count?: string;
    readonly sum?: string;
  }[];
}

const parseText = createRequire(import.meta.url)("parse-prometheus-text-format") as (
  text: string,
) => MetricFamily[];

const NAME = "[a-zA-Z_:][a-zA-Z0-9_:]*";
const LABEL = `[a-zA-Z_][a-zA-Z0-9_]*="(?:[^"\\\\\\n]|\\\\[\\\\"n])*"`;
// Prometheus reads values with Go's ParseFloat, which ignores the case of
// NaN and Inf (prom-client writes an empty summary's mean as "Nan").
const VALUE =
  "(?:[+-]?(?:\\d+(?:\\.\\d*)?|\\.\\d+)(?:[eE][+-]?\\d+)?|[+-]?[Ii][Nn][Ff]|[Nn][Aa][Nn])";
const SAMPLE = new RegExp(`^${NAME}(?:\\{(?:${LABEL}(?:,${LABEL})*,?)?\\})? ${VALUE}(?: -?\\d+)?$`);
const COMMENT = new RegExp(
  `^# (?:HELP ${NAME} .*|TYPE ${NAME} (?:counter|gauge|histogram|summary|untyped))$`,
);

/** One sample line: `name{labels} value`. */
export interface Sample {
  readonly name: string;
  readonly labels: Readonly<Record<string, string>>;
  readonly value: number;
}

/** Families (HELP, TYPE, grouped samples) and every sample line as written. */
export interface Exposition {
  readonly families: readonly MetricFamily[];
  readonly samples: readonly Sample[];
}

/**
 * Parses Prometheus text exposition (format 0.0.4). Every line is first
 * checked against the format's grammar (a sample, HELP or TYPE, or empty), so
 * a malformed line fails the test instead of being skipped by the parser.
 * parse-prometheus-text-format groups the families; it folds a histogram's
 * labelled series into one, so the samples are also read line by line here.
 */
export function parsePrometheusText(text: string): Exposition {
  const lines = text.split("\n");
  if (lines.at(-1) !== "") throw new Error("The exposition does not end with a newline");
  const samples: Sample[] = [];
  for (const [index, line] of lines.slice(0, -1).entries()) {
    if (line === "" || COMMENT.test(line)) continue;
    if (!SAMPLE.test(line)) {
      throw new Error(`Line ${index + 1} is not Prometheus text format: ${JSON.stringify(line)}`);
    }
    samples.push(readSample(line));
  }
  return { families: parseText(text), samples };
}

function readSample(line: string): Sample {
  const name = /^[a-zA-Z_:][a-zA-Z0-9_:]*/.exec(line)![0];
  const close = line.lastIndexOf("}");
  const labels: Record<string, string> = {};
  if (line[name.length] === "{") {
    const block = line.slice(name.length + 1, close);
    for (const [, key, raw] of block.matchAll(/([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"/g)) {
      if (key! in labels) throw new Error(`Label ${key} twice in ${JSON.stringify(line)}`);
      labels[key!] = raw!.replace(/\\(.)/g, (_, c: string) => (c === "n" ? "\n" : c));
    }
  }
  const value = line
    .slice(close === -1 ? name.length : close + 1)
    .trim()
    .split(" ")[0]!;
  return {
    name,
    labels,
    value: Number(/^[+-]?inf$/i.test(value) ? value.replace(/inf/i, "Infinity") : value),
  };
}

/** The family named `name`; throws if there is none. */
export function family(exposition: Exposition, name: string): MetricFamily {
  const found = exposition.families.find((f) => f.name === name);
  if (found === undefined) throw new Error(`No metric ${name} in the exposition`);
  return found;
}

/**
 * The value of the sample line `name` (with a histogram's suffix, if any)
 * whose labels are exactly `labels`, or undefined when there is none.
 */
export function sampleValue(
  exposition: Exposition,
  name: string,
  labels: Readonly<Record<string, string>> = {},
): number | undefined {
  return exposition.samples.find((s) => s.name === name && sameLabels(s.labels, labels))?.value;
}

function sameLabels(a: Readonly<Record<string, string>>, b: Readonly<Record<string, string>>) {
  const keys = Object.keys(a);
  return keys.length === Object.keys(b).length && keys.every((k) => a[k] === b[k]);
}
