import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { newId } from "../src/domain/ids.ts";
import { startTestInstance, type TestInstance } from "./helpers/instance.ts";
import { type RemoteActor, startRemoteActor } from "./helpers/remote-actor.ts";

const AS_CONTEXT = "https://www.w3.org/ns/activitystreams";
const PUBLIC = "https://www.w3.org/ns/activitystreams#Public";

interface NetworkItem {
  objectId: string;
  group: string;
  kind: "proposal" | "post";
  purpose: string | null;
  title: string;
  summary: string;
  status: string;
  sharedBy: string[];
  [key: string]: unknown;
}

/**
 * Receiving needs and offers: two real instances on two loopback addresses
 * (A follows B's group) and a plain-Fedify server on a third (alice, whom A
 * follows too), all over real HTTP with verified signatures.
 */
describe("the network feed: needs and offers received from followed groups", () => {
  let a: TestInstance;
  let b: TestInstance;
  let alice: RemoteActor;
  let tokenB: string;
  let relief: string;
  let food: string;

  const groupId = async (instance: TestInstance, handle: string) =>
    (
      await instance.database.db
        .selectFrom("groups")
        .select("id")
        .where("handle", "=", handle)
        .executeTakeFirstOrThrow()
    ).id;

  async function network(query = ""): Promise<NetworkItem[]> {
    const res = await a.api("GET", `/api/v1/groups/food/network${query}`, undefined, null);
    if (res.status !== 200) throw new Error(`network feed answered ${res.status}`);
    return (await res.json()).items;
  }

  async function itemOf(objectId: string, query = ""): Promise<NetworkItem | undefined> {
    return (await network(query)).find((item) => item.objectId === objectId);
  }

  /** Every queued message of an instance handled (inbox listeners included). */
  async function drained(instance: TestInstance): Promise<void> {
    await expect
      .poll(
        async () => {
          const pending = await instance.database.db
            .selectFrom("pending_activities")
            .select("id")
            .execute();
          const queued = await instance.database.db
            .selectFrom("fedify_queue")
            .select("id")
            .execute();
          return pending.length + queued.length;
        },
        { timeout: 15_000 },
      )
      .toBe(0);
  }

  const rowCount = async () =>
    (await a.database.db.selectFrom("remote_proposals").select("id").execute()).length;

  beforeAll(async () => {
    [a, b, alice] = await Promise.all([
      startTestInstance({ host: "127.0.0.1" }),
      startTestInstance({ host: "127.0.0.2" }),
      startRemoteActor("127.0.0.3"),
    ]);
    await a.api("POST", "/api/v1/groups", { handle: "food", name: "City A Food" });
    await b.api("POST", "/api/v1/groups", { handle: "relief", name: "City B Relief" });
    tokenB = (await (await b.api("POST", "/api/v1/groups/relief/tokens")).json()).token;
    food = `${a.config.origin.origin}/groups/food`;
    relief = `${b.config.origin.origin}/groups/relief`;
    const now = new Date();
    // A's food group follows B's relief group and alice (accepted)…
    await a.database.db
      .insertInto("following")
      .values([
        {
          id: newId(),
          group_id: await groupId(a, "food"),
          actor_id: relief,
          inbox_url: `${relief}/inbox`,
          shared_inbox_url: `${b.config.origin.origin}/inbox`,
          follow_activity_id: `${food}#follows/relief`,
          state: "accepted",
          created_at: now,
          updated_at: now,
        },
        {
          id: newId(),
          group_id: await groupId(a, "food"),
          actor_id: alice.actorId.href,
          inbox_url: alice.inbox.href,
          shared_inbox_url: alice.sharedInbox.href,
          follow_activity_id: `${food}#follows/alice`,
          state: "accepted",
          created_at: now,
          updated_at: now,
        },
      ])
      .execute();
    // …and B knows A as an accepted follower, so B delivers to A.
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
  });
  afterAll(async () => {
    await Promise.all([a?.stop(), b?.stop(), alice?.close()]);
  });

  let need: { id: string; objectId: string; url: string; createdAt: string };

  it("shows a need B publishes in A's feed, with its structured fields", async () => {
    const res = await b.api(
      "POST",
      "/api/v1/groups/relief/needs",
      {
        title: "20 insulin coolers",
        description: "For the clinic.\nMust keep 2–8 °C.",
        category: "medication",
        quantity: { amount: 20, unit: "one" },
        location: { name: "Rizal Street clinic", latitude: 14.59951, longitude: 120.98423 },
        urgency: "high",
        expiresAt: "2027-01-15T18:00:00Z",
        contact: "Ana, +63 917 555 0101",
      },
      tokenB,
    );
    expect(res.status).toBe(201);
    need = await res.json();
    await expect
      .poll(() => itemOf(need.objectId, "?purpose=request&status=open"), { timeout: 15_000 })
      .toBeDefined();
    const item = await itemOf(need.objectId, "?purpose=request&status=open");
    expect(item).toEqual({
      objectId: need.objectId,
      group: relief,
      kind: "proposal",
      purpose: "request",
      title: "20 insulin coolers",
      summary: expect.stringContaining("For the clinic.\nMust keep 2–8 °C."),
      category: "medication",
      categoryUri: "urn:bayanihan:category:medication",
      quantity: { amount: 20, unit: "one", pledged: 0, remaining: 20 },
      location: { name: "Rizal Street clinic", latitude: 14.6, longitude: 120.98 },
      urgency: "high",
      status: "open",
      expiresAt: "2027-01-15T18:00:00Z",
      url: need.url,
      publishedAt: expect.any(String),
      updatedAt: expect.any(String),
      sharedBy: [],
      confirmedAt: expect.any(String),
      stale: false,
    });
    expect(Date.parse(item!.publishedAt as string)).toBe(Date.parse(need.createdAt));
    expect(item!.updatedAt).toBe(item!.publishedAt);
    // Plain text only, and the private contact never left B.
    expect(item!.summary).not.toContain("+63 917");
    expect(item!.summary).not.toMatch(/<\/?p>/);
    // Filters.
    expect(await itemOf(need.objectId, "?purpose=offer")).toBeUndefined();
    expect(await itemOf(need.objectId, "?category=food")).toBeUndefined();
    expect(await itemOf(need.objectId, "?urgency=high&category=medication")).toBeDefined();
    // Nobody else's feed: B's group follows no one.
    const bFeed = await (
      await b.api("GET", "/api/v1/groups/relief/network", undefined, null)
    ).json();
    expect(bFeed.items).toEqual([]);
  });

  it("applies B's status change to A's copy", async () => {
    const res = await b.api("PATCH", `/api/v1/needs/${need.id}`, { status: "pledged" }, tokenB);
    expect(res.status).toBe(200);
    const edited = await res.json();
    await expect
      .poll(async () => (await itemOf(need.objectId))?.status, { timeout: 15_000 })
      .toBe("pledged");
    const item = await itemOf(need.objectId);
    expect(Date.parse(item?.updatedAt as string)).toBe(Date.parse(edited.updatedAt));
    expect(await itemOf(need.objectId, "?status=open")).toBeUndefined();
    expect(await itemOf(need.objectId, "?status=pledged")).toBeDefined();
  });

  it("refuses Updates and Deletes of B's need from anyone but B", async () => {
    const before = await itemOf(need.objectId);
    const inbox = new URL("/inbox", a.config.origin);
    const aliceOrigin = alice.origin.href;
    // Alice's own page claiming to be B's need, and one attributing itself to B.
    const claimsId = alice.publish("/objects/claims-id", {
      "@context": AS_CONTEXT,
      id: need.objectId,
      type: "Note",
      attributedTo: alice.actorId.href,
      to: [PUBLIC],
      content: "forged",
    });
    const claimsAuthor = alice.publish("/objects/claims-author", {
      "@context": AS_CONTEXT,
      id: `${aliceOrigin}objects/claims-author`,
      type: "Note",
      attributedTo: relief,
      to: [PUBLIC],
      content: "forged",
    });
    const forgedObject = {
      id: need.objectId,
      type: "Note",
      attributedTo: relief,
      to: [PUBLIC],
      name: "FORGED",
      content: "forged",
    };
    const forgeries = [
      { type: "Update", actor: alice.actorId.href, object: need.objectId },
      { type: "Update", actor: alice.actorId.href, object: forgedObject },
      { type: "Delete", actor: alice.actorId.href, object: need.objectId },
      {
        type: "Delete",
        actor: alice.actorId.href,
        object: { type: "Tombstone", id: need.objectId },
      },
      { type: "Create", actor: alice.actorId.href, object: claimsId.href },
      { type: "Create", actor: alice.actorId.href, object: claimsAuthor.href },
      { type: "Announce", actor: alice.actorId.href, object: claimsAuthor.href },
    ];
    for (const [i, forgery] of forgeries.entries()) {
      const res = await alice.postSigned(inbox, {
        "@context": AS_CONTEXT,
        id: `${aliceOrigin}forgeries/${i}`,
        to: [PUBLIC],
        ...forgery,
      });
      expect(res.status, JSON.stringify(forgery)).toBe(202);
    }
    // Claiming to be B while signing as alice does not get past the inbox.
    const impersonation = await alice.postSigned(inbox, {
      "@context": AS_CONTEXT,
      id: `${aliceOrigin}forgeries/as-b`,
      type: "Delete",
      actor: relief,
      object: need.objectId,
    });
    expect(impersonation.status).toBe(401);
    await drained(a);
    expect(await itemOf(need.objectId)).toEqual(before);
    expect(await rowCount()).toBe(1);
  });

  it("keeps only public objects: a followers-only need stays out of the public feed", async () => {
    const res = await b.api(
      "POST",
      "/api/v1/groups/relief/needs",
      { title: "Names of evacuees", category: "other", audience: "followers" },
      tokenB,
    );
    expect(res.status).toBe(201);
    await drained(b);
    await drained(a);
    expect(await rowCount()).toBe(1);
  });

  let note: URL;

  it("keeps a plain Note from a followed actor as a post, not a need", async () => {
    note = alice.publish("/notes/1", {
      "@context": AS_CONTEXT,
      id: `${alice.origin.href}notes/1`,
      type: "Note",
      attributedTo: alice.actorId.href,
      to: [PUBLIC],
      content: "<p>Blankets needed at the gym<script>alert(1)</script></p><p>Thanks &amp; love</p>",
      published: "2026-11-27T08:00:00Z",
    });
    const res = await alice.postSigned(new URL("/inbox", a.config.origin), {
      "@context": AS_CONTEXT,
      id: `${note.href}#create`,
      type: "Create",
      actor: alice.actorId.href,
      to: [PUBLIC],
      object: note.href,
    });
    expect(res.status).toBe(202);
    await expect.poll(() => itemOf(note.href), { timeout: 15_000 }).toBeDefined();
    expect(await itemOf(note.href)).toMatchObject({
      kind: "post",
      group: alice.actorId.href,
      purpose: null,
      category: null,
      quantity: null,
      urgency: null,
      summary: "Blankets needed at the gym\n\nThanks & love",
      publishedAt: "2026-11-27T08:00:00Z",
    });
    expect(await itemOf(note.href, "?kind=post")).toBeDefined();
    expect(await itemOf(note.href, "?purpose=request")).toBeUndefined();
    expect(await itemOf(note.href, "?status=open")).toBeUndefined();
    expect(await itemOf(need.objectId, "?kind=post")).toBeUndefined();
  });

  it("adds a share when a followed actor announces B's need, without a second row", async () => {
    const announceId = `${alice.origin.href}announces/1`;
    const announce = {
      "@context": AS_CONTEXT,
      id: announceId,
      type: "Announce",
      actor: alice.actorId.href,
      to: [PUBLIC],
      // The embedded copy is ignored: the object is fetched from B.
      object: { id: need.objectId, type: "Note", attributedTo: relief, name: "FORGED" },
    };
    const inbox = new URL("/inbox", a.config.origin);
    expect((await alice.postSigned(inbox, announce)).status).toBe(202);
    await expect
      .poll(async () => (await itemOf(need.objectId))?.sharedBy, { timeout: 15_000 })
      .toEqual([alice.actorId.href]);
    // Announced again (another id): still one share, one row.
    expect((await alice.postSigned(inbox, { ...announce, id: `${announceId}/again` })).status).toBe(
      202,
    );
    await drained(a);
    const items = (await network()).filter((item) => item.objectId === need.objectId);
    expect(items).toHaveLength(1);
    expect(items[0]).toMatchObject({ title: "20 insulin coolers", status: "pledged" });
    expect(items[0]!.sharedBy).toEqual([alice.actorId.href]);
    expect(await rowCount()).toBe(2);

    // Undo(Announce) of the latest Announce withdraws the share.
    const undo = await alice.postSigned(inbox, {
      "@context": AS_CONTEXT,
      id: `${announceId}/again/undo`,
      type: "Undo",
      actor: alice.actorId.href,
      object: {
        id: `${announceId}/again`,
        type: "Announce",
        actor: alice.actorId.href,
        object: need.objectId,
      },
    });
    expect(undo.status).toBe(202);
    await expect
      .poll(async () => (await itemOf(need.objectId))?.sharedBy, { timeout: 15_000 })
      .toEqual([]);
    // Shared once more, for the Delete below.
    expect((await alice.postSigned(inbox, { ...announce, id: `${announceId}/3` })).status).toBe(
      202,
    );
    await expect
      .poll(async () => (await itemOf(need.objectId))?.sharedBy, { timeout: 15_000 })
      .toEqual([alice.actorId.href]);
  });

  it("removes A's copy, and its shares, when B deletes the need", async () => {
    const res = await b.api("DELETE", `/api/v1/needs/${need.id}`, undefined, tokenB);
    expect(res.status).toBe(204);
    await expect.poll(() => itemOf(need.objectId), { timeout: 15_000 }).toBeUndefined();
    const shares = await a.database.db.selectFrom("remote_shares").selectAll().execute();
    expect(shares).toEqual([]);
    expect(await itemOf(note.href)).toBeDefined();
  });

  it("pages newest first and shows only what the group follows", async () => {
    const page = await (
      await a.api("GET", "/api/v1/groups/food/network?limit=1", undefined, null)
    ).json();
    expect(page.items).toHaveLength(1);
    expect(typeof page.nextCursor).toBe("string");
    const next = await (
      await a.api(
        "GET",
        `/api/v1/groups/food/network?limit=1&cursor=${page.nextCursor}`,
        undefined,
        null,
      )
    ).json();
    expect(next.items).toEqual([]);
    expect(
      (await a.api("GET", "/api/v1/groups/food/network?cursor=bad", undefined, null)).status,
    ).toBe(400);
    expect((await a.api("GET", "/api/v1/groups/nobody/network", undefined, null)).status).toBe(404);
    // Unfollowing alice takes her post out of the feed.
    await a.database.db
      .deleteFrom("following")
      .where("actor_id", "=", alice.actorId.href)
      .execute();
    expect(await itemOf(note.href)).toBeUndefined();
  });
});
