import { describe, expect, it } from "vitest";
import { addressBucket, windowStart } from "./rate-limit.ts";

describe("rate-limit buckets", () => {
  it("counts IPv4 addresses one by one and IPv6 per /64", () => {
    expect(addressBucket("203.0.113.7")).toBe("203.0.113.7");
    expect(addressBucket("::ffff:203.0.113.7")).toBe("203.0.113.7");
    expect(addressBucket("2001:db8:1:2:aaaa::1")).toBe("2001:db8:1:2::/64");
    expect(addressBucket("2001:0db8:0001:0002:ffff:0:0:9")).toBe("2001:db8:1:2::/64");
    expect(addressBucket("::1")).toBe("0:0:0:0::/64");
  });

  it("puts an instant in its fixed window", () => {
    const at = Temporal.Instant.from("2026-11-28T10:59:59Z");
    expect(windowStart(at, 3600).toString()).toBe("2026-11-28T10:00:00Z");
  });
});
