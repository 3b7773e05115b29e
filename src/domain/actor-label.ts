/**
 * How a remote actor is named to people: its display name and its
 * `user@host` address, read from its actor document. Both are shown on
 * pages and written into exports, so they are read defensively: plain text
 * only, control characters dropped, whitespace collapsed, lengths capped.
 */
import { cleanName } from "./names.ts";

export interface ActorLabel {
  /** The display name (`name`), or null if the actor gives none. */
  readonly name: string | null;
  /** `preferredUsername@host`, or null if the actor gives no usable username. */
  readonly handle: string | null;
}

export const ACTOR_NAME_MAX = 100;
const USERNAME = /^[A-Za-z0-9_.-]{1,64}$/;

/** Cleaned as local names are (names.ts), then cut to ACTOR_NAME_MAX. */
function plainName(value: unknown): string | null {
  if (typeof value !== "string") return null;
  const cleaned = cleanName(value);
  if (cleaned === "") return null;
  const chars = [...cleaned];
  return chars.length <= ACTOR_NAME_MAX
    ? cleaned
    : `${chars.slice(0, ACTOR_NAME_MAX - 1).join("")}…`;
}

/** The label of the actor `actorId`, from its document (any JSON). */
export function readActorLabel(document: unknown, actorId: URL): ActorLabel {
  if (typeof document !== "object" || document === null) return { name: null, handle: null };
  const { name, preferredUsername } = document as Record<string, unknown>;
  const handle =
    typeof preferredUsername === "string" && USERNAME.test(preferredUsername)
      ? `${preferredUsername}@${actorId.host}`
      : null;
  return { name: plainName(name), handle };
}
