import { AsyncLocalStorage } from "node:async_hooks";
import { configure, getConsoleSink, type LogLevel as LogTapeLevel } from "@logtape/logtape";
import type { LogLevel } from "./config.ts";

/**
 * The one place logging is configured; entry points call it once. Fedify logs
 * through LogTape too, under the "fedify" category. Message bodies are never
 * logged: queued messages carry private keys, and needs carry private contacts.
 */
export async function configureLogging(level: LogLevel): Promise<void> {
  const lowest: LogTapeLevel = level;
  await configure({
    reset: true,
    // Fedify logs with implicit contexts; without a store LogTape warns on
    // every delivery.
    contextLocalStorage: new AsyncLocalStorage(),
    sinks: { console: getConsoleSink() },
    loggers: [
      { category: ["bayanihan"], lowestLevel: lowest, sinks: ["console"] },
      // Fedify's info level narrates every request; warnings are what operators need.
      {
        category: ["fedify"],
        lowestLevel: level === "debug" ? "info" : "warning",
        sinks: ["console"],
      },
      { category: ["logtape", "meta"], lowestLevel: "warning", sinks: ["console"] },
    ],
  });
}
