import { describe, expect, it } from "vitest";
import { GroupInputSchema } from "./schemas.ts";

describe("GroupInputSchema", () => {
  it("cleans the name as every name is cleaned, then measures it", () => {
    const parsed = GroupInputSchema.safeParse({
      handle: "food",
      name: "\u202EdooF\u202C\u200B City A\u2069",
    });
    expect(parsed).toMatchObject({ success: true, data: { name: "dooF City A" } });
    const invisible = GroupInputSchema.safeParse({ handle: "food", name: "\u202E\u200B" });
    expect(invisible.success).toBe(false);
  });
});
