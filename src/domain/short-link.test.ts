import { describe, expect, it } from "vitest";
import { remoteLinkTarget } from "./short-link.ts";

describe("remoteLinkTarget", () => {
  const id = "https://aid.example/objects/1";

  it("follows the object's url on its own origin only", () => {
    expect(remoteLinkTarget(id, "https://aid.example/needs/1")).toBe("https://aid.example/needs/1");
    expect(remoteLinkTarget(id, "https://evil.example/phish")).toBe(id);
    // Another port or scheme is another origin.
    expect(remoteLinkTarget(id, "http://aid.example/needs/1")).toBe(id);
    expect(remoteLinkTarget(id, "https://aid.example:8443/needs/1")).toBe(id);
    expect(remoteLinkTarget(id, "javascript:alert(1)")).toBe(id);
    expect(remoteLinkTarget(id, null)).toBe(id);
  });

  it("refuses an id that is no http(s) URL", () => {
    expect(remoteLinkTarget("javascript:alert(1)", null)).toBeNull();
    expect(remoteLinkTarget("not a url", "https://aid.example/")).toBeNull();
  });
});
