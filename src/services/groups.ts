import type { Kysely } from "kysely";
import type { Database } from "../db/database.ts";
import { findGroupByHandle, insertGroup, updateGroupSettings } from "../db/groups.repo.ts";
import type { FollowPolicy, Group } from "../domain/group.ts";
import type { CheckedGroupSettings } from "../domain/group-input.ts";
import { newId } from "../domain/ids.ts";
import type { Clock, GroupActorPublisher, KeyPairGenerator } from "./ports.ts";

export interface GroupInput {
  readonly handle: string;
  readonly name: string;
  readonly summary: string;
  readonly followPolicy: FollowPolicy;
  /** A canonical IANA zone (see `canonicalTimeZone`); absent or null: the instance's. */
  readonly timeZone?: string | null;
}

export type CreateGroupResult = { ok: true; group: Group } | { ok: false; error: "handle-taken" };

export async function createGroup(
  deps: { db: Kysely<Database>; keys: KeyPairGenerator; clock: Clock },
  input: GroupInput,
): Promise<CreateGroupResult> {
  // Cheap check first so a taken handle does not cost an RSA key generation;
  // the unique index still decides races.
  if ((await findGroupByHandle(deps.db, input.handle)) !== null) {
    return { ok: false, error: "handle-taken" };
  }
  const now = deps.clock();
  const group: Group = { id: newId(), ...input, createdAt: now, updatedAt: now };
  const keys = await deps.keys.generate();
  const inserted = await insertGroup(deps.db, group, keys);
  return inserted === null ? { ok: false, error: "handle-taken" } : { ok: true, group: inserted };
}

/**
 * Changes a collective's settings. When what its actor shows changed (name,
 * summary, follow policy), its followers are sent an `Update` of the actor;
 * the zone is the pages' business only. Null when the group is gone.
 */
export async function editGroupSettings(
  deps: { db: Kysely<Database>; clock: Clock; groupActors: GroupActorPublisher },
  group: Group,
  settings: CheckedGroupSettings,
): Promise<Group | null> {
  const updated = await updateGroupSettings(deps.db, group.id, settings, deps.clock());
  if (updated === null) return null;
  const actorChanged =
    updated.name !== group.name ||
    updated.summary !== group.summary ||
    updated.followPolicy !== group.followPolicy;
  if (actorChanged) await deps.groupActors.updated(updated);
  return updated;
}
