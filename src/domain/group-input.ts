import type { FollowPolicy } from "./group.ts";
import { isValidHandle } from "./handle.ts";
import { cleanName } from "./names.ts";
import { canonicalTimeZone } from "./time-zone.ts";

/** The limits the API's group schema also applies. */
export const GROUP_LIMITS = { name: 100, summary: 2000 } as const;

export type GroupField = "handle" | "name" | "summary";
export type GroupProblem =
  | "handle-invalid"
  | "handle-taken"
  | "name-missing"
  | "name-too-long"
  | "summary-too-long";

export interface CheckedGroupInput {
  readonly handle: string;
  readonly name: string;
  readonly summary: string;
  readonly followPolicy: FollowPolicy;
}

/**
 * Reads a new collective from a form's text fields, every problem at once.
 * The handle is not lowercased for the person: it becomes a public address,
 * so what they typed is what they get, or a problem to fix.
 */
export function checkGroupInput(raw: {
  handle: string;
  name: string;
  summary: string;
  followPolicy: string;
}):
  | { ok: true; input: CheckedGroupInput }
  | { ok: false; problems: Partial<Record<GroupField, GroupProblem>> } {
  const handle = raw.handle.trim();
  const name = cleanName(raw.name);
  const summary = raw.summary.trim();
  const problems: Partial<Record<GroupField, GroupProblem>> = {};
  if (!isValidHandle(handle)) problems.handle = "handle-invalid";
  if (name === "") problems.name = "name-missing";
  else if (name.length > GROUP_LIMITS.name) problems.name = "name-too-long";
  if (summary.length > GROUP_LIMITS.summary) problems.summary = "summary-too-long";
  if (Object.keys(problems).length > 0) return { ok: false, problems };
  return {
    ok: true,
    input: {
      handle,
      name,
      summary,
      followPolicy: raw.followPolicy === "approval" ? "approval" : "open",
    },
  };
}

export type SettingsField = "name" | "summary" | "followPolicy" | "timeZone";
export type SettingsProblem =
  | "name-missing"
  | "name-too-long"
  | "summary-too-long"
  | "follow-policy-invalid"
  | "time-zone-unknown";

/** A collective's settings as its coordinators may change them. */
export interface CheckedGroupSettings {
  readonly name: string;
  readonly summary: string;
  readonly followPolicy: FollowPolicy;
  /** A canonical IANA zone; null: the instance's. */
  readonly timeZone: string | null;
}

/**
 * Reads a collective's settings from a form's text fields, every problem at
 * once, by the same limits as a new collective. An empty zone is the
 * instance's; any other must be an IANA zone name.
 */
export function checkGroupSettings(raw: {
  name: string;
  summary: string;
  followPolicy: string;
  timeZone: string;
}):
  | { ok: true; settings: CheckedGroupSettings }
  | { ok: false; problems: Partial<Record<SettingsField, SettingsProblem>> } {
  const name = cleanName(raw.name);
  const summary = raw.summary.trim();
  const zoneText = raw.timeZone.trim();
  const timeZone = zoneText === "" ? null : canonicalTimeZone(zoneText);
  const problems: Partial<Record<SettingsField, SettingsProblem>> = {};
  if (name === "") problems.name = "name-missing";
  else if (name.length > GROUP_LIMITS.name) problems.name = "name-too-long";
  if (summary.length > GROUP_LIMITS.summary) problems.summary = "summary-too-long";
  if (raw.followPolicy !== "open" && raw.followPolicy !== "approval") {
    problems.followPolicy = "follow-policy-invalid";
  }
  if (zoneText !== "" && timeZone === null) problems.timeZone = "time-zone-unknown";
  if (Object.keys(problems).length > 0) return { ok: false, problems };
  return {
    ok: true,
    settings: {
      name,
      summary,
      followPolicy: raw.followPolicy === "approval" ? "approval" : "open",
      timeZone,
    },
  };
}
