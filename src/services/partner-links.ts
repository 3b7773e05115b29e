import { randomBytes } from "node:crypto";
import type { Kysely } from "kysely";
import type { Database } from "../db/database.ts";
import {
  countPartnerLinks,
  insertPartnerLink,
  listPartnerLinks,
  type PartnerLink,
  revokePartnerLink,
} from "../db/partner-links.repo.ts";
import type { Group } from "../domain/group.ts";
import { newId } from "../domain/ids.ts";
import type { Clock } from "./ports.ts";

/** Enough for every partner a collective works with; a bound on what one account can create. */
export const MAX_PARTNER_LINKS = 200;
export const PARTNER_LABEL_MAX = 100;

export interface PartnerLinkDeps {
  readonly db: Kysely<Database>;
  readonly clock: Clock;
}

export type CreatePartnerLinkResult =
  | { readonly ok: true; readonly link: PartnerLink }
  | { readonly ok: false; readonly problem: "required" | "too-long" | "full" };

/** A new link for a partner, named by `label` (who it is for). */
export async function createPartnerLink(
  deps: PartnerLinkDeps,
  group: Group,
  label: string,
): Promise<CreatePartnerLinkResult> {
  const name = label.replace(/\s+/g, " ").trim();
  if (name === "") return { ok: false, problem: "required" };
  if (name.length > PARTNER_LABEL_MAX) return { ok: false, problem: "too-long" };
  if ((await countPartnerLinks(deps.db, group.id)) >= MAX_PARTNER_LINKS) {
    return { ok: false, problem: "full" };
  }
  const now = deps.clock();
  const link: PartnerLink = {
    id: newId(now.epochMilliseconds),
    groupId: group.id,
    label: name,
    token: randomBytes(24).toString("base64url"),
    createdAt: now,
    revokedAt: null,
  };
  await insertPartnerLink(deps.db, link);
  return { ok: true, link };
}

export function listGroupPartnerLinks(deps: PartnerLinkDeps, group: Group): Promise<PartnerLink[]> {
  return listPartnerLinks(deps.db, group.id, MAX_PARTNER_LINKS);
}

/** From now on the link is the ordinary form again, limited per address. */
export function revokeGroupPartnerLink(
  deps: PartnerLinkDeps,
  group: Group,
  id: string,
): Promise<boolean> {
  return revokePartnerLink(deps.db, group.id, id, deps.clock());
}
