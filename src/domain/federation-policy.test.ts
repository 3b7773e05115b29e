import { describe, expect, it } from "vitest";
import {
  type FederationPolicy,
  hostOf,
  isAllowed,
  isHostWithin,
  isUrlAllowed,
  normalizeDomain,
  policyOf,
} from "./federation-policy.ts";

function domainOf(input: string): string {
  const result = normalizeDomain(input);
  if (!result.ok) throw new Error(`refused ${input}: ${result.reason}`);
  return result.domain;
}

function reasonFor(input: string): string {
  const result = normalizeDomain(input);
  if (result.ok) throw new Error(`accepted ${input} as ${result.domain}`);
  return result.reason;
}

describe("normalizeDomain", () => {
  it("lower-cases, strips the port and a trailing dot", () => {
    expect(domainOf("Social.EXAMPLE")).toBe("social.example");
    expect(domainOf("  social.example:8443 ")).toBe("social.example");
    expect(domainOf("social.example.")).toBe("social.example");
    expect(domainOf("under_score.example")).toBe("under_score.example");
    expect(domainOf("localhost")).toBe("localhost");
  });

  it("converts internationalised names to their IDNA form", () => {
    expect(domainOf("Bücher.example")).toBe("xn--bcher-kva.example");
    expect(domainOf("xn--bcher-kva.example")).toBe("xn--bcher-kva.example");
    expect(domainOf("例え.テスト")).toBe("xn--r8jz45g.xn--zckzah");
  });

  it("accepts IPv4 and IPv6 literals, with or without brackets and port", () => {
    expect(domainOf("127.0.0.2")).toBe("127.0.0.2");
    expect(domainOf("127.0.0.2:8080")).toBe("127.0.0.2");
    expect(domainOf("2001:DB8:0:0::1")).toBe("2001:db8::1");
    expect(domainOf("[2001:db8::1]")).toBe("2001:db8::1");
    expect(domainOf("[2001:db8::1]:443")).toBe("2001:db8::1");
    expect(domainOf("::ffff:127.0.0.2")).toBe("127.0.0.2");
  });

  it("refuses junk with a reason", () => {
    expect(reasonFor("")).toMatch(/empty/);
    expect(reasonFor("   ")).toMatch(/empty/);
    expect(reasonFor("https://social.example/users/alice")).toMatch(/not a URL.*"social\.example"/);
    expect(reasonFor("*.social.example")).toMatch(/Wildcards/);
    expect(reasonFor("social.example/path")).toMatch(/host name or an IP address/);
    expect(reasonFor("alice@social.example")).toMatch(/host name or an IP address/);
    expect(reasonFor("social example")).toMatch(/host name or an IP address/);
    expect(reasonFor("social.example:99999")).toMatch(/not a valid/);
    expect(reasonFor("a..example")).toMatch(/not a valid host name/);
    expect(reasonFor("-bad-.example")).toMatch(/not a valid host name/);
    expect(reasonFor("<script>.example")).toMatch(/not a valid/);
    expect(reasonFor(`${"a".repeat(64)}.example`)).toMatch(/1–63/);
    expect(reasonFor(`${"a.".repeat(140)}example`)).toMatch(/too long|not a valid/);
  });
});

describe("hostOf", () => {
  it("gives the canonical host of http(s) URLs only", () => {
    expect(hostOf("https://EVIL.example.:8443/users/a")).toBe("evil.example");
    expect(hostOf(new URL("http://[::1]:3000/inbox"))).toBe("::1");
    expect(hostOf("http://2130706433/")).toBe("127.0.0.1");
    expect(hostOf("acct:alice@evil.example")).toBeNull();
    expect(hostOf("not a url")).toBeNull();
  });
});

describe("isAllowed", () => {
  const entries = [
    { domain: "evil.example", policy: "block" as const },
    { domain: "friend.example", policy: "allow" as const },
    { domain: "127.0.0.3", policy: "block" as const },
    { domain: "2001:db8::1", policy: "allow" as const },
  ];
  const open: FederationPolicy = policyOf("open", entries);
  const allowlist: FederationPolicy = policyOf("allowlist", entries);

  it("in open mode refuses blocked hosts only", () => {
    expect(isAllowed("evil.example", open)).toBe(false);
    expect(isAllowed("stranger.example", open)).toBe(true);
    expect(isAllowed("friend.example", open)).toBe(true);
    expect(isAllowed("127.0.0.3", open)).toBe(false);
  });

  it("in allowlist mode lets only allowed hosts through", () => {
    expect(isAllowed("friend.example", allowlist)).toBe(true);
    expect(isAllowed("stranger.example", allowlist)).toBe(false);
    expect(isAllowed("evil.example", allowlist)).toBe(false);
    expect(isAllowed("2001:db8::1", allowlist)).toBe(true);
    expect(isAllowed("[2001:db8:0::1]:8443", allowlist)).toBe(true);
  });

  it("a block wins over everything, whatever the spelling of the host", () => {
    for (const host of ["EVIL.example", "evil.example.", "evil.example:8443", "EVIL.EXAMPLE.:1"]) {
      expect(isAllowed(host, open), host).toBe(false);
    }
    expect(isUrlAllowed("https://Evil.Example.:8443/users/x", open)).toBe(false);
    expect(isUrlAllowed("http://127.0.0.3:1234/inbox", open)).toBe(false);
    expect(isUrlAllowed("http://[::ffff:127.0.0.3]/inbox", open)).toBe(false);
  });

  it("a block covers every subdomain, but not parents or look-alikes", () => {
    expect(isAllowed("social.evil.example", open)).toBe(false);
    expect(isAllowed("a.b.evil.example", open)).toBe(false);
    expect(isAllowed("A.B.EVIL.example.:8443", open)).toBe(false);
    expect(isUrlAllowed("https://x.evil.example/users/a", allowlist)).toBe(false);
    expect(isAllowed("example", open)).toBe(true);
    expect(isAllowed("notevil.example", open)).toBe(true);
    expect(isAllowed("evil.example.org", open)).toBe(true);
  });

  it("an allow entry and an IP literal match their exact host only", () => {
    expect(isAllowed("social.friend.example", allowlist)).toBe(false);
    expect(isAllowed("friend.example", allowlist)).toBe(true);
    expect(isAllowed("127.0.0.4", open)).toBe(true);
    const blockedV6 = policyOf("open", [{ domain: "2001:db8::1", policy: "block" }]);
    expect(isAllowed("[2001:db8::1]", blockedV6)).toBe(false);
    expect(isAllowed("[2001:db8::2]", blockedV6)).toBe(true);
  });

  it("isHostWithin follows the same rule", () => {
    expect(isHostWithin("a.b.evil.example", "evil.example")).toBe(true);
    expect(isHostWithin("evil.example", "evil.example")).toBe(true);
    expect(isHostWithin("notevil.example", "evil.example")).toBe(false);
    expect(isHostWithin("1.127.0.0.3", "127.0.0.3")).toBe(false);
  });

  it("refuses what cannot be read as a host", () => {
    expect(isAllowed("", open)).toBe(false);
    expect(isAllowed("a b", open)).toBe(false);
    expect(isUrlAllowed("urn:uuid:1", open)).toBe(false);
  });
});
