import { describe, expect, it } from "vitest";
import { readActorLabel } from "./actor-label.ts";
import { checkGroupInput } from "./group-input.ts";
import { validateIncident } from "./incident.ts";
import { cleanName } from "./names.ts";

const DISGUISED = "\u202EdooF\u202C\u200B City\u2066 A\u2069\uFEFF\u0007";
const CLEAN = "dooF City A";

describe("cleanName", () => {
  it("drops format characters, turns controls into spaces, keeps the zero-width joiner", () => {
    expect(cleanName(DISGUISED)).toBe(CLEAN);
    expect(cleanName("  a\tb\n\nc  ")).toBe("a b c");
    const family = "\u{1F468}\u200D\u{1F469}\u200D\u{1F467}";
    expect(cleanName(family)).toBe(family);
    expect(cleanName("a\uD800b")).toBe("ab");
  });

  it("gives a local collective's name and a remote actor's the same cleaning", () => {
    const local = checkGroupInput({
      handle: "food",
      name: DISGUISED,
      summary: "",
      followPolicy: "",
    });
    if (!local.ok) expect.fail(JSON.stringify(local.problems));
    const remote = readActorLabel({ name: DISGUISED }, new URL("https://x.example/u/a"));
    expect(local.input.name).toBe(CLEAN);
    expect(remote.name).toBe(CLEAN);
  });

  it("refuses a local name that is nothing but invisible characters", () => {
    const local = checkGroupInput({
      handle: "food",
      name: "\u202E\u200B\u2066",
      summary: "",
      followPolicy: "",
    });
    expect(local).toMatchObject({ ok: false, problems: { name: "name-missing" } });
  });

  it("cleans an incident's name, local or received, the same way", () => {
    const checked = validateIncident({
      name: DISGUISED,
      description: "",
      area: { kind: "circle", center: { latitude: 1, longitude: 2 }, radiusKm: 10 },
      startsAt: Temporal.Instant.from("2026-12-01T00:00:00Z"),
      endsAt: null,
    });
    if (!checked.ok) expect.fail(JSON.stringify(checked.problems));
    expect(checked.draft.name).toBe(CLEAN);
  });
});
