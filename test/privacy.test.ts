import { configure, type LogRecord, reset } from "@logtape/logtape";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startTestInstance, type TestInstance } from "./helpers/instance.ts";
import { type RemoteActor, startRemoteActor } from "./helpers/remote-actor.ts";
import { waitFor } from "./helpers/wait.ts";

/** Private values of the scenario: none may leave the instance. */
const NEEDER_CONTACT = "Ana Reyes, +63 917 555 0101, 12 Mabini St";
const OFFERER_CONTACT = "Depot key with Jun, +63 918 000 1234";
const HELPER_CONTACT = "ben.helper@example.org, +63 919 222 3333";
const EXACT_LATITUDE = "14.599512";
const EXACT_LONGITUDE = "120.984222";
const PRIVATE_VALUES = [
  NEEDER_CONTACT,
  OFFERER_CONTACT,
  HELPER_CONTACT,
  EXACT_LATITUDE,
  EXACT_LONGITUDE,
];

/** The same values as they could appear escaped inside JSON or HTML. */
function leaks(text: string): string[] {
  const found: string[] = [];
  for (const value of PRIVATE_VALUES) {
    const variants = [value, JSON.stringify(value).slice(1, -1), value.replace(/,/g, "&#44;")];
    // Pieces too: a phone number or a street alone is still private.
    const pieces = value.split(/,\s*/).filter((piece) => piece.length >= 8);
    if ([...variants, ...pieces].some((v) => text.includes(v))) found.push(value);
  }
  return found;
}

/**
 * Privacy as the responses issue defines it: every byte that crosses the
 * network during a full answering scenario — deliveries between two
 * instances and a Mastodon-shaped peer, fetched objects, collections, public
 * pages and public API answers — and every log line, recorded and searched
 * for the private values. Only coordinators' own API answers may hold them.
 */
describe("private details never leave the instance", () => {
  let a: TestInstance;
  let b: TestInstance;
  let alice: RemoteActor;
  let tokenA: string;
  let tokenB: string;
  const traffic: { url: string; direction: "sent" | "received"; body: string }[] = [];
  const logs: LogRecord[] = [];
  const realFetch = globalThis.fetch;

  beforeAll(async () => {
    await configure({
      reset: true,
      sinks: { memory: (record) => logs.push(record) },
      loggers: [
        { category: ["bayanihan"], sinks: ["memory"], lowestLevel: "debug" },
        { category: ["fedify"], sinks: ["memory"], lowestLevel: "debug" },
        { category: ["logtape", "meta"], sinks: [], lowestLevel: "warning" },
      ],
    });
    [a, b, alice] = await Promise.all([
      startTestInstance({ host: "127.0.0.1" }),
      startTestInstance({ host: "127.0.0.2" }),
      startRemoteActor("127.0.0.3"),
    ]);
    // Everything this process sends or receives over HTTP — both instances'
    // deliveries and fetches, and the test's own requests — except a
    // coordinator's authenticated API calls, which may see private fields.
    const recording = globalThis.fetch;
    globalThis.fetch = async (input, init) => {
      const request = new Request(input, init);
      const authenticated = request.headers.has("authorization");
      // What a visitor submits to the API is input to the instance, not output.
      const submission = new URL(request.url).pathname.startsWith("/api/");
      if (!authenticated && !submission && request.body !== null) {
        traffic.push({ url: request.url, direction: "sent", body: await request.clone().text() });
      }
      const response = await recording(request);
      if (!authenticated) {
        traffic.push({
          url: request.url,
          direction: "received",
          body: await response.clone().text(),
        });
      }
      return response;
    };
  });
  afterAll(async () => {
    globalThis.fetch = realFetch;
    await reset();
    await a?.stop();
    await b?.stop();
    await alice?.close();
  });

  it("runs the whole scenario", async () => {
    await a.api("POST", "/api/v1/groups", { handle: "food", name: "City A Food" });
    await b.api("POST", "/api/v1/groups", { handle: "relief", name: "City B Relief" });
    tokenA = (await (await a.api("POST", "/api/v1/groups/food/tokens")).json()).token;
    tokenB = (await (await b.api("POST", "/api/v1/groups/relief/tokens")).json()).token;
    const groupA = `${a.config.origin.origin}/groups/food`;

    // B's group and a Mastodon user follow A's group.
    await b.api("POST", "/api/v1/groups/relief/following", { account: groupA }, tokenB);
    await alice.follow({ id: new URL(groupA), inbox: new URL(`${groupA}/inbox`) });
    await waitFor("both follows accepted", async () => {
      const followers = await (
        await a.api("GET", "/api/v1/groups/food/followers", undefined, tokenA)
      ).json();
      const following = await (
        await b.api("GET", "/api/v1/groups/relief/following", undefined, tokenB)
      ).json();
      return followers.items.length === 2 && following.items[0]?.state === "accepted";
    });

    // A need with a private contact and exact coordinates, an offer too.
    const need = await (
      await a.api(
        "POST",
        "/api/v1/groups/food/needs",
        {
          title: "20 insulin coolers",
          description: "For the clinic",
          category: "medication",
          quantity: { amount: 20, unit: "one" },
          location: { name: "Rizal Street clinic", latitude: 14.599512, longitude: 120.984222 },
          contact: NEEDER_CONTACT,
        },
        tokenA,
      )
    ).json();
    const offer = await (
      await a.api(
        "POST",
        "/api/v1/groups/food/offers",
        {
          title: "Rice",
          category: "food",
          quantity: { amount: 50, unit: "kilogram" },
          contact: OFFERER_CONTACT,
        },
        tokenA,
      )
    ).json();
    expect(need.contact).toBe(NEEDER_CONTACT);
    expect(need.location.latitude).toBe(14.599512);

    // A neighbour answers on A's own instance with a private way to reach them.
    const local = await a.api(
      "POST",
      `/api/v1/needs/${need.id}/responses`,
      { content: "I can drive them over", contact: HELPER_CONTACT },
      null,
    );
    expect(local.status).toBe(201);

    // The Mastodon user replies; B pledges.
    await alice.postSigned(new URL("/inbox", a.config.origin), {
      "@context": "https://www.w3.org/ns/activitystreams",
      id: `${alice.actorId.href}/statuses/1/activity`,
      type: "Create",
      actor: alice.actorId.href,
      to: ["https://www.w3.org/ns/activitystreams#Public"],
      object: {
        id: `${alice.actorId.href}/statuses/1`,
        type: "Note",
        attributedTo: alice.actorId.href,
        inReplyTo: need.objectId,
        content: "<p>I have 5</p>",
        to: ["https://www.w3.org/ns/activitystreams#Public"],
      },
    });
    await waitFor("the need on B", async () => {
      const feed = await (
        await b.api("GET", "/api/v1/groups/relief/network", undefined, null)
      ).json();
      return feed.items.some((i: { objectId: string }) => i.objectId === need.objectId);
    });
    expect(
      (
        await b.api(
          "POST",
          "/api/v1/groups/relief/pledges",
          { objectId: need.objectId, quantity: { amount: 10, unit: "one" } },
          tokenB,
        )
      ).status,
    ).toBe(201);
    const responses = await waitFor("three responses", async () => {
      const list = await (
        await a.api("GET", `/api/v1/needs/${need.id}/responses`, undefined, tokenA)
      ).json();
      return list.items.length === 3 ? list.items : null;
    });
    // The coordinators see the helper's contact…
    expect(responses.find((r: { source: string }) => r.source === "local").contact).toBe(
      HELPER_CONTACT,
    );
    // …and accept everyone: Accept(Offer), direct messages, Updates go out.
    for (const r of responses) {
      const body = r.source === "agreement" ? {} : { quantity: { amount: 5, unit: "one" } };
      expect((await a.api("POST", `/api/v1/responses/${r.id}/accept`, body, tokenA)).status).toBe(
        200,
      );
    }
    await a.api("PATCH", `/api/v1/needs/${need.id}`, { status: "fulfilled" }, tokenA);
    const reopened = await (
      await a.api("POST", `/api/v1/needs/${need.id}/reopen`, {}, tokenA)
    ).json();
    expect(reopened.contact).toBe(NEEDER_CONTACT);

    // What anyone can read: objects, collections, pages, public API answers.
    for (const path of [
      need.objectId,
      reopened.objectId,
      offer.objectId,
      `${groupA}/outbox`,
      `${groupA}/outbox?cursor=`,
      `${groupA}/followers`,
    ]) {
      await alice.fetchJson(path);
      await alice.fetchSigned(path).catch(() => null);
    }
    for (const path of [
      need.url,
      offer.url,
      reopened.url,
      groupA,
      `/api/v1/needs/${need.id}`,
      `/api/v1/needs/${reopened.id}`,
      `/api/v1/offers/${offer.id}`,
      "/api/v1/groups/food/needs",
      "/api/v1/groups/food/offers",
    ]) {
      const res = await fetch(new URL(path, a.config.origin), { headers: { accept: "text/html" } });
      expect(res.status).toBeLessThan(400);
    }
    await waitFor("B to hear of the acceptance", async () => {
      const pledges = await (
        await b.api("GET", "/api/v1/groups/relief/pledges", undefined, tokenB)
      ).json();
      return pledges.items[0]?.state === "accepted";
    });
    await waitFor("alice to get her direct message", () =>
      alice.wire.some((body) => body.includes("accepted your offer")),
    );
  });

  it("sent no private value in any delivery, fetch, page or public answer", () => {
    expect(
      traffic.filter((t) => t.direction === "sent" && t.url.endsWith("/inbox")).length,
    ).toBeGreaterThan(8);
    const leaked = traffic
      .map((t) => ({ url: t.url, direction: t.direction, found: leaks(t.body) }))
      .filter((t) => t.found.length > 0);
    expect(leaked).toEqual([]);
    // The Mastodon-shaped peer's raw inbox bytes, read independently.
    expect(alice.wire.length).toBeGreaterThan(3);
    for (const body of alice.wire) expect(leaks(body)).toEqual([]);
  });

  it("kept coordinates coarse outside the instance", () => {
    const objects = traffic.filter((t) => t.body.includes("Rizal Street clinic"));
    expect(objects.length).toBeGreaterThan(0);
    expect(objects.some((t) => t.body.includes("14.6") && t.body.includes("120.98"))).toBe(true);
  });

  it("wrote no private value to any log line", () => {
    expect(logs.length).toBeGreaterThan(0);
    const text = JSON.stringify(logs, (_key, value) =>
      typeof value === "bigint" ? String(value) : value instanceof Error ? value.message : value,
    );
    expect(leaks(text)).toEqual([]);
  });

  it("shares the exact point only when the coordinator chooses it", async () => {
    const site = await (
      await a.api(
        "POST",
        "/api/v1/groups/food/offers",
        {
          title: "Water refill station",
          category: "water",
          location: { name: "Plaza", latitude: 14.123456, longitude: 121.654321, exact: true },
        },
        tokenA,
      )
    ).json();
    const object = (await alice.fetchJson(site.objectId)).json as {
      location: Record<string, unknown>;
    };
    expect(object.location).toMatchObject({ latitude: 14.123456, longitude: 121.654321 });
    const publicView = await (
      await a.api("GET", `/api/v1/offers/${site.id}`, undefined, null)
    ).json();
    expect(publicView.location).toMatchObject({ latitude: 14.123456, exact: true });
  });
});
