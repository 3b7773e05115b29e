import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createTestDatabase, testEngine } from "../../test/helpers/database.ts";
import type { DatabaseHandle } from "../db/connect.ts";
import { addRemoteShare, storeRemoteProposal } from "../db/remote-proposals.repo.ts";
import { toDate } from "../db/time.ts";
import type { Group } from "../domain/group.ts";
import type { RemoteProposal } from "../domain/remote-proposal.ts";
import { forgetDepartedActor } from "./departed-actors.ts";
import { createGroup } from "./groups.ts";

const GONE = "https://gone.example/groups/relief";
const STAYS = "https://stays.example/groups/kitchen";

function remoteNeed(author: string, n: number): RemoteProposal {
  const at = Temporal.Instant.from("2026-12-01T00:00:00Z");
  return {
    objectId: `${new URL(author).origin}/needs/${n}`,
    originActorId: author,
    kind: "proposal",
    purpose: "request",
    title: `Need ${n}`,
    summaryText: "",
    category: "water",
    categoryUri: null,
    quantity: null,
    remainingAmount: null,
    quantityStep: null,
    intentId: null,
    location: null,
    urgency: null,
    status: "open",
    expiresAt: null,
    url: null,
    publishedAt: at,
    updatedAt: at,
  };
}

describe(`forgetting a departed actor (${testEngine})`, () => {
  let handle: DatabaseHandle;
  let group: Group;
  const now = Temporal.Instant.from("2026-12-07T01:00:00Z");
  const deps = () => ({ db: handle.db, clock: () => now });

  beforeAll(async () => {
    handle = await createTestDatabase();
    const result = await createGroup(
      { db: handle.db, keys: { generate: async () => [] }, clock: () => now },
      { handle: "food", name: "Food", summary: "", followPolicy: "open" },
    );
    if (!result.ok) throw new Error("group not created");
    group = result.group;
    const db = handle.db;
    const at = toDate(now);
    for (const actor of [GONE, STAYS]) {
      await db
        .insertInto("followers")
        .values({
          id: `follower-${actor}`,
          group_id: group.id,
          actor_id: actor,
          inbox_url: `${actor}/inbox`,
          shared_inbox_url: null,
          follow_activity_id: `${actor}/follows/1`,
          state: "accepted",
          created_at: at,
          updated_at: at,
        })
        .execute();
      await db
        .insertInto("following")
        .values({
          id: `following-${actor}`,
          group_id: group.id,
          actor_id: actor,
          inbox_url: `${actor}/inbox`,
          shared_inbox_url: null,
          follow_activity_id: `https://aid.example/follows/${actor}`,
          state: "accepted",
          created_at: at,
          updated_at: at,
        })
        .execute();
    }
    const pledge = (id: string, target: string, state: "pending" | "accepted") => ({
      id,
      group_id: group.id,
      object_id: `${new URL(target).origin}/needs/1`,
      intent_id: `${new URL(target).origin}/needs/1#intent`,
      target_actor_id: target,
      offer_id: `https://aid.example/offers/${id}`,
      quantity_amount: null,
      quantity_unit: null,
      message: "",
      state,
      reason: null,
      agreement_id: null,
      created_at: at,
      updated_at: at,
    });
    await db
      .insertInto("pledges")
      .values([
        pledge("p-gone-pending", GONE, "pending"),
        pledge("p-gone-accepted", GONE, "accepted"),
        pledge("p-stays-pending", STAYS, "pending"),
      ])
      .execute();
    const gone = await storeRemoteProposal(db, remoteNeed(GONE, 1), "rp-gone", now);
    const stays = await storeRemoteProposal(db, remoteNeed(STAYS, 2), "rp-stays", now);
    // Each re-shared the other's need.
    await addRemoteShare(
      db,
      { remoteProposalId: stays!.id, sharerActorId: GONE, announceId: `${GONE}/a/1` },
      now,
    );
    await addRemoteShare(
      db,
      { remoteProposalId: gone!.id, sharerActorId: STAYS, announceId: `${STAYS}/a/1` },
      now,
    );
  });
  afterAll(async () => {
    await handle.close();
  });

  it("removes what the actor left, in one go, and nothing of anyone else", async () => {
    const forgotten = await forgetDepartedActor(deps(), new URL(GONE));
    expect(forgotten).toMatchObject({
      followers: 1,
      following: 1,
      pledges: 1,
      remoteProposals: 1,
      remoteShares: 1,
    });
    const db = handle.db;
    const actors = async (table: "followers" | "following") =>
      (await db.selectFrom(table).select("actor_id").execute()).map((row) => row.actor_id);
    expect(await actors("followers")).toEqual([STAYS]);
    expect(await actors("following")).toEqual([STAYS]);
    const pledges = await db
      .selectFrom("pledges")
      .select(["id", "state", "reason"])
      .orderBy("id")
      .execute();
    expect(pledges).toEqual([
      // Accepted ones stay as they were agreed.
      { id: "p-gone-accepted", state: "accepted", reason: null },
      { id: "p-gone-pending", state: "rejected", reason: expect.stringContaining("deleted") },
      { id: "p-stays-pending", state: "pending", reason: null },
    ]);
    // The group that pledged is told, as when a pledge is declined by hand.
    const notices = await db
      .selectFrom("notifications")
      .select(["group_id", "kind", "subject_id", "message"])
      .execute();
    expect(notices).toEqual([
      {
        group_id: group.id,
        kind: "pledge-answered",
        subject_id: "p-gone-pending",
        message: { key: "pledge-declined-actor-gone" },
      },
    ]);
    const copies = await db.selectFrom("remote_proposals").select("origin_actor_id").execute();
    expect(copies.map((row) => row.origin_actor_id)).toEqual([STAYS]);
    // Its re-share of the other need is gone; so is the other's re-share of its need.
    expect(await db.selectFrom("remote_shares").selectAll().execute()).toEqual([]);

    // Forgetting it again, or an actor never seen, changes nothing.
    const again = await forgetDepartedActor(deps(), new URL(GONE));
    expect(again).toMatchObject({ pledges: 0, followers: 0, rejectedPledges: [] });
    expect(Object.entries(again).every(([key, n]) => key === "rejectedPledges" || n === 0)).toBe(
      true,
    );
    expect(await db.selectFrom("notifications").select("id").execute()).toHaveLength(1);
  });
});
