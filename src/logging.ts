import { AsyncLocalStorage } from "node:async_hooks";
import {
  configure,
  getConsoleSink,
  jsonLinesFormatter,
  type LogRecord,
  type LogLevel as LogTapeLevel,
  type Sink,
} from "@logtape/logtape";
import type { LogFormat, LogLevel } from "./config.ts";

/**
 * The one place logging is configured; entry points call it once. Fedify logs
 * through LogTape too, under the "fedify" category. Message bodies are never
 * logged: queued messages carry private keys, and needs carry private contacts.
 */
export async function configureLogging(level: LogLevel, format: LogFormat = "text"): Promise<void> {
  const lowest: LogTapeLevel = level;
  // JSON Lines for collectors: one object per record, with its level,
  // category, message and properties as fields.
  const sink = () => getConsoleSink(format === "json" ? { formatter: jsonLinesFormatter } : {});
  await configure({
    reset: true,
    // Fedify logs with implicit contexts; without a store LogTape warns on
    // every delivery.
    contextLocalStorage: new AsyncLocalStorage(),
    sinks: { console: sink(), fedify: routineAtTheirLevel(sink(), lowest) },
    loggers: [
      { category: ["bayanihan"], lowestLevel: lowest, sinks: ["console"] },
      // Fedify's info level narrates every request; warnings are what operators need.
      {
        category: ["fedify"],
        // Routine errors pass this and are lowered by routineAtTheirLevel.
        lowestLevel: level === "debug" ? "info" : "warning",
        sinks: ["fedify"],
      },
      { category: ["logtape", "meta"], lowestLevel: "warning", sinks: ["console"] },
    ],
  });
}

const LEVELS: readonly LogTapeLevel[] = ["trace", "debug", "info", "warning", "error", "fatal"];

/**
 * What Fedify 2.3.6 logs as an error although it happens in normal operation,
 * and the level it deserves:
 * - an activity type no listener handles (a `Like`, an `Add`): nothing is
 *   wrong, we just do not act on it;
 * - a failed delivery attempt: peers go down, time out and refuse, and the
 *   queue logs each failure itself (a warning, with the retry it schedules;
 *   the give-up is a `delivery_failures` row);
 * - (a warning) a request we answered with a 4xx: a peer asking for an
 *   object deleted since (410), one we never had (404), a refused signature;
 *   each is normal on a network, and our own screen logs its refusals.
 */
export function routineLevel(record: LogRecord): LogTapeLevel | null {
  if (record.category[0] !== "fedify") return null;
  const template = typeof record.rawMessage === "string" ? record.rawMessage : "";
  if (
    record.level === "warning" &&
    record.category[1] === "federation" &&
    record.category[2] === "http" &&
    template === "{method} {path}: {status}"
  ) {
    return "info";
  }
  if (record.level !== "error") return null;
  if (template.startsWith("Unsupported activity type")) return "debug";
  if (record.category[2] === "outbox" && template.startsWith("Failed to send activity")) {
    return "info";
  }
  return null;
}

/**
 * Fedify's records at their routine level, and the rest as they are:
 * Fedify's info narrates every request, so of its own records only
 * warnings and above pass unless the level is debug.
 */
export function routineAtTheirLevel(sink: Sink, lowest: LogTapeLevel): Sink {
  const fedifyLowest: LogTapeLevel = lowest === "debug" || lowest === "trace" ? "info" : "warning";
  return (record) => {
    const routine = routineLevel(record);
    const level = routine ?? record.level;
    const threshold = routine === null ? fedifyLowest : lowest;
    if (LEVELS.indexOf(level) < LEVELS.indexOf(threshold)) return;
    sink(routine === null ? record : { ...record, level });
  };
}
