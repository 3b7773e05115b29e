import { SendActivityError } from "@fedify/fedify";
import { FetchError } from "@fedify/vocab-runtime";
import { describe, expect, it } from "vitest";
import { describeDeliveryFailure } from "./delivery-failures.ts";

const failedAt = Temporal.Instant.from("2026-11-30T12:00:00Z");
const inbox = new URL("https://social.example/users/ana/inbox");

describe("describeDeliveryFailure", () => {
  it("maps an HTTP failure to a delivery_failures row", () => {
    const error = new SendActivityError(inbox, 503, "Failed to send …", "  upstream down\n");
    expect(
      describeDeliveryFailure({
        inbox,
        activityId: "https://bayanihan.example/activities/1",
        activityType: "https://www.w3.org/ns/activitystreams#Create",
        attempts: 17,
        error,
        failedAt,
      }),
    ).toEqual({
      inbox_url: inbox.href,
      activity_id: "https://bayanihan.example/activities/1",
      activity_type: "https://www.w3.org/ns/activitystreams#Create",
      attempts: 17,
      last_error: "HTTP 503: upstream down",
      failed_at: failedAt,
    });
  });

  it("names the root cause of a transport failure", () => {
    const refused = Object.assign(new Error("connect ECONNREFUSED 1.2.3.4:443"), {
      code: "ECONNREFUSED",
    });
    const error = new FetchError(inbox, "fetch failed");
    error.cause = new TypeError("fetch failed", { cause: refused });
    const row = describeDeliveryFailure({ inbox: inbox.href, attempts: 1, error, failedAt });
    expect(row.last_error).toBe(`${inbox.href}: fetch failed (ECONNREFUSED)`);
    expect(row.activity_id).toBeNull();
    expect(row.activity_type).toBeNull();
  });

  it("keeps last_error short even for a large error page", () => {
    const error = new SendActivityError(inbox, 500, "…", "<html>".padEnd(5000, "x"));
    const row = describeDeliveryFailure({ inbox, attempts: 3, error, failedAt });
    expect(row.last_error).toHaveLength(1000);
    expect(row.last_error.endsWith("…")).toBe(true);
  });
});
