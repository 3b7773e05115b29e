import { describe, expect, it } from "vitest";
import {
  contactKey,
  type DuplicateCandidate,
  findLikelyDuplicates,
  textSimilarity,
} from "./intake-duplicates.ts";

const at = Temporal.Instant.from("2026-12-09T08:00:00Z");
const request = (
  id: string,
  fields: Partial<DuplicateCandidate> & { hoursLater?: number } = {},
): DuplicateCandidate => ({
  id,
  title: fields.title ?? `Request ${id}`,
  description: fields.description ?? "",
  contact: fields.contact ?? `person ${id}, 0917 000 000${id}`,
  createdAt: at.add({ hours: fields.hoursLater ?? 0 }),
});

describe("likely duplicates", () => {
  it("reads a contact without spaces, case and punctuation, and ignores one too short to tell", () => {
    expect(contactKey("Maria, 0917 000-0000")).toBe(contactKey("maria 09170000000"));
    expect(contactKey("n/a")).toBeNull();
  });

  it("measures text by shared words, accents and case ignored", () => {
    expect(textSimilarity("Leche de fórmula", "leche de formula")).toBe(1);
    expect(textSimilarity("Rice for five", "Insulin coolers")).toBe(0);
  });

  it("flags the same contact or nearly the same words within a day, both ways", () => {
    const a = request("1", { title: "Rice for a family of five", contact: "Lea 0917 333 4444" });
    const b = request("2", { title: "Water", contact: "lea, 0917-333-4444", hoursLater: 3 });
    const c = request("3", { title: "Rice for a family of five!", hoursLater: 5 });
    const d = request("4", { title: "Something else entirely", hoursLater: 6 });
    const flags = findLikelyDuplicates([a, b, c, d], [a, b, c, d]);
    expect(flags.get("1")).toEqual([
      { otherId: "2", reasons: ["same-contact"] },
      { otherId: "3", reasons: ["similar-text"] },
    ]);
    expect(flags.get("2")).toEqual([{ otherId: "1", reasons: ["same-contact"] }]);
    expect(flags.get("4")).toBeUndefined();
  });

  it("does not flag what was sent more than a day apart", () => {
    const a = request("1", { contact: "Lea 0917 333 4444" });
    const b = request("2", { contact: "Lea 0917 333 4444", hoursLater: 25 });
    expect(findLikelyDuplicates([a, b], [a, b]).size).toBe(0);
  });
});
