import { describe, expect, it } from "vitest";
import {
  assertPublicUrl,
  DisallowedUrlError,
  type HostLookup,
  isPublicAddress,
} from "./address-policy.ts";

const NOT_PUBLIC = [
  // IPv4
  "0.0.0.0",
  "0.1.2.3",
  "10.0.0.1",
  "10.255.255.255",
  "100.64.0.1",
  "100.127.255.255",
  "127.0.0.1",
  "127.255.255.254",
  "169.254.169.254",
  "169.254.0.1",
  "172.16.0.1",
  "172.31.255.255",
  "192.0.0.8",
  "192.0.2.10",
  "192.88.99.1",
  "192.168.1.1",
  "198.18.0.1",
  "198.19.255.255",
  "198.51.100.7",
  "203.0.113.9",
  "224.0.0.1",
  "239.255.255.250",
  "240.0.0.1",
  "255.255.255.255",
  // IPv6
  "::",
  "::1",
  "::ffff:127.0.0.1",
  "::ffff:7f00:1",
  "::ffff:10.0.0.1",
  "::ffff:169.254.169.254",
  "::127.0.0.1",
  "64:ff9b::10.0.0.1",
  "64:ff9b:1::1",
  "100::1",
  "2001::1",
  "2001:db8::1",
  "2002:c000:0204::1",
  "3fff::1",
  "fc00::1",
  "fd12:3456:789a::1",
  "fe80::1",
  "fe80::1%eth0",
  "fec0::1",
  "ff02::1",
  "[::1]",
  // not addresses at all
  "",
  "localhost",
  "example.org",
  "1.2.3",
  "01.2.3.4",
  "256.1.1.1",
];

const PUBLIC = [
  "1.1.1.1",
  "8.8.8.8",
  "93.184.215.14",
  "100.63.255.255",
  "100.128.0.1",
  "172.15.255.255",
  "172.32.0.1",
  "192.0.3.1",
  "192.169.0.1",
  "198.20.0.1",
  "223.255.255.255",
  "2606:4700:4700::1111",
  "2a00:1450:4001:80b::200e",
  "2001:4860:4860::8888",
  "::ffff:8.8.8.8",
  "64:ff9b::8.8.8.8",
  "[2606:4700:4700::1111]",
];

describe("isPublicAddress", () => {
  it.each(NOT_PUBLIC)("refuses %s", (ip) => {
    expect(isPublicAddress(ip)).toBe(false);
  });

  it.each(PUBLIC)("accepts %s", (ip) => {
    expect(isPublicAddress(ip)).toBe(true);
  });
});

const resolvesTo =
  (table: Record<string, string[]>): HostLookup =>
  async (hostname) => {
    const answer = table[hostname];
    if (answer === undefined) throw new Error(`ENOTFOUND ${hostname}`);
    return answer;
  };

async function refusal(url: string, lookup?: HostLookup): Promise<DisallowedUrlError> {
  const error = await assertPublicUrl(new URL(url), {
    allowPrivateAddress: false,
    ...(lookup ? { lookup } : {}),
  }).then(
    () => null,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(DisallowedUrlError);
  return error as DisallowedUrlError;
}

describe("assertPublicUrl", () => {
  const lookup = resolvesTo({
    "social.example": ["93.184.215.14", "2606:4700:4700::1111"],
    "internal.example": ["10.1.2.3"],
    "mixed.example": ["93.184.215.14", "127.0.0.1"],
    "metadata.example": ["169.254.169.254"],
    "empty.example": [],
  });

  it("accepts http(s) URLs whose host resolves only to public addresses", async () => {
    await expect(
      assertPublicUrl(new URL("https://social.example/users/a"), {
        allowPrivateAddress: false,
        lookup,
      }),
    ).resolves.toBeUndefined();
    await expect(
      assertPublicUrl(new URL("http://8.8.8.8/inbox"), { allowPrivateAddress: false, lookup }),
    ).resolves.toBeUndefined();
  });

  it("refuses a host name that resolves to a private address", async () => {
    expect((await refusal("https://internal.example/inbox", lookup)).reason).toBe(
      "non-public-address",
    );
    expect((await refusal("https://metadata.example/latest", lookup)).reason).toBe(
      "non-public-address",
    );
  });

  it("refuses a host name when any one of its addresses is private", async () => {
    expect((await refusal("https://mixed.example/", lookup)).message).toContain("127.0.0.1");
  });

  it("refuses IP literals in any spelling the URL parser accepts", async () => {
    for (const url of [
      "http://127.0.0.1/",
      "http://2130706433/",
      "http://0x7f.1/",
      "http://[::1]/",
      "http://[::ffff:169.254.169.254]/",
      "http://169.254.169.254/latest/meta-data/",
      "http://10.0.0.1:8080/inbox",
    ]) {
      expect((await refusal(url, lookup)).reason).toBe("non-public-address");
    }
  });

  it("refuses localhost names without asking DNS", async () => {
    const failing: HostLookup = async () => {
      throw new Error("must not be called");
    };
    expect((await refusal("http://localhost:3000/", failing)).reason).toBe("local-hostname");
    expect((await refusal("http://api.localhost/", failing)).reason).toBe("local-hostname");
  });

  it("refuses other schemes even when private addresses are allowed", async () => {
    for (const url of ["file:///etc/passwd", "ftp://social.example/", "data:,{}"]) {
      const error = await assertPublicUrl(new URL(url), { allowPrivateAddress: true }).catch(
        (e: unknown) => e,
      );
      expect(error).toBeInstanceOf(DisallowedUrlError);
      expect((error as DisallowedUrlError).reason).toBe("unsupported-scheme");
    }
  });

  it("tells a failed lookup and an empty answer apart from a private address", async () => {
    expect((await refusal("https://unknown.example/", lookup)).reason).toBe("lookup-failed");
    expect((await refusal("https://empty.example/", lookup)).reason).toBe("no-address");
  });

  it("checks only the scheme when private addresses are allowed", async () => {
    await expect(
      assertPublicUrl(new URL("http://127.0.0.1:3000/users/a"), { allowPrivateAddress: true }),
    ).resolves.toBeUndefined();
    await expect(
      assertPublicUrl(new URL("http://internal.example/"), { allowPrivateAddress: true, lookup }),
    ).resolves.toBeUndefined();
  });
});
