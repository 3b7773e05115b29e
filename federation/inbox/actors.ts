import type { Delete, Update } from "@fedify/vocab";
import { getLogger } from "@logtape/logtape";
import type { FederationDeps } from "../federation.ts";

const logger = getLogger(["bayanihan", "federation", "inbox"]);

/**
 * The actor an activity is about when that actor is its own sender
 * (`object` = `actor`), as Mastodon requires for `Update` and `Delete` of
 * an actor. The inbox screen has checked that the request was signed with a
 * key of the activity's actor, so the actor speaks for itself here; an
 * activity about any other actor (even on the same origin) is not ours.
 */
function selfReference(activity: Update | Delete): URL | null {
  const { actorId, objectId } = activity;
  if (actorId === null || objectId === null) return null;
  return actorId.href === objectId.href ? actorId : null;
}

/**
 * `Update` of an actor by itself: its keys may have changed, so its
 * document is read again bypassing every cache (at most once per 30 s),
 * and every cache then holds the keys it lists now. The embedded copy is
 * never trusted. True when the activity was this.
 */
export async function onActorUpdated(update: Update, deps: FederationDeps): Promise<boolean> {
  const actorId = selfReference(update);
  if (actorId === null) return false;
  logger.debug("{actor} updated itself: reading its keys again", { actor: actorId.href });
  await deps.refreshActor(actorId);
  return true;
}

/**
 * `Delete` of an actor by itself: it leaves our groups' followers, our
 * follows of it end, and what it left with us goes
 * (services/departed-actors.ts). True when the activity was this.
 */
export async function onActorDeleted(del: Delete, deps: FederationDeps): Promise<boolean> {
  const actorId = selfReference(del);
  if (actorId === null) return false;
  logger.info("{actor} deleted itself: forgetting it", { actor: actorId.href });
  await deps.forgetActor(actorId);
  return true;
}
