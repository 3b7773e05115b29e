import { getLogger } from "@logtape/logtape";
import type { Kysely } from "kysely";
import type { Database } from "../db/database.ts";
import {
  deletePendingGroupUpdate,
  findGroupByHandle,
  findGroupById,
  insertGroup,
  listPendingGroupUpdates,
  updateGroupSettings,
} from "../db/groups.repo.ts";
import type { FollowPolicy, Group } from "../domain/group.ts";
import type { CheckedGroupSettings } from "../domain/group-input.ts";
import { newId } from "../domain/ids.ts";
import { drainOutbox } from "./outbox-relay.ts";
import type { Clock, GroupActorPublisher, KeyPairGenerator } from "./ports.ts";

const logger = getLogger(["bayanihan", "groups"]);

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
 * Changes a collective's settings. When what its actor shows changes (name,
 * summary, follow policy), an outbox row is written with the change and its
 * followers are sent an `Update` of the actor after the commit; the zone is
 * the pages' business only. Null when the group is gone.
 */
export async function editGroupSettings(
  deps: GroupUpdateDeps,
  group: Group,
  settings: CheckedGroupSettings,
): Promise<Group | null> {
  const now = deps.clock();
  const actorChanged =
    settings.name !== group.name ||
    settings.summary !== group.summary ||
    settings.followPolicy !== group.followPolicy;
  const updated = await updateGroupSettings(
    deps.db,
    group.id,
    settings,
    now,
    actorChanged ? { outboxId: newId(now.epochMilliseconds) } : null,
  );
  if (updated === null) return null;
  if (actorChanged) {
    // Committed and recorded: a failure to queue it now is retried by the periodic relay.
    try {
      await relayGroupUpdates(deps);
    } catch (error) {
      logger.warn("The actor Update will be queued later: {error}", { error });
    }
  }
  return updated;
}

export interface GroupUpdateDeps {
  readonly db: Kysely<Database>;
  readonly clock: Clock;
  readonly groupActors: GroupActorPublisher;
}

/** Sends the actor Updates waiting in `pending_group_updates`, each as the group is now. */
export async function relayGroupUpdates(
  deps: Pick<GroupUpdateDeps, "db" | "groupActors">,
): Promise<void> {
  await drainOutbox(deps.db, "pending_group_updates", {
    list: (limit) => listPendingGroupUpdates(deps.db, limit),
    async send(item) {
      const group = await findGroupById(deps.db, item.groupId);
      if (group !== null) await deps.groupActors.updated(group);
    },
    remove: (id) => deletePendingGroupUpdate(deps.db, id),
  });
}
