import type { LogRecord } from "@logtape/logtape";
import { describe, expect, it } from "vitest";
import { routineAtTheirLevel } from "./logging.ts";

function record(category: string[], level: LogRecord["level"], rawMessage: string): LogRecord {
  return {
    category,
    level,
    message: [rawMessage],
    rawMessage,
    timestamp: 0,
    properties: {},
  };
}

const unsupported = record(
  ["fedify", "federation", "inbox"],
  "error",
  "Unsupported activity type:\n{activity}",
);
const failedSend = record(
  ["fedify", "federation", "outbox"],
  "error",
  "Failed to send activity {activityId} to {inbox}; backend will handle retry:\n{error}",
);
const realError = record(["fedify", "federation", "inbox"], "error", "Failed to verify:\n{error}");
const answered4xx = record(
  ["fedify", "federation", "http"],
  "warning",
  "{method} {path}: {status}",
);
const chatter = record(["fedify", "federation"], "info", "Activity {activityId} is enqueued.");

function seen(lowest: LogRecord["level"], records: LogRecord[]) {
  const out: LogRecord[] = [];
  const sink = routineAtTheirLevel((r) => out.push(r), lowest);
  for (const r of records) sink(r);
  return out.map((r) => [
    r.rawMessage
      .toString()
      .split(/[:\n{]/)[0]!
      .trim(),
    r.level,
  ]);
}

describe("routineAtTheirLevel", () => {
  it("writes no error line for an activity we do not handle, nor a failed delivery attempt, and no warning for a 4xx answer", () => {
    expect(seen("warning", [unsupported, failedSend, realError, chatter, answered4xx])).toEqual([
      ["Failed to verify", "error"],
    ]);
  });

  it("keeps them at debug and info", () => {
    expect(seen("info", [unsupported, failedSend, answered4xx])).toEqual([
      ["Failed to send activity", "info"],
      ["", "info"],
    ]);
    expect(seen("debug", [unsupported, failedSend, chatter])).toEqual([
      ["Unsupported activity type", "debug"],
      ["Failed to send activity", "info"],
      ["Activity", "info"],
    ]);
  });
});
