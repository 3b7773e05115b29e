import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createTestDatabase } from "../../test/helpers/database.ts";
import { newId } from "../domain/ids.ts";
import type { RemoteProposal } from "../domain/remote-proposal.ts";
import type { DatabaseHandle } from "./connect.ts";
import { findActorLinks } from "./incidents.repo.ts";
import {
  addRemoteShare,
  deleteRemoteProposal,
  findRemoteProposal,
  listNetwork,
  removeRemoteShare,
  storeRemoteProposal,
} from "./remote-proposals.repo.ts";

const T0 = Temporal.Instant.from("2026-11-27T10:00:00Z");
const AUTHOR = "https://b.example/groups/relief";
const ALLY = "https://c.example/groups/water";
const STRANGER = "https://d.example/groups/nobody";
const REFUSER = "https://f.example/groups/closed";

function remote(overrides: Partial<RemoteProposal> = {}): RemoteProposal {
  return {
    objectId: "https://b.example/objects/1",
    originActorId: AUTHOR,
    kind: "proposal",
    purpose: "request",
    title: "Coolers",
    summaryText: "For the clinic",
    category: "medication",
    categoryUri: "urn:bayanihan:category:medication",
    quantity: { amount: "20.5", unit: "one" },
    remainingAmount: "20.5",
    quantityStep: "0.1",
    intentId: "https://b.example/objects/1#primary",
    location: { name: "Clinic", latitude: 14.6, longitude: 120.98 },
    urgency: "high",
    status: "open",
    expiresAt: Temporal.Instant.from("2027-01-15T18:00:00Z"),
    url: "https://b.example/needs/1",
    publishedAt: T0,
    updatedAt: T0,
    incident: null,
    originActorName: null,
    originActorHandle: null,
    ...overrides,
  };
}

describe("remote proposals repository", () => {
  let handle: DatabaseHandle;
  let groupId: string;
  const db = () => handle.db;

  beforeAll(async () => {
    handle = await createTestDatabase();
    groupId = newId();
    const now = new Date();
    await db()
      .insertInto("groups")
      .values({
        id: groupId,
        handle: "food",
        name: "Food",
        summary: "",
        follow_policy: "open",
        created_at: now,
        updated_at: now,
      })
      .execute();
    const follow = (actorId: string, state: "accepted" | "pending" | "rejected") => ({
      id: newId(),
      group_id: groupId,
      actor_id: actorId,
      inbox_url: `${actorId}/inbox`,
      shared_inbox_url: null,
      follow_activity_id: `https://a.example/follows/${newId()}`,
      state,
      created_at: now,
      updated_at: now,
    });
    await db()
      .insertInto("following")
      .values([
        follow(AUTHOR, "accepted"),
        follow(ALLY, "accepted"),
        follow(STRANGER, "pending"),
        follow(REFUSER, "rejected"),
      ])
      .execute();
  });
  afterAll(async () => {
    await handle?.close();
  });

  it("answers lookups made together with one statement, each with its own actor's links", async () => {
    let statements = 0;
    const counted = db().withPlugin({
      transformQuery: (args) => args.node,
      transformResult: async (args) => {
        statements++;
        return args.result;
      },
    });
    const links = await Promise.all(
      [AUTHOR, STRANGER, REFUSER, "https://e.example/x", AUTHOR].map((actor) =>
        findActorLinks(counted, actor),
      ),
    );
    expect(statements).toBe(1);
    expect(links.map((l) => l.followedBy)).toEqual(["food", "food", null, null, "food"]);
  });

  it("finds the group that follows an actor, pending follows included, rejected ones not", async () => {
    expect((await findActorLinks(db(), AUTHOR)).followedBy).toBe("food");
    // Its first Create may be handled before its Accept.
    expect((await findActorLinks(db(), STRANGER)).followedBy).toBe("food");
    expect((await findActorLinks(db(), REFUSER)).followedBy).toBeNull();
    expect((await findActorLinks(db(), "https://e.example/x")).followedBy).toBeNull();
  });

  it("stores one row per object and applies only strictly newer versions", async () => {
    const first = await storeRemoteProposal(db(), remote(), newId(), T0);
    expect(first?.outcome).toBe("inserted");
    // A replay, and an older version, change nothing.
    const replay = await storeRemoteProposal(db(), remote({ title: "Replayed" }), newId(), T0);
    expect(replay).toEqual({ id: first!.id, outcome: "unchanged" });
    const older = await storeRemoteProposal(
      db(),
      remote({ title: "Older", updatedAt: T0.subtract({ seconds: 1 }) }),
      newId(),
      T0,
    );
    expect(older?.outcome).toBe("unchanged");
    const newer = await storeRemoteProposal(
      db(),
      remote({ status: "pledged", quantity: null, updatedAt: T0.add({ milliseconds: 1 }) }),
      newId(),
      T0,
    );
    expect(newer).toEqual({ id: first!.id, outcome: "updated" });
    // Another author cannot take the id over, however new its copy.
    const hijack = await storeRemoteProposal(
      db(),
      remote({ originActorId: STRANGER, title: "Hijack", updatedAt: T0.add({ hours: 24 }) }),
      newId(),
      T0,
    );
    expect(hijack).toBeNull();
    const stored = await findRemoteProposal(db(), remote().objectId);
    expect(stored).toMatchObject({
      id: first!.id,
      title: "Coolers",
      status: "pledged",
      quantity: null,
      originActorId: AUTHOR,
      updatedAt: T0.add({ milliseconds: 1 }),
    });
  });

  it("round-trips every field", async () => {
    const value = remote({
      objectId: "https://b.example/objects/2",
      incident: "https://b.example/incidents/lena",
      originActorName: "City B Food",
      originActorHandle: "food@b.example",
    });
    await storeRemoteProposal(db(), value, newId(), T0);
    const stored = await findRemoteProposal(db(), value.objectId);
    expect(stored).toEqual({
      ...value,
      id: expect.any(String),
      receivedAt: T0,
      // Stored means read from the origin just now: confirmed, not stale.
      confirmedAt: T0,
      stale: false,
      sharedBy: [],
    });
    await deleteRemoteProposal(db(), value.objectId, AUTHOR);
  });

  it("lists the feed with filters, shares from followed actors only, and keyset pages", async () => {
    const shared = remote({
      objectId: "https://e.example/objects/shared",
      originActorId: "https://e.example/groups/far",
      purpose: "offer",
      category: "food",
      publishedAt: T0.add({ hours: 1 }),
      updatedAt: T0.add({ hours: 1 }),
    });
    const post = remote({
      objectId: "https://b.example/notes/3",
      kind: "post",
      purpose: null,
      category: null,
      urgency: null,
      publishedAt: T0.add({ hours: 2 }),
      updatedAt: T0.add({ hours: 2 }),
    });
    const unrelated = remote({
      objectId: "https://f.example/objects/9",
      originActorId: "https://f.example/groups/other",
    });
    const sharedRow = await storeRemoteProposal(db(), shared, newId(), T0);
    await storeRemoteProposal(db(), post, newId(), T0);
    await storeRemoteProposal(db(), unrelated, newId(), T0);
    for (const sharer of [ALLY, STRANGER]) {
      await addRemoteShare(
        db(),
        { remoteProposalId: sharedRow!.id, sharerActorId: sharer, announceId: `${sharer}#a1` },
        T0,
      );
    }
    // A repeated Announce refreshes the share instead of adding one.
    await addRemoteShare(
      db(),
      { remoteProposalId: sharedRow!.id, sharerActorId: ALLY, announceId: `${ALLY}#a2` },
      T0,
    );

    const all = await listNetwork(db(), { groupId, limit: 10 });
    expect(all.map((p) => p.objectId)).toEqual([post.objectId, shared.objectId, remote().objectId]);
    expect(all[1]!.sharedBy).toEqual([ALLY]);
    const filtered = async (q: object) =>
      (await listNetwork(db(), { groupId, limit: 10, ...q })).map((p) => p.objectId);
    expect(await filtered({ purpose: "offer" })).toEqual([shared.objectId]);
    expect(await filtered({ kind: "post" })).toEqual([post.objectId]);
    expect(await filtered({ status: "pledged" })).toEqual([remote().objectId]);
    expect(await filtered({ statuses: ["open", "pledged"], kind: "proposal" })).toEqual([
      shared.objectId,
      remote().objectId,
    ]);
    expect(await filtered({ statuses: ["open"], kind: "proposal" })).toEqual([shared.objectId]);
    expect(await filtered({ statuses: [] })).toEqual([]);
    expect(await filtered({ category: "food", kind: "proposal" })).toEqual([shared.objectId]);
    expect(await filtered({ urgency: "low" })).toEqual([]);

    const first = await listNetwork(db(), { groupId, limit: 2 });
    const last = first.at(-1)!;
    const second = await listNetwork(db(), {
      groupId,
      limit: 2,
      after: { publishedAt: last.publishedAt, id: last.id },
    });
    expect([...first, ...second].map((p) => p.objectId)).toEqual(all.map((p) => p.objectId));

    // Undo by the wrong sharer or Announce id changes nothing; the right one removes it.
    expect(await removeRemoteShare(db(), STRANGER, `${ALLY}#a2`)).toBe(false);
    expect(await removeRemoteShare(db(), ALLY, `${ALLY}#a1`)).toBe(false);
    expect(await removeRemoteShare(db(), ALLY, `${ALLY}#a2`)).toBe(true);
    expect(await filtered({})).toEqual([post.objectId, remote().objectId]);
  });

  it("deletes only for the author, with the shares", async () => {
    const row = await findRemoteProposal(db(), "https://e.example/objects/shared");
    expect(row?.sharedBy).toEqual([STRANGER]);
    expect(await deleteRemoteProposal(db(), row!.objectId, ALLY)).toBe(false);
    expect(await deleteRemoteProposal(db(), row!.objectId, row!.originActorId)).toBe(true);
    expect(await findRemoteProposal(db(), row!.objectId)).toBeNull();
    const shares = await db().selectFrom("remote_shares").selectAll().execute();
    expect(shares).toEqual([]);
  });
});
