import type { Kysely } from "kysely";
import type { Database } from "../db/database.ts";
import { approveFollower, deleteFollowerById, findFollowerById } from "../db/followers.repo.ts";
import { deleteFollowing, findFollowing, upsertFollowing } from "../db/following.repo.ts";
import { findRemoteObjectOrigin, insertShare } from "../db/shares.repo.ts";
import type { Following, Group } from "../domain/group.ts";
import { newId } from "../domain/ids.ts";
import type { Clock, PeerGateway } from "./ports.ts";

export interface FollowDeps {
  readonly db: Kysely<Database>;
  readonly peers: PeerGateway;
  readonly clock: Clock;
  /** The instance's federation policy for a remote actor or object URL. */
  readonly isAllowed: (url: URL) => Promise<boolean>;
  /** This group's own actor id, to refuse following itself. */
  readonly actorIdOf: (group: Group) => string;
}

export type FollowResult =
  | { ok: true; following: Following }
  | { ok: false; error: "not-found" | "refused" | "self" };

/** The server an account (`user@host`, or an actor URL) is on, as a URL; null if neither. */
function accountHost(account: string): URL | null {
  const text = account.trim();
  if (/^https?:\/\//i.test(text)) return URL.canParse(text) ? new URL(text) : null;
  const handle = /^@?[^@\s]+@([^@\s/?#]+)$/.exec(text);
  return handle !== null && URL.canParse(`https://${handle[1]}/`)
    ? new URL(`https://${handle[1]}/`)
    : null;
}

/**
 * Follows another group: record the intent (pending), then send the Follow.
 * The remote Accept or Reject moves the state on (federation/inbox/follows.ts).
 */
export async function followRemoteGroup(
  deps: FollowDeps,
  group: Group,
  account: string,
): Promise<FollowResult> {
  // The host the account names is judged before anything is fetched from it.
  const named = accountHost(account);
  if (named !== null && !(await deps.isAllowed(named))) return { ok: false, error: "refused" };
  const target = await deps.peers.resolveActor(account);
  if (target === null) return { ok: false, error: "not-found" };
  if (target.id === deps.actorIdOf(group)) return { ok: false, error: "self" };
  if (!(await deps.isAllowed(new URL(target.id)))) return { ok: false, error: "refused" };
  const following = await upsertFollowing(
    deps.db,
    {
      id: newId(),
      groupId: group.id,
      actorId: target.id,
      inboxUrl: target.inbox,
      sharedInboxUrl: target.sharedInbox,
      followActivityId: `${deps.actorIdOf(group)}#follows/${newId()}`,
    },
    deps.clock(),
  );
  await deps.peers.follow(group, target, following.followActivityId);
  return { ok: true, following };
}

export async function unfollowRemoteGroup(
  deps: FollowDeps,
  group: Group,
  followingId: string,
): Promise<boolean> {
  const following = await findFollowing(deps.db, group.id, followingId);
  if (following === null) return false;
  await deleteFollowing(deps.db, following.id);
  await deps.peers.unfollow(
    group,
    { id: following.actorId, inbox: following.inboxUrl, sharedInbox: following.sharedInboxUrl },
    following.followActivityId,
  );
  return true;
}

export type RequestAnswer = "accepted" | "rejected" | "not-found";

/** A coordinator's answer to a pending follow request of an approval-only group. */
export async function answerFollowRequest(
  deps: FollowDeps,
  group: Group,
  followerId: string,
  accept: boolean,
): Promise<RequestAnswer> {
  const follower = await findFollowerById(deps.db, group.id, followerId);
  if (follower === null || follower.state !== "pending") return "not-found";
  if (accept) {
    if (!(await approveFollower(deps.db, follower.id, deps.clock()))) return "not-found";
    await deps.peers.acceptFollower(group, follower);
    return "accepted";
  }
  if (!(await deleteFollowerById(deps.db, follower.id))) return "not-found";
  await deps.peers.rejectFollower(group, follower);
  return "rejected";
}

export type ShareResult =
  | { ok: true; id: string }
  | { ok: false; error: "unknown-object" | "already-shared" | "refused" };

/**
 * Re-shares a need or offer received from an allied group. Only objects this
 * instance has received (and so verified from their origin) can be shared.
 */
export async function shareRemoteObject(
  deps: FollowDeps,
  group: Group,
  objectId: string,
): Promise<ShareResult> {
  const origin = await findRemoteObjectOrigin(deps.db, objectId);
  if (origin === null) return { ok: false, error: "unknown-object" };
  if (!(await deps.isAllowed(new URL(objectId)))) return { ok: false, error: "refused" };
  const share = await insertShare(
    deps.db,
    { id: newId(), groupId: group.id, objectId },
    deps.clock(),
  );
  if (share === null) return { ok: false, error: "already-shared" };
  await deps.peers.share(group, { id: share.id, objectId, originActorId: origin });
  return { ok: true, id: share.id };
}
