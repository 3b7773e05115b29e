import { describe, expect, it } from "vitest";
import { claimedActorIds, claimedKeyIds, firstRefused, isSignedRequest } from "./domain-screen.ts";

const hrefs = (urls: URL[]) => urls.map((u) => u.href);

describe("claimedKeyIds", () => {
  it("reads draft-cavage and RFC 9421 key ids", () => {
    const cavage = new Headers({
      signature:
        'keyId="https://a.example/users/x#main-key",algorithm="rsa-sha256",headers="(request-target) date",signature="abc="',
    });
    expect(isSignedRequest(cavage)).toBe(true);
    expect(hrefs(claimedKeyIds(cavage))).toEqual(["https://a.example/users/x#main-key"]);

    const rfc9421 = new Headers({
      "signature-input":
        'sig1=("@method" "@target-uri");keyid="https://b.example/key";created=1, sig2=("@method");keyid="https://c.example/k";created=1',
      signature: "sig1=:YWJj:, sig2=:YWJj:",
    });
    expect(hrefs(claimedKeyIds(rfc9421)).sort()).toEqual([
      "https://b.example/key",
      "https://c.example/k",
    ]);
  });

  it("is liberal: every keyId in either header counts, whatever the casing or shape", () => {
    const messy = new Headers({
      signature: 'KEYID="https://evil.example/k",keyId="https://good.example/k"',
      "signature-input": 'not a dictionary ;keyid="https://other.example/k"',
    });
    expect(hrefs(claimedKeyIds(messy)).sort()).toEqual([
      "https://evil.example/k",
      "https://good.example/k",
      "https://other.example/k",
    ]);
  });

  it("ignores key ids that cannot be fetched, and unsigned requests", () => {
    const odd = new Headers({ signature: 'keyId="urn:uuid:1",keyId="not a url"' });
    expect(claimedKeyIds(odd)).toEqual([]);
    expect(isSignedRequest(new Headers({ accept: "application/activity+json" }))).toBe(false);
  });
});

describe("claimedActorIds", () => {
  it("reads actor as a string, an object or an array", () => {
    expect(hrefs(claimedActorIds({ actor: "https://a.example/u" }))).toEqual([
      "https://a.example/u",
    ]);
    expect(hrefs(claimedActorIds({ actor: { id: "https://b.example/u" } }))).toEqual([
      "https://b.example/u",
    ]);
    expect(
      hrefs(claimedActorIds({ actor: ["https://c.example/u", { "@id": "https://d.example/u" }] })),
    ).toEqual(["https://c.example/u", "https://d.example/u"]);
    expect(claimedActorIds({ actor: 42 })).toEqual([]);
    expect(claimedActorIds(null)).toEqual([]);
  });
});

describe("firstRefused", () => {
  it("gives the first claim the policy refuses", async () => {
    const policy = async (url: URL) => url.hostname !== "evil.example";
    const claims = [new URL("https://ok.example/a"), new URL("https://evil.example/b")];
    expect((await firstRefused(claims, policy))?.href).toBe("https://evil.example/b");
    expect(await firstRefused(claims.slice(0, 1), policy)).toBeNull();
  });
});
