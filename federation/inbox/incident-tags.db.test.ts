import type { Context } from "@fedify/fedify";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { DatabaseHandle } from "../../src/db/connect.ts";
import { insertIncident } from "../../src/db/incidents.repo.ts";
import { storeRemoteProposal } from "../../src/db/remote-proposals.repo.ts";
import type { RemoteProposal } from "../../src/domain/remote-proposal.ts";
import { createGroup } from "../../src/services/groups.ts";
import { createTestDatabase, testEngine } from "../../test/helpers/database.ts";
import type { FederationDeps } from "../federation.ts";
import { keptIncidentTag } from "./incidents.ts";

const OWNER = "https://aid.example/groups/food";
const INCIDENT = "https://aid.example/incidents/flood";
/** Not a participant of the incident as this instance knows it. */
const AUTHOR = "https://far.example/groups/kitchen";

function need(n: number): RemoteProposal {
  const at = Temporal.Instant.from("2026-12-01T00:00:00Z");
  return {
    objectId: `https://far.example/needs/${n}`,
    originActorId: AUTHOR,
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
    incident: INCIDENT,
  };
}

/**
 * Which incident tag a received version keeps, when nothing but the stored
 * copy vouches for it: a tag the copy already holds (kept when the owner
 * re-shared it) survives a later version that arrives without the re-share,
 * as a direct Update or a reconciliation fetch brings it.
 */
describe(`keeping an incident tag (${testEngine})`, () => {
  let handle: DatabaseHandle;
  const now = Temporal.Instant.from("2026-12-07T01:00:00Z");
  let deps: FederationDeps;
  // A local incident: the participants are known here, nothing is fetched.
  const ctx = {} as Context<void>;
  const via = { handle: "food", announcedBy: null };

  beforeAll(async () => {
    handle = await createTestDatabase();
    const created = await createGroup(
      { db: handle.db, keys: { generate: async () => [] }, clock: () => now },
      { handle: "food", name: "Food", summary: "", followPolicy: "open" },
    );
    if (!created.ok) throw new Error("group not created");
    await insertIncident(handle.db, {
      id: "flood",
      objectId: INCIDENT,
      ownerActorId: OWNER,
      ownerInboxUrl: null,
      participantsUrl: null,
      groupId: created.group.id,
      name: "Flood",
      description: "",
      area: { kind: "circle", center: { latitude: 14.6, longitude: 121 }, radiusKm: 20 },
      startsAt: Temporal.Instant.from("2026-12-01T00:00:00Z"),
      endsAt: null,
      status: "open",
      createdAt: now,
      updatedAt: now,
    });
    // Need 1 was stored with the tag (the owner had re-shared it).
    await storeRemoteProposal(handle.db, need(1), "copy-1", now);
    deps = { db: handle.db, clock: () => now } as unknown as FederationDeps;
  });
  afterAll(async () => {
    await handle.close();
  });

  it("keeps the tag a stored copy holds on a version that comes without the re-share", async () => {
    const later = { ...need(1), title: "Need 1, edited", updatedAt: now };
    expect(await keptIncidentTag(ctx, deps, later, via)).toBe(INCIDENT);
  });

  it("still refuses the tag on a need of that author the copy never held", async () => {
    expect(await keptIncidentTag(ctx, deps, need(2), via)).toBeNull();
    // With the owner's re-share, it is kept.
    expect(await keptIncidentTag(ctx, deps, need(2), { ...via, announcedBy: OWNER })).toBe(
      INCIDENT,
    );
  });
});
