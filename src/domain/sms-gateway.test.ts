import { createHmac } from "node:crypto";
import { describe, expect, it } from "vitest";
import {
  androidSignature,
  checkAndroidSignature,
  checkTwilioSignature,
  maskSecret,
  normalizePhoneNumber,
  routeByKeyword,
  twilioSignature,
  validateSmsGateway,
} from "./sms-gateway.ts";

describe("SMS gateway protocols", () => {
  const now = Temporal.Instant.from("2026-12-07T08:00:00Z");
  const seconds = String(now.epochMilliseconds / 1000);

  it("checks the Android signature over the body followed by the timestamp, within a window", () => {
    const body = '{"event":"sms:received","id":"a1","payload":{"message":"NEED water"}}';
    const expected = createHmac("sha256", "key-12345").update(`${body}${seconds}`).digest("hex");
    expect(androidSignature("key-12345", body, seconds)).toBe(expected);
    const headers = { signature: expected, timestamp: seconds };
    expect(checkAndroidSignature("key-12345", body, headers, now)).toBe("valid");
    expect(checkAndroidSignature("other-key", body, headers, now)).toBe("invalid");
    expect(checkAndroidSignature("key-12345", `${body} `, headers, now)).toBe("invalid");
    expect(
      checkAndroidSignature("key-12345", body, { ...headers, signature: undefined }, now),
    ).toBe("invalid");
    expect(checkAndroidSignature("key-12345", body, headers, now.add({ minutes: 6 }))).toBe(
      "stale",
    );
    expect(checkAndroidSignature("key-12345", body, headers, now.subtract({ minutes: 4 }))).toBe(
      "valid",
    );
  });

  it("signs Twilio requests over the URL and the parameters sorted by name", () => {
    const url = "https://aid.example/webhooks/sms/twilio?x=1";
    const params: [string, string][] = [
      ["To", "+15005550006"],
      ["Body", "NEED water 20"],
      ["From", "+14155550100"],
    ];
    const expected = createHmac("sha1", "token-1")
      .update(`${url}BodyNEED water 20From+14155550100To+15005550006`)
      .digest("base64");
    expect(twilioSignature("token-1", url, params)).toBe(expected);
    expect(checkTwilioSignature("token-1", url, [...params].reverse(), expected)).toBe(true);
    expect(checkTwilioSignature("token-1", `${url}&y=2`, params, expected)).toBe(false);
    expect(checkTwilioSignature("token-2", url, params, expected)).toBe(false);
    expect(checkTwilioSignature("token-1", url, params, undefined)).toBe(false);
  });

  it("reads phone numbers into E.164", () => {
    expect(normalizePhoneNumber("+63 917 123 4567")).toBe("+639171234567");
    expect(normalizePhoneNumber("0063-917-123-4567")).toBe("+639171234567");
    expect(normalizePhoneNumber("09171234567")).toBeNull();
    expect(normalizePhoneNumber("+0123")).toBeNull();
  });

  it("routes a shared number's texts by their first word", () => {
    const gateways = [
      { id: "plain", keyword: "" },
      { id: "food", keyword: "pagkain" },
    ];
    expect(routeByKeyword(gateways, "PAGKAIN need rice 5")).toEqual({
      gateway: gateways[1],
      text: "need rice 5",
    });
    expect(routeByKeyword(gateways, "NEED water 20")).toEqual({
      gateway: gateways[0],
      text: "NEED water 20",
    });
    expect(routeByKeyword([gateways[1]!], "NEED water 20")).toBeNull();
  });

  it("validates a gateway's settings and masks its secrets", () => {
    const checked = validateSmsGateway({
      protocol: "twilio",
      phoneNumber: "+1 500 555 0006",
      webhookSecret: "auth-token-123",
      apiUsername: "AC123",
      apiPassword: "ignored",
    });
    expect(checked).toEqual({
      ok: true,
      value: {
        protocol: "twilio",
        phoneNumber: "+15005550006",
        keyword: "",
        webhookSecret: "auth-token-123",
        apiUrl: "https://api.twilio.com",
        apiUsername: "AC123",
        apiPassword: "",
      },
    });
    const bad = validateSmsGateway({
      protocol: "pigeon",
      phoneNumber: "12",
      keyword: "two words",
      webhookSecret: "short",
      apiUrl: "ftp://x",
      apiUsername: "",
    });
    expect(bad.ok).toBe(false);
    expect(Object.keys(bad.ok ? {} : bad.problems).sort()).toEqual([
      "apiUrl",
      "apiUsername",
      "keyword",
      "phoneNumber",
      "protocol",
      "webhookSecret",
    ]);
    expect(maskSecret("auth-token-123")).toBe("••••-123");
  });
});
