import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { addRemoteShare, storeRemoteProposal } from "../src/db/remote-proposals.repo.ts";
import { newId } from "../src/domain/ids.ts";
import type { RemoteProposal } from "../src/domain/remote-proposal.ts";
import { ADMIN_TOKEN, startTestInstance, type TestInstance } from "./helpers/instance.ts";
import { waitFor } from "./helpers/wait.ts";

interface MatchItem {
  kind: "local" | "remote";
  id?: string;
  objectId: string;
  url: string;
  group: string;
  purpose: string;
  title: string;
  category: string;
  quantity: { amount: number; unit: string } | null;
  location: { name: string; latitude: number | null; longitude: number | null } | null;
  distanceKm: number | null;
  score: number;
  reasons: { type: string; [key: string]: unknown }[];
  explanation: string;
  [key: string]: unknown;
}

/**
 * Matching on a running instance (A), with a second instance (B) whose
 * relief group A's food group follows: B's offer reaches A through the real
 * federation path (signed delivery, fetch from origin); the other remote
 * rows, whose point is the ranking, are stored through the repository.
 */
describe("GET /api/v1/needs/{id}/matches and /offers/{id}/matches", () => {
  let a: TestInstance;
  let b: TestInstance;
  const tokens: Record<string, string> = {};
  let relief: string;
  let need: { id: string; objectId: string };
  const offers: Record<string, { id: string; objectId: string }> = {};
  const remoteIds: Record<string, string> = {};

  const groupId = async (instance: TestInstance, handle: string) =>
    (
      await instance.database.db
        .selectFrom("groups")
        .select("id")
        .where("handle", "=", handle)
        .executeTakeFirstOrThrow()
    ).id;

  async function publish(
    instance: TestInstance,
    handle: string,
    kind: "needs" | "offers",
    body: Record<string, unknown>,
  ): Promise<{ id: string; objectId: string }> {
    const res = await instance.api(
      "POST",
      `/api/v1/groups/${handle}/${kind}`,
      { category: "food", ...body },
      tokens[handle],
    );
    expect(res.status, await res.clone().text()).toBe(201);
    return res.json();
  }

  async function matches(path: string, token: string | null = null): Promise<MatchItem[]> {
    const res = await a.api("GET", path, undefined, token);
    expect(res.status, await res.clone().text()).toBe(200);
    return (await res.json()).items;
  }

  const titles = (items: MatchItem[]) => items.map((i) => i.title);

  function remote(overrides: Partial<RemoteProposal>): RemoteProposal {
    const now = Temporal.Now.instant();
    return {
      objectId: `https://c.example/objects/${newId()}`,
      originActorId: "https://c.example/groups/ally",
      kind: "proposal",
      purpose: "offer",
      title: "Remote offer",
      summaryText: "",
      category: "food",
      categoryUri: "urn:bayanihan:category:food",
      quantity: null,
      remainingAmount: null,
      quantityStep: null,
      intentId: null,
      location: null,
      urgency: null,
      status: "open",
      expiresAt: null,
      url: null,
      publishedAt: now,
      updatedAt: now,
      ...overrides,
    };
  }

  async function storeRemote(key: string, value: RemoteProposal): Promise<string> {
    const stored = await storeRemoteProposal(a.database.db, value, newId(), Temporal.Now.instant());
    expect(stored?.outcome).toBe("inserted");
    remoteIds[key] = value.objectId;
    return stored!.id;
  }

  beforeAll(async () => {
    [a, b] = await Promise.all([
      startTestInstance({ host: "127.0.0.1" }),
      startTestInstance({ host: "127.0.0.2" }),
    ]);
    for (const handle of ["food", "north", "south"]) {
      await a.api("POST", "/api/v1/groups", { handle, name: `City A ${handle}` });
      tokens[handle] = (
        await (await a.api("POST", `/api/v1/groups/${handle}/tokens`)).json()
      ).token;
    }
    await b.api("POST", "/api/v1/groups", { handle: "relief", name: "City B Relief" });
    tokens.relief = (await (await b.api("POST", "/api/v1/groups/relief/tokens")).json()).token;

    // A's food group follows B's relief group (accepted), and B delivers to A.
    relief = `${b.config.origin.origin}/groups/relief`;
    const food = `${a.config.origin.origin}/groups/food`;
    const now = new Date();
    await a.database.db
      .insertInto("following")
      .values({
        id: newId(),
        group_id: await groupId(a, "food"),
        actor_id: relief,
        inbox_url: `${relief}/inbox`,
        shared_inbox_url: `${b.config.origin.origin}/inbox`,
        follow_activity_id: `${food}#follows/relief`,
        state: "accepted",
        created_at: now,
        updated_at: now,
      })
      .execute();
    await b.database.db
      .insertInto("followers")
      .values({
        id: newId(),
        group_id: await groupId(b, "relief"),
        actor_id: food,
        inbox_url: `${food}/inbox`,
        shared_inbox_url: `${a.config.origin.origin}/inbox`,
        follow_activity_id: null,
        state: "accepted",
        created_at: now,
        updated_at: now,
      })
      .execute();

    // The need: 40 kg of rice at an exact address in Manila.
    need = await publish(a, "food", "needs", {
      title: "Rice for 40 families",
      quantity: { amount: 40, unit: "kilogram" },
      location: { name: "Tondo hall", latitude: 14.59951, longitude: 120.98423 },
      urgency: "high",
      contact: "Lita, +63 917 555 0199",
    });

    // Local offers, in other groups and the need's own.
    offers.near = await publish(a, "north", "offers", {
      title: "Near, covers",
      quantity: { amount: 50, unit: "kilogram" },
      location: { name: "Binondo depot", latitude: 14.61234, longitude: 121.00567 },
      contact: "Private depot phone 0917 111 2222",
    });
    offers.partial = await publish(a, "south", "offers", {
      title: "Near, partial",
      quantity: { amount: 10.5, unit: "kilogram" },
      location: { name: "Sampaloc", latitude: 14.61, longitude: 121.0 },
    });
    offers.litres = await publish(a, "north", "offers", {
      title: "Near, in litres",
      quantity: { amount: 30, unit: "litre" },
      location: { name: "Quiapo", latitude: 14.6, longitude: 120.99 },
    });
    offers.unlocated = await publish(a, "north", "offers", {
      title: "No coordinates, covers",
      quantity: { amount: 100, unit: "kilogram" },
      location: { name: "Somewhere in the city" },
    });
    offers.far = await publish(a, "south", "offers", {
      title: "Far, 120 km",
      quantity: { amount: 50, unit: "kilogram" },
      location: { name: "Batangas road", latitude: 13.5, longitude: 120.98 },
    });
    offers.ownHidden = await publish(a, "food", "offers", {
      title: "Own followers-only",
      location: { name: "Tondo", latitude: 14.6, longitude: 120.98 },
      audience: "followers",
    });
    offers.otherHidden = await publish(a, "north", "offers", {
      title: "Another group's followers-only",
      location: { name: "Tondo", latitude: 14.6, longitude: 120.98 },
      audience: "followers",
    });
    offers.closed = await publish(a, "north", "offers", {
      title: "Closed",
      location: { name: "Tondo", latitude: 14.6, longitude: 120.98 },
    });
    expect(
      (
        await a.api(
          "PATCH",
          `/api/v1/offers/${offers.closed.id}`,
          { status: "closed" },
          tokens.north,
        )
      ).status,
    ).toBe(200);
    offers.water = await publish(a, "north", "offers", {
      title: "Water, not food",
      category: "water",
      location: { name: "Tondo", latitude: 14.6, longitude: 120.98 },
    });
    offers.otherNeed = await publish(a, "north", "needs", {
      title: "Another need",
      location: { name: "Tondo", latitude: 14.6, longitude: 120.98 },
    });
    offers.lapsed = await publish(a, "north", "offers", {
      title: "Past its expiry, not yet swept",
      location: { name: "Tondo", latitude: 14.6, longitude: 120.98 },
    });
    await a.database.db
      .updateTable("proposals")
      .set({ expires_at: new Date(Date.now() - 60_000) })
      .where("id", "=", offers.lapsed.id)
      .execute();

    // B's offer travels over real federation into A's network feed.
    offers.fromB = await publish(b, "relief", "offers", {
      title: "Rice from City B",
      quantity: { amount: 40, unit: "kilogram" },
      location: { name: "Caloocan warehouse", latitude: 14.65432, longitude: 120.98765 },
      contact: "B's private warehouse phone",
    });
    await waitFor("B's offer in A's network", async () =>
      a.database.db
        .selectFrom("remote_proposals")
        .select("id")
        .where("object_id", "=", offers.fromB!.objectId)
        .executeTakeFirst(),
    );

    // Remote rows whose point is the ranking: one shared by relief (in the
    // feed), one by an actor nobody follows, one closed.
    const shared = await storeRemote(
      "shared",
      remote({
        title: "Shared by relief, no quantity",
        location: { name: "Pasay", latitude: 14.54, longitude: 121.0 },
        urgency: "critical",
      }),
    );
    await addRemoteShare(
      a.database.db,
      { remoteProposalId: shared, sharerActorId: relief, announceId: `${relief}#announce/1` },
      Temporal.Now.instant(),
    );
    await storeRemote(
      "stranger",
      remote({
        title: "From a group nobody follows",
        originActorId: "https://d.example/groups/nobody",
        objectId: `https://d.example/objects/${newId()}`,
        location: { name: "Tondo", latitude: 14.6, longitude: 120.98 },
      }),
    );
    const closed = await storeRemote(
      "closedShared",
      remote({ title: "Shared but closed", status: "closed" }),
    );
    await addRemoteShare(
      a.database.db,
      { remoteProposalId: closed, sharerActorId: relief, announceId: `${relief}#announce/2` },
      Temporal.Now.instant(),
    );
  });

  afterAll(async () => {
    await Promise.all([a?.stop(), b?.stop()]);
  });

  it("ranks local and remote offers, nearest and best-covering first, each with its reasons", async () => {
    const items = await matches(`/api/v1/needs/${need.id}/matches`);
    expect(titles(items)).toEqual([
      // Located and within 50 km, by score: full cover and nearer first.
      "Near, covers",
      "Rice from City B",
      "Near, partial",
      "Shared by relief, no quantity",
      "Near, in litres",
      // Unknown distance ranks below every located-and-near match.
      "No coordinates, covers",
    ]);
    const scores = items.map((i) => i.score);
    expect([...scores].sort((x, y) => y - x)).toEqual(scores);

    const fromB = items[1]!;
    expect(fromB).toMatchObject({
      kind: "remote",
      objectId: offers.fromB!.objectId,
      group: relief,
      purpose: "offer",
      category: "food",
      quantity: { amount: 40, unit: "kilogram" },
      location: { name: "Caloocan warehouse", latitude: 14.65, longitude: 120.99 },
    });
    expect(fromB.id).toBeUndefined();
    expect(fromB.url).toMatch(/^http:\/\/127\.0\.0\.2:\d+\/offers\//);
    expect(fromB.reasons.find((r) => r.type === "quantity-covers")).toEqual({
      type: "quantity-covers",
      unit: "kilogram",
      needed: "40",
      available: "40",
    });

    const near = items[0]!;
    expect(near).toMatchObject({
      kind: "local",
      id: offers.near!.id,
      objectId: offers.near!.objectId,
      group: `${a.config.origin.origin}/groups/north`,
      url: `${a.config.origin.origin}/offers/${offers.near!.id}`,
      quantity: { amount: 50, unit: "kilogram" },
    });
    // Between the rounded places (14.60, 120.98) and (14.61, 121.01).
    expect(near.distanceKm).toBe(3.4);
    expect(near.reasons).toEqual([
      { type: "same-category", category: "food" },
      { type: "distance", km: 3.4, maxKm: 50 },
      { type: "quantity-covers", unit: "kilogram", needed: "40", available: "50" },
    ]);
    expect(near.explanation).toBe(
      "Same category (Food); 3.4 km away; 50 kg available covers the 40 kg needed.",
    );

    const partial = items[2]!;
    expect(partial.reasons.find((r) => r.type === "quantity-partial")).toEqual({
      type: "quantity-partial",
      unit: "kilogram",
      needed: "40",
      available: "10.5",
      shortfall: "29.5",
    });
    const shared = items[3]!;
    expect(shared).toMatchObject({ kind: "remote", urgency: "critical" });
    expect(shared.reasons.map((r) => r.type)).toEqual([
      "same-category",
      "distance",
      "quantity-unspecified",
      "urgency",
    ]);
    expect(items[4]!.reasons.find((r) => r.type === "units-differ")).toMatchObject({
      neededUnit: "kilogram",
      availableUnit: "litre",
    });
    const unlocated = items[5]!;
    expect(unlocated.distanceKm).toBeNull();
    expect(unlocated.reasons).toContainEqual({ type: "distance-unknown", missing: "candidate" });
    expect(unlocated.explanation).toContain("distance unknown");
  });

  it("never shows a contact or an exact coordinate", async () => {
    for (const token of [null, tokens.food!]) {
      const res = await a.api("GET", `/api/v1/needs/${need.id}/matches?km=500`, undefined, token);
      const text = await res.text();
      expect(res.status).toBe(200);
      expect(text).not.toContain("contact");
      expect(text).not.toContain("0917 111 2222");
      expect(text).not.toContain("warehouse phone");
      for (const exact of ["14.61234", "121.00567", "14.65432", "120.98765", "14.59951"]) {
        expect(text).not.toContain(exact);
      }
      for (const item of JSON.parse(text).items as MatchItem[]) {
        for (const value of [item.location?.latitude, item.location?.longitude]) {
          if (value != null) expect(Math.round(value * 100) / 100).toBe(value);
        }
      }
    }
  });

  it("leaves out other purposes, categories, finished, lapsed, hidden and unfollowed candidates", async () => {
    const shown = new Set(titles(await matches(`/api/v1/needs/${need.id}/matches?km=20000`)));
    for (const title of [
      "Another group's followers-only",
      "Own followers-only",
      "Closed",
      "Water, not food",
      "Another need",
      "Past its expiry, not yet swept",
      "From a group nobody follows",
      "Shared but closed",
    ]) {
      expect(shown.has(title), title).toBe(false);
    }
    expect(shown.has("Far, 120 km")).toBe(true);
  });

  it("suggests the group's own followers-only offers to its coordinators only", async () => {
    const asFood = titles(await matches(`/api/v1/needs/${need.id}/matches`, tokens.food));
    expect(asFood).toContain("Own followers-only");
    expect(asFood).not.toContain("Another group's followers-only");
    const asAdmin = titles(await matches(`/api/v1/needs/${need.id}/matches`, ADMIN_TOKEN));
    expect(asAdmin).toContain("Own followers-only");
    const asNorth = titles(await matches(`/api/v1/needs/${need.id}/matches`, tokens.north));
    expect(asNorth).not.toContain("Own followers-only");
    expect(asNorth).not.toContain("Another group's followers-only");
  });

  it("takes ?km= and ?limit=", async () => {
    expect(titles(await matches(`/api/v1/needs/${need.id}/matches`))).not.toContain("Far, 120 km");
    const wide = await matches(`/api/v1/needs/${need.id}/matches?km=200`);
    const far = wide.find((i) => i.title === "Far, 120 km");
    expect(far?.distanceKm).toBe(122.3);
    expect(far?.reasons).toContainEqual({ type: "distance", km: far?.distanceKm, maxKm: 200 });
    const narrow = titles(await matches(`/api/v1/needs/${need.id}/matches?km=3`));
    expect(narrow).not.toContain("Near, covers");
    expect(narrow).toContain("No coordinates, covers");
    expect(titles(await matches(`/api/v1/needs/${need.id}/matches?limit=2`))).toEqual([
      "Near, covers",
      "Rice from City B",
    ]);
  });

  it("is described in the OpenAPI document", async () => {
    const doc = await (await a.api("GET", "/api/openapi.json", undefined, null)).json();
    for (const path of ["/api/v1/needs/{id}/matches", "/api/v1/offers/{id}/matches"]) {
      const operation = doc.paths[path]?.get;
      expect(operation, path).toBeDefined();
      expect(operation.parameters.map((p: { name: string }) => p.name).sort()).toEqual([
        "id",
        "km",
        "limit",
      ]);
    }
    expect(Object.keys(doc.components.schemas)).toEqual(
      expect.arrayContaining(["Match", "MatchReason"]),
    );
  });

  it("answers bad parameters with a 400 JSON error", async () => {
    for (const query of [
      "km=0",
      "km=-5",
      "km=20001",
      "km=abc",
      "km=Infinity",
      "limit=0",
      "limit=101",
      "limit=2.5",
    ]) {
      const res = await a.api("GET", `/api/v1/needs/${need.id}/matches?${query}`, undefined, null);
      expect(res.status, query).toBe(400);
      const body = await res.json();
      expect(body.error, query).toBe("invalid_request");
      expect(typeof body.message).toBe("string");
    }
    expect(
      (await a.api("GET", `/api/v1/needs/${need.id}/matches?km=20000`, undefined, null)).status,
    ).toBe(200);
    expect((await a.api("GET", "/api/v1/needs/not-a-uuid/matches", undefined, null)).status).toBe(
      400,
    );
  });

  it("follows the proposal's own visibility: followers-only needs need a coordinator token", async () => {
    const hidden = await publish(a, "food", "needs", {
      title: "Followers-only need",
      location: { name: "Tondo", latitude: 14.6, longitude: 120.98 },
      audience: "followers",
    });
    const path = `/api/v1/needs/${hidden.id}/matches`;
    const anonymous = await a.api("GET", path, undefined, null);
    expect(anonymous.status).toBe(404);
    expect((await anonymous.json()).error).toBe("not_found");
    expect((await a.api("GET", path, undefined, tokens.north)).status).toBe(404);
    expect((await a.api("GET", path, undefined, "not-a-token")).status).toBe(401);
    expect(titles(await matches(path, tokens.food))).toContain("Near, covers");
  });

  it("answers 404 for the wrong kind, an unknown id or a deleted need", async () => {
    expect(
      (await a.api("GET", `/api/v1/needs/${offers.near!.id}/matches`, undefined, null)).status,
    ).toBe(404);
    expect((await a.api("GET", `/api/v1/offers/${need.id}/matches`, undefined, null)).status).toBe(
      404,
    );
    expect((await a.api("GET", `/api/v1/needs/${newId()}/matches`, undefined, null)).status).toBe(
      404,
    );
    const gone = await publish(a, "food", "needs", { title: "To be deleted" });
    expect((await a.api("DELETE", `/api/v1/needs/${gone.id}`, undefined, tokens.food)).status).toBe(
      204,
    );
    expect((await a.api("GET", `/api/v1/needs/${gone.id}/matches`, undefined, null)).status).toBe(
      404,
    );
  });

  it("has no matches for a finished need", async () => {
    const done = await publish(a, "food", "needs", {
      title: "Already fulfilled",
      location: { name: "Tondo", latitude: 14.6, longitude: 120.98 },
    });
    await a.api("PATCH", `/api/v1/needs/${done.id}`, { status: "fulfilled" }, tokens.food);
    expect(await matches(`/api/v1/needs/${done.id}/matches`)).toEqual([]);
  });

  it("matches an offer with needs, local and remote, the other way round", async () => {
    await storeRemote(
      "remoteNeed",
      remote({
        title: "Remote need from relief",
        originActorId: relief,
        objectId: `${relief.replace("/groups/relief", "")}/objects/${newId()}`,
        purpose: "request",
        quantity: { amount: "100", unit: "kilogram" },
        location: { name: "Malabon", latitude: 14.66, longitude: 120.96 },
      }),
    );
    const items = await matches(`/api/v1/offers/${offers.ownHidden!.id}/matches`, tokens.food);
    expect(items.every((i) => i.purpose === "request")).toBe(true);
    expect(titles(items)).toContain("Rice for 40 families");
    expect(titles(items)).toContain("Remote need from relief");
    // North's need has no quantity, and neither has this offer: neutral, still a match.
    const other = items.find((i) => i.title === "Another need");
    expect(other?.reasons).toContainEqual({ type: "quantity-unspecified", missing: "both" });
    const ours = items.find((i) => i.title === "Rice for 40 families");
    expect(ours?.reasons).toContainEqual({ type: "quantity-unspecified", missing: "subject" });
    expect(ours?.reasons).toContainEqual({ type: "urgency", urgency: "high" });
  });

  it("leaves out a remote copy of one of this instance's own objects", async () => {
    await storeRemote(
      "echo",
      remote({
        title: "Echo of a local offer",
        originActorId: relief,
        objectId: `${a.config.origin.origin}/objects/${newId()}`,
        location: { name: "Tondo", latitude: 14.6, longitude: 120.98 },
      }),
    );
    const shown = titles(await matches(`/api/v1/needs/${need.id}/matches`));
    expect(shown).not.toContain("Echo of a local offer");
    expect(shown).toContain("Rice from City B");
  });
});
