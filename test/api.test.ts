import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ADMIN_TOKEN, startTestInstance, type TestInstance } from "./helpers/instance.ts";

const need = {
  title: "20 insulin coolers",
  description: "For the clinic on Rizal Street.\n\nCoolers must hold 2–8 °C.",
  category: "medication",
  quantity: { amount: 20, unit: "one" },
  location: { name: "Rizal Street clinic", latitude: 14.5995, longitude: 120.9842 },
  urgency: "high",
  contact: "Maria, +63 917 000 0000",
};

describe("HTTP API", () => {
  let instance: TestInstance;
  let coordinatorToken: string;
  let otherToken: string;

  beforeAll(async () => {
    instance = await startTestInstance();
    for (const handle of ["food", "other"]) {
      const res = await instance.api("POST", "/api/v1/groups", {
        handle,
        name: `The ${handle} collective`,
      });
      expect(res.status).toBe(201);
    }
    coordinatorToken = (await (await instance.api("POST", "/api/v1/groups/food/tokens")).json())
      .token;
    otherToken = (await (await instance.api("POST", "/api/v1/groups/other/tokens")).json()).token;
  });
  afterAll(async () => {
    await instance?.stop();
  });

  async function countRows(table: "groups" | "proposals" | "api_tokens"): Promise<number> {
    const row = await instance.database.db
      .selectFrom(table)
      .select((eb) => eb.fn.countAll<string>().as("n"))
      .executeTakeFirstOrThrow();
    return Number(row.n);
  }

  describe("collectives", () => {
    it("creates a group with the contract's fields", async () => {
      const res = await instance.api("POST", "/api/v1/groups", {
        handle: "shelter",
        name: "Shelter network",
        summary: "Beds & rooms",
        followPolicy: "approval",
      });
      expect(res.status).toBe(201);
      const group = await res.json();
      expect(group).toMatchObject({
        handle: "shelter",
        name: "Shelter network",
        summary: "Beds & rooms",
        followPolicy: "approval",
        actorId: `${instance.config.origin.origin}/groups/shelter`,
        url: `${instance.config.origin.origin}/groups/shelter`,
      });
      const fetched = await (
        await instance.api("GET", "/api/v1/groups/shelter", undefined, null)
      ).json();
      expect(fetched).toEqual(group);
    });

    it("refuses group creation without the admin token, and changes nothing", async () => {
      const before = await countRows("groups");
      const anonymous = await instance.api(
        "POST",
        "/api/v1/groups",
        { handle: "x1", name: "X" },
        null,
      );
      expect(anonymous.status).toBe(401);
      expect(await anonymous.json()).toMatchObject({ error: "unauthorized" });
      const coordinator = await instance.api(
        "POST",
        "/api/v1/groups",
        { handle: "x2", name: "X" },
        coordinatorToken,
      );
      expect(coordinator.status).toBe(403);
      const badToken = await instance.api(
        "POST",
        "/api/v1/groups",
        { handle: "x3", name: "X" },
        "nope",
      );
      expect(badToken.status).toBe(401);
      expect(await countRows("groups")).toBe(before);
    });

    it("answers 409 for a taken handle and 400 for an invalid one", async () => {
      const taken = await instance.api("POST", "/api/v1/groups", { handle: "food", name: "Again" });
      expect(taken.status).toBe(409);
      expect(await taken.json()).toMatchObject({ error: "conflict" });
      for (const handle of ["Food", "a-b", "", "x".repeat(31)]) {
        const res = await instance.api("POST", "/api/v1/groups", { handle, name: "Bad" });
        expect(res.status).toBe(400);
        const body = await res.json();
        expect(body.error).toBe("invalid_request");
        expect(body.message).toContain("handle");
      }
    });

    it("answers malformed JSON with 400, never 500", async () => {
      const res = await instance.api("POST", "/api/v1/groups", '{"handle": "broken",');
      expect(res.status).toBe(400);
      expect(await res.json()).toMatchObject({ error: "invalid_json" });
      expect(await countRows("groups")).toBeGreaterThan(0);
    });

    it("refuses bodies over 1 MB with 413", async () => {
      const before = await countRows("proposals");
      const res = await instance.api(
        "POST",
        "/api/v1/groups/food/needs",
        { ...need, description: "x".repeat(1_100_000) },
        coordinatorToken,
      );
      expect(res.status).toBe(413);
      expect(await res.json()).toMatchObject({ error: "payload_too_large" });
      expect(await countRows("proposals")).toBe(before);
    });

    it("answers unknown groups and endpoints with JSON 404", async () => {
      const res = await instance.api("GET", "/api/v1/groups/nobody", undefined, null);
      expect(res.status).toBe(404);
      expect(await res.json()).toMatchObject({ error: "not_found" });
      const unknown = await instance.api("GET", "/api/v1/nothing-here", undefined, null);
      expect(unknown.status).toBe(404);
      expect(await unknown.json()).toMatchObject({ error: "not_found" });
    });

    it("stores only a digest of coordinator tokens", async () => {
      const rows = await instance.database.db
        .selectFrom("api_tokens")
        .select("token_digest")
        .execute();
      expect(rows.length).toBeGreaterThanOrEqual(2);
      for (const row of rows) {
        expect(row.token_digest).not.toContain(coordinatorToken);
        expect(row.token_digest).toMatch(/^[0-9a-f]{64}$/);
      }
    });
  });

  describe("needs and offers", () => {
    it("publishes a need and shows contact to coordinators only", async () => {
      const res = await instance.api("POST", "/api/v1/groups/food/needs", need, coordinatorToken);
      expect(res.status).toBe(201);
      const created = await res.json();
      expect(created).toMatchObject({
        status: "open",
        purpose: "request",
        title: need.title,
        category: "medication",
        quantity: { amount: 20, unit: "one" },
        urgency: "high",
        audience: "public",
        contact: need.contact,
      });
      expect(created.objectId).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/objects\//);
      expect(created.url).toMatch(/\/needs\//);

      const publicView = await (
        await instance.api("GET", `/api/v1/needs/${created.id}`, undefined, null)
      ).json();
      expect(publicView.title).toBe(need.title);
      expect(publicView).not.toHaveProperty("contact");
      expect(JSON.stringify(publicView)).not.toContain("+63 917");

      const otherCoordinator = await (
        await instance.api("GET", `/api/v1/needs/${created.id}`, undefined, otherToken)
      ).json();
      expect(otherCoordinator).not.toHaveProperty("contact");

      const list = await (
        await instance.api("GET", "/api/v1/groups/food/needs?status=open", undefined, null)
      ).json();
      expect(list.items.map((i: { id: string }) => i.id)).toContain(created.id);
      expect(JSON.stringify(list)).not.toContain("+63 917");

      // A need is not an offer.
      expect(
        (await instance.api("GET", `/api/v1/offers/${created.id}`, undefined, null)).status,
      ).toBe(404);
    });

    it("validates input field by field and stores nothing on failure", async () => {
      const before = await countRows("proposals");
      const cases: [Record<string, unknown>, string][] = [
        [{ ...need, category: "snacks" }, "category"],
        [{ ...need, quantity: { amount: 5, unit: "bucket" } }, "quantity.unit"],
        [{ ...need, quantity: { amount: -1, unit: "one" } }, "quantity.amount"],
        [{ ...need, location: { name: "x", latitude: 95, longitude: 0 } }, "location.latitude"],
        [{ ...need, location: { name: "x", latitude: 10 } }, "latitude and longitude"],
        [{ ...need, title: "   " }, "title"],
        [{ ...need, urgency: "whenever" }, "urgency"],
        [{ ...need, expiresAt: "next friday" }, "expiresAt"],
        [{ ...need, surprise: true }, "surprise"],
      ];
      for (const [body, mentioned] of cases) {
        const res = await instance.api("POST", "/api/v1/groups/food/needs", body, coordinatorToken);
        expect(res.status, JSON.stringify(body)).toBe(400);
        const error = await res.json();
        expect(error.error).toBe("invalid_request");
        expect(JSON.stringify(error)).toContain(mentioned);
      }
      const past = await instance.api(
        "POST",
        "/api/v1/groups/food/needs",
        { ...need, expiresAt: "2020-01-01T00:00:00Z" },
        coordinatorToken,
      );
      expect(past.status).toBe(400);
      expect(await countRows("proposals")).toBe(before);
    });

    it("lets only the group's coordinators or the admin publish", async () => {
      expect((await instance.api("POST", "/api/v1/groups/food/needs", need, null)).status).toBe(
        401,
      );
      expect(
        (await instance.api("POST", "/api/v1/groups/food/needs", need, otherToken)).status,
      ).toBe(403);
      expect(
        (await instance.api("POST", "/api/v1/groups/food/offers", need, ADMIN_TOKEN)).status,
      ).toBe(201);
    });

    it("moves status forward only", async () => {
      const created = await (
        await instance.api("POST", "/api/v1/groups/food/needs", need, coordinatorToken)
      ).json();
      const path = `/api/v1/needs/${created.id}`;
      const pledged = await instance.api("PATCH", path, { status: "pledged" }, coordinatorToken);
      expect(pledged.status).toBe(200);
      expect((await pledged.json()).status).toBe("pledged");
      const back = await instance.api("PATCH", path, { status: "open" }, coordinatorToken);
      expect(back.status).toBe(409);
      expect((await back.json()).message).toContain("pledged");
      const expired = await instance.api("PATCH", path, { status: "expired" }, coordinatorToken);
      expect(expired.status).toBe(400);
      expect(
        (await instance.api("PATCH", path, { status: "fulfilled" }, coordinatorToken)).status,
      ).toBe(200);
      const edit = await instance.api("PATCH", path, { title: "Changed" }, coordinatorToken);
      expect(edit.status).toBe(409);
      const current = await (await instance.api("GET", path, undefined, null)).json();
      expect(current).toMatchObject({ status: "fulfilled", title: need.title });

      const direct = await (
        await instance.api("POST", "/api/v1/groups/food/offers", need, coordinatorToken)
      ).json();
      const fulfilled = await instance.api(
        "PATCH",
        `/api/v1/offers/${direct.id}`,
        { status: "fulfilled" },
        coordinatorToken,
      );
      expect(fulfilled.status).toBe(200);
    });

    it("edits fields, clears optional ones, and bumps updatedAt", async () => {
      const created = await (
        await instance.api("POST", "/api/v1/groups/food/needs", need, coordinatorToken)
      ).json();
      const res = await instance.api(
        "PATCH",
        `/api/v1/needs/${created.id}`,
        {
          title: "25 insulin coolers",
          quantity: { amount: 25, unit: "one" },
          location: null,
          contact: null,
        },
        coordinatorToken,
      );
      expect(res.status).toBe(200);
      const updated = await res.json();
      expect(updated).toMatchObject({
        title: "25 insulin coolers",
        quantity: { amount: 25, unit: "one" },
        location: null,
        contact: null,
      });
      expect(Date.parse(updated.updatedAt)).toBeGreaterThan(Date.parse(created.updatedAt));
      const forbidden = await instance.api(
        "PATCH",
        `/api/v1/needs/${created.id}`,
        { title: "x" },
        otherToken,
      );
      expect(forbidden.status).toBe(403);
    });

    it("hides followers-only needs from the public", async () => {
      const created = await (
        await instance.api(
          "POST",
          "/api/v1/groups/food/needs",
          { ...need, audience: "followers" },
          coordinatorToken,
        )
      ).json();
      expect(
        (await instance.api("GET", `/api/v1/needs/${created.id}`, undefined, null)).status,
      ).toBe(404);
      expect(
        (await instance.api("GET", `/api/v1/needs/${created.id}`, undefined, coordinatorToken))
          .status,
      ).toBe(200);
      const publicList = await (
        await instance.api("GET", "/api/v1/groups/food/needs", undefined, null)
      ).json();
      expect(publicList.items.map((i: { id: string }) => i.id)).not.toContain(created.id);
      const page = await instance.api("GET", `/needs/${created.id}`, undefined, null);
      expect(page.status).toBe(404);
    });

    it("deletes a need; its object id is then gone", async () => {
      const created = await (
        await instance.api("POST", "/api/v1/groups/food/needs", need, coordinatorToken)
      ).json();
      expect(
        (await instance.api("DELETE", `/api/v1/needs/${created.id}`, undefined, coordinatorToken))
          .status,
      ).toBe(204);
      expect(
        (await instance.api("GET", `/api/v1/needs/${created.id}`, undefined, coordinatorToken))
          .status,
      ).toBe(404);
      const object = await fetch(created.objectId, {
        headers: { accept: "application/activity+json" },
      });
      expect([404, 410]).toContain(object.status);
      const row = await instance.database.db
        .selectFrom("proposals")
        .select(["contact", "title", "deleted_at"])
        .where("id", "=", created.id)
        .executeTakeFirstOrThrow();
      expect(row).toMatchObject({ contact: null, title: "" });
      expect(row.deleted_at).not.toBeNull();
      expect(
        (await instance.api("DELETE", `/api/v1/needs/${created.id}`, undefined, coordinatorToken))
          .status,
      ).toBe(404);
    });

    it("pages with a keyset cursor, newest first, without repeats", async () => {
      await instance.api("POST", "/api/v1/groups", { handle: "pager", name: "Pager" });
      for (let i = 0; i < 7; i++) {
        const res = await instance.api("POST", "/api/v1/groups/pager/offers", {
          ...need,
          title: `Offer ${i}`,
        });
        expect(res.status).toBe(201);
      }
      const seen: string[] = [];
      let cursor: string | null = null;
      do {
        const query: string = cursor === null ? "?limit=3" : `?limit=3&cursor=${cursor}`;
        const page = await (
          await instance.api("GET", `/api/v1/groups/pager/offers${query}`, undefined, null)
        ).json();
        seen.push(...page.items.map((i: { title: string }) => i.title));
        cursor = page.nextCursor;
      } while (cursor !== null);
      expect(seen).toEqual([
        "Offer 6",
        "Offer 5",
        "Offer 4",
        "Offer 3",
        "Offer 2",
        "Offer 1",
        "Offer 0",
      ]);
      const bad = await instance.api(
        "GET",
        "/api/v1/groups/pager/offers?cursor=garbage",
        undefined,
        null,
      );
      expect(bad.status).toBe(400);
    });
  });

  describe("discovery", () => {
    it("serves the OpenAPI document, health and the category vocabulary", async () => {
      const doc = await (await instance.api("GET", "/api/openapi.json", undefined, null)).json();
      expect(doc.openapi).toBe("3.1.0");
      expect(Object.keys(doc.paths)).toEqual(
        expect.arrayContaining([
          "/api/v1/groups",
          "/api/v1/groups/{handle}/needs",
          "/api/v1/needs/{id}",
        ]),
      );
      expect(await (await instance.api("GET", "/healthz", undefined, null)).json()).toEqual({
        status: "ok",
      });
      const categories = await (
        await instance.api("GET", "/api/v1/categories", undefined, null)
      ).json();
      expect(categories.items).toHaveLength(16);
      expect(categories.items[0]).toMatchObject({
        slug: "food",
        uri: "urn:bayanihan:category:food",
      });
    });

    it("answers WebFinger and NodeInfo", async () => {
      const host = instance.config.origin.host;
      const wf = await instance.api(
        "GET",
        `/.well-known/webfinger?resource=acct:food@${host}`,
        undefined,
        null,
      );
      expect(wf.status).toBe(200);
      const jrd = await wf.json();
      expect(jrd.subject).toBe(`acct:food@${host}`);
      expect(jrd.links).toContainEqual(
        expect.objectContaining({
          rel: "self",
          type: "application/activity+json",
          href: `${instance.config.origin.origin}/groups/food`,
        }),
      );
      const links = await (
        await instance.api("GET", "/.well-known/nodeinfo", undefined, null)
      ).json();
      const nodeinfoUrl = links.links.find((l: { rel: string }) => l.rel.endsWith("/2.1")).href;
      const nodeinfo = await (await fetch(nodeinfoUrl)).json();
      expect(nodeinfo.software.name).toBe("bayanihan");
      expect(nodeinfo.protocols).toEqual(["activitypub"]);
    });

    it("serves a group's page to browsers and its actor to ActivityPub clients", async () => {
      const page = await fetch(new URL("/groups/food", instance.config.origin), {
        headers: { accept: "text/html" },
      });
      expect(page.status).toBe(200);
      const text = await page.text();
      expect(text).toContain('<link rel="alternate" type="application/activity+json"');
      expect(text).toContain("The food collective");
      const actor = await fetch(new URL("/groups/food", instance.config.origin), {
        headers: { accept: "application/activity+json" },
      });
      expect(actor.headers.get("content-type")).toContain("application/activity+json");
      const json = await actor.json();
      expect(json).toMatchObject({
        type: "Group",
        id: `${instance.config.origin.origin}/groups/food`,
        preferredUsername: "food",
        name: "The food collective",
        inbox: `${instance.config.origin.origin}/groups/food/inbox`,
        outbox: `${instance.config.origin.origin}/groups/food/outbox`,
        followers: `${instance.config.origin.origin}/groups/food/followers`,
        endpoints: { sharedInbox: `${instance.config.origin.origin}/inbox` },
        discoverable: true,
        indexable: true,
        manuallyApprovesFollowers: false,
      });
      expect(json.publicKey).toMatchObject({
        id: expect.stringContaining("/groups/food#"),
        owner: `${instance.config.origin.origin}/groups/food`,
        publicKeyPem: expect.stringContaining("BEGIN PUBLIC KEY"),
      });
      expect(JSON.stringify(json.assertionMethod)).toContain("Multikey");
      expect(json.published).toMatch(/^\d{4}-/);
    });

    it("escapes user text in pages", async () => {
      await instance.api("POST", "/api/v1/groups", {
        handle: "xss",
        name: "<script>alert(1)</script>",
      });
      const html = await (await fetch(new URL("/groups/xss", instance.config.origin))).text();
      expect(html).not.toContain("<script>alert(1)</script>");
      expect(html).toContain("&lt;script&gt;");
    });
  });
});
