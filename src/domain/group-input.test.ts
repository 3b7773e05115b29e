import { describe, expect, it } from "vitest";
import { checkGroupInput } from "./group-input.ts";

describe("checkGroupInput", () => {
  const valid = { handle: "food", name: " Food collective ", summary: "", followPolicy: "open" };

  it("trims and keeps a valid collective", () => {
    expect(checkGroupInput({ ...valid, followPolicy: "approval" })).toEqual({
      ok: true,
      input: { handle: "food", name: "Food collective", summary: "", followPolicy: "approval" },
    });
    expect(checkGroupInput({ ...valid, followPolicy: "anything" })).toMatchObject({
      ok: true,
      input: { followPolicy: "open" },
    });
  });

  it("reports every problem at once", () => {
    expect(
      checkGroupInput({ handle: "Food!", name: "  ", summary: "x".repeat(2001), followPolicy: "" }),
    ).toEqual({
      ok: false,
      problems: { handle: "handle-invalid", name: "name-missing", summary: "summary-too-long" },
    });
    expect(checkGroupInput({ ...valid, handle: "a".repeat(31) })).toMatchObject({
      problems: { handle: "handle-invalid" },
    });
    expect(checkGroupInput({ ...valid, name: "n".repeat(101) })).toMatchObject({
      problems: { name: "name-too-long" },
    });
  });
});
