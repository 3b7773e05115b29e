import { sql } from "kysely";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { testEngine } from "./helpers/database.ts";
import { startTestInstance, type TestInstance } from "./helpers/instance.ts";
import { family, parsePrometheusText, sampleValue } from "./helpers/prometheus.ts";

const METRICS_TOKEN = "scrape-token-0123456789abcdef";

/**
 * `GET /metrics` on a real instance: the bearer token, the Prometheus text
 * (parsed, every line checked), and what it counts — requests by route
 * pattern, refused inbox POSTs by reason, the queue read on scrape. A second
 * instance in the same process, without METRICS_TOKEN, has no endpoint.
 */
describe(`metrics (${testEngine})`, () => {
  let instance: TestInstance;
  let plain: TestInstance;

  beforeAll(async () => {
    instance = await startTestInstance({ env: { METRICS_TOKEN } });
    plain = await startTestInstance();
  });
  afterAll(async () => {
    await instance?.stop();
    await plain?.stop();
  });

  const scrape = (token: string | null) =>
    fetch(new URL("/metrics", instance.config.origin), {
      headers: token === null ? {} : { authorization: `Bearer ${token}` },
    });

  async function metrics() {
    const response = await scrape(METRICS_TOKEN);
    expect(response.status).toBe(200);
    expect(response.headers.get("content-type")).toMatch(/^text\/plain; version=0\.0\.4/);
    return parsePrometheusText(await response.text());
  }

  it("answers 404 when METRICS_TOKEN is not set", async () => {
    const response = await fetch(new URL("/metrics", plain.config.origin), {
      headers: { authorization: `Bearer ${METRICS_TOKEN}` },
    });
    expect(response.status).toBe(404);
  });

  it("refuses a scrape without the token or with a wrong one, with a JSON error", async () => {
    for (const token of [null, "wrong-token-0123456789abcdef", `${METRICS_TOKEN}x`, "short"]) {
      const response = await scrape(token);
      expect(response.status).toBe(401);
      expect(await response.json()).toMatchObject({ error: "unauthorized" });
    }
    const adminToken = await scrape(instance.config.adminToken);
    expect(adminToken.status).toBe(401);
  });

  it("counts requests by route pattern and refused inbox POSTs by reason", async () => {
    const created = await instance.api("POST", "/api/v1/groups", {
      handle: "kitchen",
      name: "Community kitchen",
    });
    expect(created.status).toBe(201);
    for (let i = 0; i < 3; i++) {
      expect((await instance.api("GET", "/api/v1/groups/kitchen")).status).toBe(200);
    }
    expect((await instance.api("GET", "/api/v1/groups/absentgroup")).status).toBe(404);
    expect((await fetch(new URL("/no/such/page/9f3a", instance.config.origin))).status).toBe(404);

    const unsigned = await fetch(new URL("/groups/kitchen/inbox", instance.config.origin), {
      method: "POST",
      headers: { "content-type": "application/activity+json" },
      body: JSON.stringify({
        "@context": "https://www.w3.org/ns/activitystreams",
        id: "https://elsewhere.example/follows/1",
        type: "Follow",
        actor: "https://elsewhere.example/users/someone",
        object: `${instance.config.origin.href}groups/kitchen`,
      }),
    });
    expect(unsigned.status).toBe(401);
    expect(await unsigned.json()).toMatchObject({ error: "signature_missing" });

    const families = await metrics();
    const requests = "bayanihan_http_requests_total";
    expect(family(families, requests).type).toBe("COUNTER");
    const byGroup = { route: "/api/v1/groups/:handle", method: "GET" };
    expect(sampleValue(families, requests, { ...byGroup, status: "200" })).toBe(3);
    expect(sampleValue(families, requests, { ...byGroup, status: "404" })).toBe(1);
    expect(
      sampleValue(families, requests, { route: "/api/v1/groups", method: "POST", status: "201" }),
    ).toBe(1);
    expect(sampleValue(families, requests, { route: "inbox", method: "POST", status: "401" })).toBe(
      1,
    );
    expect(
      sampleValue(families, requests, { route: "unmatched", method: "GET", status: "404" }),
    ).toBe(1);
    // The refused scrapes of the test before, under the endpoint's own route.
    expect(
      sampleValue(families, requests, { route: "/metrics", method: "GET", status: "401" }),
    ).toBe(5);

    const latency = "bayanihan_http_request_duration_seconds";
    expect(family(families, latency).type).toBe("HISTOGRAM");
    expect(sampleValue(families, `${latency}_count`, byGroup)).toBe(4);
    expect(sampleValue(families, `${latency}_bucket`, { ...byGroup, le: "+Inf" })).toBe(4);
    expect(sampleValue(families, `${latency}_sum`, byGroup)).toBeGreaterThan(0);

    expect(
      sampleValue(families, "bayanihan_inbox_activities_refused_total", {
        reason: "signature_missing",
      }),
    ).toBe(1);
    expect(sampleValue(families, "bayanihan_inbox_activities_accepted_total")).toBe(0);

    // Route labels are patterns: no handle, id or raw path in any label value.
    const labelValues = families.samples.flatMap((sample) => Object.values(sample.labels));
    expect(labelValues.length).toBeGreaterThan(0);
    for (const value of labelValues) {
      expect(value).not.toMatch(/kitchen|absentgroup|9f3a|elsewhere/);
    }
    const routes = new Set(
      families.samples.filter((s) => s.name === requests).map((s) => s.labels.route),
    );
    for (const route of routes) {
      expect(route).toMatch(/^(\/[\w/:.{}*-]*|inbox|federation|unmatched)$/);
    }
  });

  it("has the process's memory, CPU and event-loop lag", async () => {
    const families = await metrics();
    expect(sampleValue(families, "process_resident_memory_bytes")).toBeGreaterThan(0);
    expect(sampleValue(families, "process_cpu_seconds_total")).toBeGreaterThan(0);
    expect(family(families, "nodejs_eventloop_lag_seconds").type).toBe("GAUGE");
  });

  it("reads the queue's depth, its oldest message's age by lane and parked hosts on scrape", async () => {
    const db = instance.database.db;
    let families = await metrics();
    expect(sampleValue(families, "bayanihan_queue_messages", { lane: "delivery" })).toBe(0);
    expect(sampleValue(families, "bayanihan_queue_messages", { lane: "inbox" })).toBe(0);
    expect(sampleValue(families, "bayanihan_delivery_parked_hosts")).toBe(0);

    // Two deliveries first queued two minutes ago, due in an hour (so no
    // worker takes them), and a destination parked now.
    for (let i = 0; i < 2; i++) {
      await sql`
        INSERT INTO fedify_queue (message, available_at, created_at, lane, destination)
        VALUES (${JSON.stringify({ type: "outbox", inbox: "http://192.0.2.1/inbox" })}::jsonb,
                now() + interval '1 hour', now() - interval '120 seconds', 'delivery', '192.0.2.1')
      `.execute(db);
    }
    await sql`
      INSERT INTO fedify_queue_destinations (destination, failures, parked_until, updated_at)
      VALUES ('192.0.2.1', 5, now() + interval '1 hour', now())
    `.execute(db);
    try {
      families = await metrics();
      expect(sampleValue(families, "bayanihan_queue_messages", { lane: "delivery" })).toBe(2);
      expect(sampleValue(families, "bayanihan_queue_messages", { lane: "inbox" })).toBe(0);
      const age = sampleValue(families, "bayanihan_queue_oldest_message_age_seconds", {
        lane: "delivery",
      });
      expect(age).toBeGreaterThanOrEqual(120);
      expect(age).toBeLessThan(180);
      expect(
        sampleValue(families, "bayanihan_queue_oldest_message_age_seconds", { lane: "inbox" }),
      ).toBe(0);
      expect(sampleValue(families, "bayanihan_delivery_parked_hosts")).toBe(1);
    } finally {
      await sql`DELETE FROM fedify_queue WHERE destination = '192.0.2.1'`.execute(db);
      await sql`DELETE FROM fedify_queue_destinations`.execute(db);
    }
  });
});
