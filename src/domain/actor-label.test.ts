import { describe, expect, it } from "vitest";
import { ACTOR_NAME_MAX, readActorLabel } from "./actor-label.ts";

const ACTOR = new URL("https://aid.city-b.example:8443/groups/food");

describe("readActorLabel", () => {
  it("reads the display name and user@host", () => {
    expect(
      readActorLabel({ name: "City B Food Collective", preferredUsername: "food" }, ACTOR),
    ).toEqual({ name: "City B Food Collective", handle: "food@aid.city-b.example:8443" });
  });

  it("keeps names as plain, visible, bounded text", () => {
    expect(readActorLabel({ name: "  Food\n\tBank\u202e  " }, ACTOR).name).toBe("Food Bank");
    expect(readActorLabel({ name: "Fo\u200bod 👩\u200d👧" }, ACTOR).name).toBe("Food 👩\u200d👧");
    expect(readActorLabel({ name: "<b>Food</b>" }, ACTOR).name).toBe("<b>Food</b>");
    const long = readActorLabel({ name: "é".repeat(500) }, ACTOR).name!;
    expect([...long]).toHaveLength(ACTOR_NAME_MAX);
    expect(long.endsWith("…")).toBe(true);
    expect(readActorLabel({ name: "\u200b \u0007" }, ACTOR).name).toBeNull();
    expect(readActorLabel({ name: 42 }, ACTOR).name).toBeNull();
  });

  it("gives no address for a missing or odd username, and nothing for a non-object", () => {
    expect(readActorLabel({ preferredUsername: "a b" }, ACTOR).handle).toBeNull();
    expect(readActorLabel({ preferredUsername: "x@evil.example" }, ACTOR).handle).toBeNull();
    expect(readActorLabel({ preferredUsername: ["food"] }, ACTOR).handle).toBeNull();
    expect(readActorLabel("food", ACTOR)).toEqual({ name: null, handle: null });
    expect(readActorLabel(null, ACTOR)).toEqual({ name: null, handle: null });
  });
});
