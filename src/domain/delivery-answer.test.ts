import { describe, expect, it } from "vitest";
import {
  classifyDeliveryAnswer,
  isHostFailure,
  nextRetryDelay,
  type ParkingRule,
  parkingFor,
  parseRetryAfter,
} from "./delivery-answer.ts";

const seconds = (n: number) => Temporal.Duration.from({ seconds: n });
const inSeconds = (d: Temporal.Duration | null) => (d === null ? null : d.total("second"));

describe("classifyDeliveryAnswer", () => {
  it.each([200, 201, 202, 204, 299])("%i: delivered", (status) => {
    expect(classifyDeliveryAnswer(status)).toBe("delivered");
  });

  it.each([401, 408, 429, 500, 502, 503, 504, 599])("%i: retried", (status) => {
    expect(classifyDeliveryAnswer(status)).toBe("retry");
  });

  it("retries when nothing answered (refused connection, deadline)", () => {
    expect(classifyDeliveryAnswer(null)).toBe("retry");
  });

  it.each([404, 410])("%i: the inbox is gone", (status) => {
    expect(classifyDeliveryAnswer(status)).toBe("gone");
  });

  it.each([400, 402, 403, 405, 406, 409, 411, 413, 415, 422, 451, 499])(
    "%i: refused at once",
    (status) => {
      expect(classifyDeliveryAnswer(status)).toBe("refused");
    },
  );

  it.each([0, 100, 302, 600])("%i (outside 2xx–5xx): refused", (status) => {
    expect(classifyDeliveryAnswer(status)).toBe("refused");
  });
});

describe("isHostFailure", () => {
  it("counts no answer and server errors against the host", () => {
    expect(isHostFailure(null)).toBe(true);
    expect(isHostFailure(500)).toBe(true);
    expect(isHostFailure(503)).toBe(true);
  });

  it("does not count a host that answers and refuses or rate-limits", () => {
    for (const status of [401, 403, 404, 410, 429]) expect(isHostFailure(status)).toBe(false);
  });
});

describe("parseRetryAfter", () => {
  const now = Temporal.Instant.from("2026-12-07T10:00:00Z");

  it("reads a delay in seconds", () => {
    expect(inSeconds(parseRetryAfter("3600", now))).toBe(3600);
    expect(inSeconds(parseRetryAfter(" 0 ", now))).toBe(0);
  });

  it("reads an HTTP date, in all three forms", () => {
    expect(inSeconds(parseRetryAfter("Mon, 07 Dec 2026 10:05:00 GMT", now))).toBe(300);
    expect(inSeconds(parseRetryAfter("Monday, 07-Dec-26 10:05:00 GMT", now))).toBe(300);
    expect(inSeconds(parseRetryAfter("Mon Dec  7 10:05:00 2026", now))).toBe(300);
  });

  it("takes a date in the past as no wait", () => {
    expect(inSeconds(parseRetryAfter("Mon, 07 Dec 2026 09:00:00 GMT", now))).toBe(0);
  });

  it("ignores what it cannot read", () => {
    for (const value of [null, undefined, "", "soon", "-5", "1.5", "1e3", "12345678901"]) {
      expect(parseRetryAfter(value, now)).toBeNull();
    }
  });
});

describe("nextRetryDelay", () => {
  const cap = Temporal.Duration.from({ hours: 12 });

  it("is the backoff without Retry-After", () => {
    expect(inSeconds(nextRetryDelay(seconds(30), null, cap))).toBe(30);
  });

  it("is the later of the backoff and Retry-After", () => {
    expect(inSeconds(nextRetryDelay(seconds(30), seconds(3600), cap))).toBe(3600);
    expect(inSeconds(nextRetryDelay(seconds(600), seconds(5), cap))).toBe(600);
    expect(inSeconds(nextRetryDelay(seconds(30), seconds(0), cap))).toBe(30);
  });

  it("caps Retry-After, never the backoff", () => {
    expect(inSeconds(nextRetryDelay(seconds(30), seconds(10 * 86_400), cap))).toBe(12 * 3600);
    expect(inSeconds(nextRetryDelay(seconds(13 * 3600), seconds(86_400), cap))).toBe(13 * 3600);
  });
});

describe("parkingFor", () => {
  const rule: ParkingRule = {
    afterFailures: 5,
    first: Temporal.Duration.from({ minutes: 1 }),
    longest: Temporal.Duration.from({ hours: 1 }),
  };

  it("does not park before the threshold", () => {
    for (let failures = 0; failures < 5; failures++) expect(parkingFor(failures, rule)).toBeNull();
  });

  it("parks for the first time, then doubles per failed probe up to the longest", () => {
    const minutes = [5, 6, 7, 8, 9, 10, 11, 12, 1000].map((failures) =>
      parkingFor(failures, rule)!.total("minute"),
    );
    expect(minutes).toEqual([1, 2, 4, 8, 16, 32, 60, 60, 60]);
  });
});
