import type { Context } from "@fedify/fedify";
import { Create, Endpoints, Group as GroupActor, Update } from "@fedify/vocab";
import { countAcceptedFollowers } from "../src/db/followers.repo.ts";
import { findGroupByHandle, findGroupKeys } from "../src/db/groups.repo.ts";
import { countPublicProposals, listProposals } from "../src/db/proposals.repo.ts";
import type { Group } from "../src/domain/group.ts";
import type { InstanceUrls } from "../src/urls.ts";
import type { AppFederation, FederationDeps } from "./federation.ts";
import { paragraphs } from "./html.ts";
import { importKeyPair } from "./keys.ts";
import { proposalDocument } from "./objects.ts";
import { embeddedNote } from "./proposal-note.ts";
import { PUBLIC_AUDIENCE } from "./proposal-object.ts";

const OUTBOX_PAGE_SIZE = 20;

export function registerActors(federation: AppFederation, deps: FederationDeps): void {
  const { db, urls } = deps;

  federation
    .setActorDispatcher("/groups/{identifier}", async (ctx, identifier) => {
      const group = await findGroupByHandle(db, identifier);
      return group === null ? null : groupActor(ctx, urls, group);
    })
    // WebFinger's acct:handle@host names the group by its handle, which is
    // also its identifier in our URLs (without a mapper Fedify assumes so,
    // and logs an error on every lookup).
    .mapHandle(async (_ctx, username) => (await findGroupByHandle(db, username))?.handle ?? null)
    .setKeyPairsDispatcher(async (_ctx, identifier) => {
      const group = await findGroupByHandle(db, identifier);
      if (group === null) return [];
      return Promise.all((await findGroupKeys(db, group.id)).map(importKeyPair));
    });

  // Who follows a mutual-aid group can be sensitive: the collection tells its
  // size (Mastodon shows counts) but never lists the followers.
  federation
    .setFollowersDispatcher("/groups/{identifier}/followers", async (_ctx, identifier) => {
      const group = await findGroupByHandle(db, identifier);
      return group === null ? null : { items: [] };
    })
    .setCounter(async (_ctx, identifier) => {
      const group = await findGroupByHandle(db, identifier);
      return group === null ? null : countAcceptedFollowers(db, group.id);
    });

  federation
    .setOutboxDispatcher("/groups/{identifier}/outbox", async (ctx, identifier, cursor) => {
      const group = await findGroupByHandle(db, identifier);
      if (group === null) return null;
      const after = cursor === null ? undefined : decodeCursor(cursor);
      const page = await listProposals(db, {
        groupId: group.id,
        includeFollowersOnly: false,
        limit: OUTBOX_PAGE_SIZE,
        after,
      });
      // Current state, not history: each item is the proposal's latest
      // version, embedded in full, as its last Create or Update said it (same
      // activity ids), so a late follower reads every need from one page.
      const items = await Promise.all(
        page.map(async (p) => {
          const objectId = urls.proposalObject(p.id);
          const edited = !p.updatedAt.equals(p.createdAt);
          const fields = {
            actor: ctx.getActorUri(identifier),
            object: await embeddedNote(await proposalDocument(db, urls, group, p)),
            tos: [new URL(PUBLIC_AUDIENCE)],
            ccs: [ctx.getFollowersUri(identifier)],
          };
          return edited
            ? new Update({
                id: new URL(`${objectId.href}#update-${p.updatedAt.epochMilliseconds}`),
                updated: p.updatedAt,
                ...fields,
              })
            : new Create({
                id: new URL(`${objectId.href}#create`),
                published: p.createdAt,
                ...fields,
              });
        }),
      );
      const last = page.at(-1);
      return {
        items,
        nextCursor:
          page.length === OUTBOX_PAGE_SIZE && last !== undefined
            ? encodeCursor(last.createdAt, last.id)
            : null,
      };
    })
    .setFirstCursor(() => "")
    .setCounter(async (_ctx, identifier) => {
      const group = await findGroupByHandle(db, identifier);
      return group === null ? null : countPublicProposals(db, group.id);
    });
}

/** A collective's actor document: what the dispatcher serves and an actor `Update` embeds. */
export async function groupActor(
  ctx: Context<void>,
  urls: InstanceUrls,
  group: Group,
): Promise<GroupActor> {
  const identifier = group.handle;
  const keys = await ctx.getActorKeyPairs(identifier);
  return new GroupActor({
    id: ctx.getActorUri(identifier),
    preferredUsername: group.handle,
    name: group.name,
    summary: paragraphs(group.summary),
    url: urls.group(group.handle),
    published: group.createdAt,
    inbox: ctx.getInboxUri(identifier),
    outbox: ctx.getOutboxUri(identifier),
    followers: ctx.getFollowersUri(identifier),
    endpoints: new Endpoints({ sharedInbox: ctx.getInboxUri() }),
    publicKey: keys[0]?.cryptographicKey ?? null,
    assertionMethods: keys.map((k) => k.multikey),
    discoverable: true,
    indexable: true,
    manuallyApprovesFollowers: group.followPolicy === "approval",
  });
}

function encodeCursor(createdAt: Temporal.Instant, id: string): string {
  return `${createdAt.epochMilliseconds}_${id}`;
}

function decodeCursor(cursor: string): { createdAt: Temporal.Instant; id: string } | undefined {
  const match = /^(\d+)_([0-9a-f-]{36})$/.exec(cursor);
  if (match === null) return undefined;
  return { createdAt: Temporal.Instant.fromEpochMilliseconds(Number(match[1])), id: match[2]! };
}
