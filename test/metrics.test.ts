import { readFile } from "node:fs/promises";
import { sql } from "kysely";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { QUEUE_READING_PERIOD_MS } from "../src/metrics.ts";
import { testEngine } from "./helpers/database.ts";
import { addAcceptedFollower } from "./helpers/followers.ts";
import { type InboxServer, startInboxServer } from "./helpers/inbox-server.ts";
import { startTestInstance, type TestInstance } from "./helpers/instance.ts";
import { family, parsePrometheusText, sampleValue } from "./helpers/prometheus.ts";
import { metricNamesIn } from "./helpers/promql.ts";
import { waitFor } from "./helpers/wait.ts";

const METRICS_TOKEN = "scrape-token-0123456789abcdef";

/**
 * `GET /metrics` on a real instance: the bearer token, the Prometheus text
 * (parsed, every line checked), and what it counts — requests by route
 * pattern, refused inbox POSTs by reason, the queue's figures. A second
 * instance in the same process, without METRICS_TOKEN, has no endpoint.
 */
describe(`metrics (${testEngine})`, () => {
  let instance: TestInstance;
  let plain: TestInstance;

  beforeAll(async () => {
    instance = await startTestInstance({
      env: { METRICS_TOKEN },
      // One retry 100 ms later instead of 17 over 72 hours.
      retry: {
        delayFor: (attempt) => (attempt < 2 ? Temporal.Duration.from({ milliseconds: 100 }) : null),
      },
    });
    plain = await startTestInstance();
  });
  const inboxes: InboxServer[] = [];
  afterAll(async () => {
    await instance?.stop();
    await plain?.stop();
    for (const inbox of inboxes) await inbox.close();
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
    const actor = await fetch(new URL("/groups/kitchen", instance.config.origin), {
      headers: { accept: "application/activity+json" },
    });
    expect(actor.status).toBe(200);
    expect((await fetch(new URL("/groups/kitchen", instance.config.origin))).status).toBe(200);
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
    // The actor document Fedify answered, and the same address's HTML page.
    expect(
      sampleValue(families, requests, { route: "federation", method: "GET", status: "200" }),
    ).toBe(1);
    expect(
      sampleValue(families, requests, { route: "/groups/:handle", method: "GET", status: "200" }),
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

  if (testEngine === "postgres") {
    it("is answered by a worker process too, whose API stays 404", async () => {
      const worker = await startTestInstance({
        env: { METRICS_TOKEN, ROLE: "worker", DATABASE_URL: process.env.TEST_DATABASE_URL! },
      });
      try {
        const scraped = await fetch(new URL("/metrics", worker.config.origin), {
          headers: { authorization: `Bearer ${METRICS_TOKEN}` },
        });
        expect(scraped.status).toBe(200);
        const exposition = parsePrometheusText(await scraped.text());
        expect(sampleValue(exposition, "bayanihan_queue_messages", { lane: "delivery" })).toBe(0);
        expect((await worker.api("GET", "/api/v1/categories")).status).toBe(404);
      } finally {
        await worker.stop();
      }
    });
  }

  it("has the process's memory, CPU and event-loop lag", async () => {
    const families = await metrics();
    expect(sampleValue(families, "process_resident_memory_bytes")).toBeGreaterThan(0);
    expect(sampleValue(families, "process_cpu_seconds_total")).toBeGreaterThan(0);
    expect(family(families, "nodejs_eventloop_lag_seconds").type).toBe("GAUGE");
  });

  it("reads the queue's depth, its oldest message's age by lane and parked hosts", async () => {
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
      // Read again in the background every few seconds while scraped, not on
      // each scrape: within two periods the gauges show the new rows.
      families = (await waitFor(
        "the queue gauges to be read again",
        async () => {
          const next = await metrics();
          return sampleValue(next, "bayanihan_queue_messages", { lane: "delivery" }) === 2
            ? next
            : null;
        },
        2 * QUEUE_READING_PERIOD_MS + 5_000,
      ))!;
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

  it("counts the activities its inbox accepts and its deliveries by outcome", async () => {
    const value = async (name: string, labels: Record<string, string> = {}) =>
      sampleValue(await metrics(), name, labels) ?? Number.NaN;
    const accepted = "bayanihan_inbox_activities_accepted_total";
    const attempts = "bayanihan_delivery_attempts_total";
    const givenUp = "bayanihan_deliveries_given_up_total";
    const requests = "bayanihan_http_requests_total";
    const before = {
      inboxPosts:
        sampleValue(await metrics(), requests, { route: "inbox", method: "POST", status: "202" }) ??
        0,
      accepted: await value(accepted),
      delivered: await value(attempts, { outcome: "delivered" }),
      failed: await value(attempts, { outcome: "failed" }),
      gone: await value(givenUp, { reason: "gone" }),
      exhausted: await value(givenUp, { reason: "exhausted" }),
    };

    // A follow of a group on the other instance: our Follow is delivered,
    // its Accept comes to our inbox, signed, and is taken in.
    expect(
      (await plain.api("POST", "/api/v1/groups", { handle: "water", name: "Water" })).status,
    ).toBe(201);
    const follow = await instance.api("POST", "/api/v1/groups/kitchen/following", {
      account: `${plain.config.origin.origin}/groups/water`,
    });
    expect(follow.status).toBe(202);
    await expect.poll(() => value(accepted), POLL).toBe(before.accepted + 1);
    // The Accept's POST, under the inbox's one route.
    expect(await value(requests, { route: "inbox", method: "POST", status: "202" })).toBe(
      before.inboxPosts + 1,
    );
    await expect
      .poll(() => value(attempts, { outcome: "delivered" }), POLL)
      .toBe(before.delivered + 1);

    // A need for a group whose one follower's inbox is gone (410): one
    // failed attempt, given up on at once.
    const gone = await startInboxServer(() => 410);
    inboxes.push(gone);
    expect(
      (await instance.api("POST", "/api/v1/groups", { handle: "pantry", name: "Pantry" })).status,
    ).toBe(201);
    await addAcceptedFollower(instance.database.db, "pantry", gone.inbox);
    const need = await instance.api("POST", "/api/v1/groups/pantry/needs", {
      title: "Rice",
      category: "food",
    });
    expect(need.status).toBe(201);
    await expect.poll(() => value(givenUp, { reason: "gone" }), POLL).toBe(before.gone + 1);
    expect(await value(attempts, { outcome: "failed" })).toBe(before.failed + 1);
    expect(await value(givenUp, { reason: "exhausted" })).toBe(before.exhausted);
    expect(await value(attempts, { outcome: "delivered" })).toBe(before.delivered + 1);
  });

  it("times the database's statements by kind and counts its connections", async () => {
    const statements = "bayanihan_db_query_duration_seconds";
    const before = await metrics();
    expect(family(before, statements).type).toBe("HISTOGRAM");
    const count = (exposition: typeof before, statement: string) =>
      sampleValue(exposition, `${statements}_count`, { statement }) ?? Number.NaN;
    const errors = (exposition: typeof before, statement: string) =>
      sampleValue(exposition, "bayanihan_db_query_errors_total", { statement }) ?? Number.NaN;

    // A group created (inserts) and read (selects) through the API, and one
    // statement the database refuses.
    expect(
      (await instance.api("POST", "/api/v1/groups", { handle: "ledger", name: "Ledger" })).status,
    ).toBe(201);
    expect((await instance.api("GET", "/api/v1/groups/ledger")).status).toBe(200);
    await expect(
      sql`SELECT * FROM no_such_table_9f3a`.execute(instance.database.db),
    ).rejects.toThrow();

    const after = await metrics();
    expect(count(after, "insert")).toBeGreaterThan(count(before, "insert"));
    expect(count(after, "select")).toBeGreaterThan(count(before, "select"));
    expect(errors(after, "select")).toBe(errors(before, "select") + 1);
    expect(sampleValue(after, `${statements}_sum`, { statement: "select" })).toBeGreaterThan(0);
    for (const statement of ["update", "delete", "other"]) {
      expect(count(after, statement)).toBeGreaterThanOrEqual(0);
    }
    // The statement kinds are the only label values: never a statement's text.
    const kinds = new Set(
      after.samples.filter((s) => s.name.startsWith(statements)).map((s) => s.labels.statement),
    );
    expect([...kinds].sort()).toEqual(["delete", "insert", "other", "select", "update"]);

    expect(sampleValue(after, "bayanihan_db_connections_max")).toBe(
      testEngine === "pglite" ? 1 : 10,
    );
    // The scrape itself holds no connection; the queue's workers may.
    const inUse = sampleValue(after, "bayanihan_db_connections_in_use")!;
    expect(inUse).toBeGreaterThanOrEqual(0);
    expect(inUse).toBeLessThanOrEqual(testEngine === "pglite" ? 1 : 10);
    expect(sampleValue(after, "bayanihan_db_connections_waiting")).toBeGreaterThanOrEqual(0);
  });

  it("counts the connections held and the statements waiting for one", async () => {
    const db = instance.database.db;
    const max = testEngine === "pglite" ? 1 : 10;
    // As many transactions as there are connections, each holding its own
    // until released; one more statement then waits for a connection.
    let release!: () => void;
    const held = new Promise<void>((resolve) => {
      release = resolve;
    });
    const begun: Promise<void>[] = [];
    const transactions = Array.from({ length: max }, () => {
      let started!: () => void;
      begun.push(
        new Promise<void>((resolve) => {
          started = resolve;
        }),
      );
      return db.transaction().execute(async (trx) => {
        await sql`SELECT 1`.execute(trx);
        started();
        await held;
      });
    });
    let waiter: Promise<unknown> | null = null;
    try {
      await Promise.all(begun);
      waiter = sql`SELECT 2`.execute(db);
      // The scrape reads counts kept in memory: it answers while every
      // connection is held.
      const during = await waitFor(
        "the held connections and the waiting statement to be counted",
        async () => {
          const next = await metrics();
          return (sampleValue(next, "bayanihan_db_connections_waiting") ?? 0) >= 1 ? next : null;
        },
        5_000,
      );
      expect(sampleValue(during!, "bayanihan_db_connections_in_use")).toBe(max);
      expect(sampleValue(during!, "bayanihan_db_connections_max")).toBe(max);
    } finally {
      release();
      await Promise.all(transactions);
      await waiter;
    }
    // Given back: nothing of the test's holds a connection or waits.
    await expect
      .poll(async () => sampleValue(await metrics(), "bayanihan_db_connections_waiting"), POLL)
      .toBe(0);
  });

  it("measures the convergence lag of the copies it receives", async () => {
    const lag = "bayanihan_convergence_lag_seconds";
    const value = async (name: string, labels: Record<string, string>) =>
      sampleValue(await metrics(), name, labels) ?? Number.NaN;
    expect(family(await metrics(), lag).type).toBe("HISTOGRAM");
    const before = await value(`${lag}_count`, { source: "inbox" });
    const reconciled = await value(`${lag}_count`, { source: "reconciliation" });

    // The other instance's group `water`, which kitchen follows (the test
    // before), posts a need: its Create brings our copy.
    const posted = await plain.api("POST", "/api/v1/groups/water/needs", {
      title: "Drinking water",
      category: "water",
    });
    expect(posted.status).toBe(201);
    await expect.poll(() => value(`${lag}_count`, { source: "inbox" }), POLL).toBe(before + 1);
    const families = await metrics();
    const seconds = sampleValue(families, `${lag}_sum`, { source: "inbox" })!;
    expect(seconds).toBeGreaterThanOrEqual(0);
    // Loopback delivery: well within a minute of the origin's `published`.
    expect(seconds).toBeLessThan(60);
    expect(sampleValue(families, `${lag}_bucket`, { source: "inbox", le: "60" })).toBe(before + 1);
    expect(await value(`${lag}_count`, { source: "reconciliation" })).toBe(reconciled);
  });

  it("has every metric the Grafana dashboard in docs/ queries, and the dashboard shows each of its own", async () => {
    const dashboard = JSON.parse(
      await readFile(new URL("../docs/grafana-dashboard.json", import.meta.url), "utf8"),
    ) as GrafanaDashboard;
    // Importable: Grafana asks for the Prometheus it reads on import.
    expect(dashboard.__inputs.map((input) => input.name)).toEqual(["DS_PROMETHEUS"]);
    expect(dashboard.uid).toMatch(/^[\w-]{1,40}$/);
    const expressions = [
      ...dashboard.panels.flatMap((panel) => (panel.targets ?? []).map((target) => target.expr)),
      ...dashboard.templating.list.map((variable) => variable.definition),
    ];
    expect(expressions.length).toBeGreaterThan(10);
    const ids = dashboard.panels.map((panel) => panel.id);
    expect(new Set(ids).size).toBe(ids.length);

    const exposition = await metrics();
    const exported = new Set(exposition.samples.map((sample) => sample.name));
    const queried = new Set(expressions.flatMap((expression) => metricNamesIn(expression)));
    expect(queried.size).toBeGreaterThan(10);
    for (const name of queried) {
      expect(exported.has(name), `${name} is not on /metrics`).toBe(true);
    }
    // The other way round: every metric of the instance's own has a panel
    // (a histogram through its buckets or count).
    for (const { name, type } of exposition.families) {
      if (!name.startsWith("bayanihan_")) continue;
      const read =
        type === "HISTOGRAM"
          ? queried.has(`${name}_bucket`) || queried.has(`${name}_count`)
          : queried.has(name);
      expect(read, `no panel shows ${name}`).toBe(true);
    }
  });
});

const POLL = { timeout: 15_000, interval: 100 } as const;

/** What the test reads of a Grafana dashboard's JSON model. */
interface GrafanaDashboard {
  readonly uid: string;
  readonly __inputs: readonly { readonly name: string }[];
  readonly panels: readonly {
    readonly id: number;
    readonly targets?: readonly { readonly expr: string }[];
  }[];
  readonly templating: { readonly list: readonly { readonly definition: string }[] };
}
