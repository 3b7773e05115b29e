import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createTestDatabase } from "../../test/helpers/database.ts";
import { boundingBox } from "../domain/geo.ts";
import { newId } from "../domain/ids.ts";
import type { Proposal } from "../domain/proposal.ts";
import type { RemoteProposal } from "../domain/remote-proposal.ts";
import type { DatabaseHandle } from "./connect.ts";
import { listLocalCandidates, listRemoteCandidates } from "./match-candidates.repo.ts";
import { insertProposal } from "./proposals.repo.ts";
import { addRemoteShare, storeRemoteProposal } from "./remote-proposals.repo.ts";

const NOW = Temporal.Instant.from("2026-12-01T12:00:00Z");
const FOLLOWED = "https://b.example/groups/relief";
const SHARER = "https://c.example/groups/water";
const STRANGER = "https://d.example/groups/nobody";
// Fiji's Taveuni, on the antimeridian.
const TAVEUNI = { latitude: -16.8, longitude: 179.95 };

/**
 * The candidate pools on a real database: the box and the antimeridian in
 * SQL, the per-pool limit, and which rows may be candidates at all.
 */
describe("matching candidates repository", () => {
  let handle: DatabaseHandle;
  let groupId: string;
  let otherGroupId: string;
  const db = () => handle.db;

  function offer(title: string, overrides: Partial<Proposal> = {}): Proposal {
    return {
      id: newId(),
      groupId: otherGroupId,
      purpose: "offer",
      title,
      description: "",
      category: "food",
      quantity: null,
      location: null,
      urgency: "normal",
      expiresAt: null,
      audience: "public",
      contact: null,
      status: "open",
      pledgedAmount: "0",
      previousId: null,
      createdAt: NOW.subtract({ hours: 1 }),
      updatedAt: NOW.subtract({ hours: 1 }),
      ...overrides,
    };
  }
  const at = (latitude: number, longitude: number) => ({ name: "Here", latitude, longitude });

  function remote(title: string, overrides: Partial<RemoteProposal> = {}): RemoteProposal {
    return {
      objectId: `https://b.example/objects/${newId()}`,
      originActorId: FOLLOWED,
      kind: "proposal",
      purpose: "offer",
      title,
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
      publishedAt: NOW.subtract({ hours: 1 }),
      updatedAt: NOW.subtract({ hours: 1 }),
      ...overrides,
    };
  }

  const near = (km: number) => ({
    center: TAVEUNI,
    box: boundingBox(TAVEUNI, km),
  });
  const base = { purpose: "offer" as const, category: "food" as const, now: NOW, limit: 50 };

  beforeAll(async () => {
    handle = await createTestDatabase();
    groupId = newId();
    otherGroupId = newId();
    const now = new Date();
    await db()
      .insertInto("groups")
      .values([
        {
          id: groupId,
          handle: "food",
          name: "Food",
          summary: "",
          follow_policy: "open",
          created_at: now,
          updated_at: now,
        },
        {
          id: otherGroupId,
          handle: "other",
          name: "Other",
          summary: "",
          follow_policy: "open",
          created_at: now,
          updated_at: now,
        },
      ])
      .execute();
    await db()
      .insertInto("following")
      .values(
        [FOLLOWED, SHARER].map((actorId) => ({
          id: newId(),
          group_id: groupId,
          actor_id: actorId,
          inbox_url: `${actorId}/inbox`,
          shared_inbox_url: null,
          follow_activity_id: `https://a.example/follows/${newId()}`,
          state: "accepted" as const,
          created_at: now,
          updated_at: now,
        })),
      )
      .execute();

    for (const proposal of [
      offer("west of the line", { location: at(-16.8, 179.9) }),
      offer("east of the line", { location: at(-16.8, -179.9) }),
      offer("far east", { location: at(-16.8, -170) }),
      offer("no coordinates"),
      offer("own followers-only", { groupId, audience: "followers", location: at(-16.8, 179.95) }),
      offer("other followers-only", { audience: "followers", location: at(-16.8, 179.95) }),
      offer("pledged", { status: "pledged", location: at(-16.8, 179.95) }),
      offer("closed", { status: "closed", location: at(-16.8, 179.95) }),
      offer("lapsed", { expiresAt: NOW.subtract({ minutes: 1 }), location: at(-16.8, 179.95) }),
      offer("water", { category: "water", location: at(-16.8, 179.95) }),
      offer("a need", { purpose: "request", location: at(-16.8, 179.95) }),
    ]) {
      await insertProposal(db(), proposal);
    }
    const deleted = offer("deleted", { location: at(-16.8, 179.95) });
    await insertProposal(db(), deleted);
    await db()
      .updateTable("proposals")
      .set({ deleted_at: now })
      .where("id", "=", deleted.id)
      .execute();

    const store = (value: RemoteProposal) => storeRemoteProposal(db(), value, newId(), NOW);
    await store(remote("remote east of the line", { location: at(-16.8, -179.95) }));
    await store(remote("remote no coordinates"));
    await store(remote("remote closed", { status: "closed", location: at(-16.8, 179.95) }));
    await store(remote("remote request", { purpose: "request", location: at(-16.8, 179.95) }));
    await store(
      remote("remote from a stranger", {
        originActorId: STRANGER,
        objectId: `https://d.example/objects/${newId()}`,
        location: at(-16.8, 179.95),
      }),
    );
    const shared = await store(
      remote("shared by a followed group", {
        originActorId: STRANGER,
        objectId: `https://d.example/objects/${newId()}`,
        location: at(-16.8, 179.96),
      }),
    );
    await addRemoteShare(
      db(),
      { remoteProposalId: shared!.id, sharerActorId: SHARER, announceId: `${SHARER}#a1` },
      NOW,
    );
    // Shared and authored by a followed actor: listed once.
    const both = await store(remote("authored and shared", { location: at(-16.79, 179.95) }));
    await addRemoteShare(
      db(),
      { remoteProposalId: both!.id, sharerActorId: SHARER, announceId: `${SHARER}#a2` },
      NOW,
    );
  });
  afterAll(async () => {
    await handle?.close();
  });

  const titlesOf = (rows: readonly { proposal: Proposal }[]) => rows.map((r) => r.proposal.title);

  it("finds local candidates on both sides of the antimeridian, nearest first, then the unlocated", async () => {
    const rows = await listLocalCandidates(db(), { ...base, area: near(50), ownGroupId: null });
    expect(titlesOf(rows)).toEqual([
      "pledged",
      "west of the line",
      "east of the line",
      "no coordinates",
    ]);
    expect(rows[0]!.groupHandle).toBe("other");
  });

  it("includes the group's own followers-only offers only when asked", async () => {
    const rows = await listLocalCandidates(db(), { ...base, area: near(50), ownGroupId: groupId });
    expect(titlesOf(rows)).toContain("own followers-only");
    expect(titlesOf(rows)).not.toContain("other followers-only");
  });

  it("without an area, takes the newest of every place", async () => {
    const rows = await listLocalCandidates(db(), { ...base, area: null, ownGroupId: null });
    expect(titlesOf(rows).sort()).toEqual(
      ["east of the line", "far east", "no coordinates", "pledged", "west of the line"].sort(),
    );
  });

  it("bounds each pool by the limit", async () => {
    const rows = await listLocalCandidates(db(), {
      ...base,
      limit: 1,
      area: near(50),
      ownGroupId: null,
    });
    expect(titlesOf(rows)).toEqual(["pledged", "no coordinates"]);
  });

  it("finds remote candidates authored or re-shared by followed groups, once each", async () => {
    const rows = await listRemoteCandidates(db(), { ...base, area: near(50), groupId });
    expect(rows.map((r) => r.title)).toEqual([
      "shared by a followed group",
      "authored and shared",
      "remote east of the line",
      "remote no coordinates",
    ]);
    const newest = await listRemoteCandidates(db(), { ...base, area: null, groupId });
    expect(newest.map((r) => r.title).sort()).toEqual(
      [
        "authored and shared",
        "remote east of the line",
        "remote no coordinates",
        "shared by a followed group",
      ].sort(),
    );
    const other = await listRemoteCandidates(db(), {
      ...base,
      area: near(50),
      groupId: otherGroupId,
    });
    expect(other).toEqual([]);
  });
});
