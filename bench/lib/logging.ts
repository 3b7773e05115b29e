import { AsyncLocalStorage } from "node:async_hooks";
import { configure, getConsoleSink } from "@logtape/logtape";

/**
 * Warnings and errors of the instance and of Fedify, as src/logging.ts shows
 * them at LOG_LEVEL=warning, plus the context-local storage Fedify's
 * `withContext` logging expects. src/logging.ts does not set it, and then
 * LogTape's meta logger prints "Context-local storage is not configured"
 * about twice per delivery, which would drown the benchmark's output.
 */
export async function configureBenchLogging(): Promise<void> {
  await configure({
    reset: true,
    contextLocalStorage: new AsyncLocalStorage(),
    sinks: { console: getConsoleSink() },
    loggers: [
      { category: ["bayanihan"], lowestLevel: "warning", sinks: ["console"] },
      { category: ["fedify"], lowestLevel: "warning", sinks: ["console"] },
      { category: ["logtape", "meta"], lowestLevel: "warning", sinks: ["console"] },
    ],
  });
}
