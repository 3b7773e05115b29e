import { createRoute, type OpenAPIHono, z } from "@hono/zod-openapi";
import { findGroupByHandle } from "../../db/groups.repo.ts";
import { listNearbyNetwork, listNetwork } from "../../db/remote-proposals.repo.ts";
import { CATEGORY_SLUGS } from "../../domain/categories.ts";
import { formatDecimal, max, parseDecimal, subtract, ZERO } from "../../domain/decimal.ts";
import type { StoredRemoteProposal } from "../../domain/remote-proposal.ts";
import { ApiError, notFound } from "../errors.ts";
import type { ApiDeps } from "./deps.ts";
import { DistanceKmField, NearQueryParams, nearbyPage, nearFromQuery } from "./near.ts";
import { decodeCursor, decodeDistanceCursor, encodeCursor } from "./pagination.ts";
import { ErrorSchema, HandleParam } from "./schemas.ts";

const Purpose = z.enum(["request", "offer"]);
const Status = z.enum(["open", "pledged", "fulfilled", "closed", "expired"]);
const Urgency = z.enum(["low", "normal", "high", "critical"]);
const Kind = z.enum(["proposal", "post"]);

export const NetworkQuery = z.object({
  purpose: Purpose.optional(),
  status: Status.optional(),
  category: z.enum(CATEGORY_SLUGS).optional(),
  urgency: Urgency.optional(),
  ...NearQueryParams,
  kind: Kind.optional().openapi({
    description:
      "proposal: needs and offers; post: plain posts from software without FEP-0837. " +
      "Any purpose, status, category or urgency filter implies proposal.",
  }),
  limit: z.coerce.number().int().min(1).max(100).optional(),
  cursor: z.string().max(200).optional(),
});

export const NetworkItemSchema = z
  .object({
    objectId: z.url(),
    group: z.url().openapi({ description: "The origin actor (attributedTo) of the object" }),
    kind: Kind,
    purpose: Purpose.nullable(),
    title: z.string(),
    summary: z.string().openapi({ description: "Plain text taken from the object's content" }),
    category: z.enum(CATEGORY_SLUGS).nullable(),
    categoryUri: z.string().nullable(),
    quantity: z
      .object({
        amount: z.number(),
        unit: z.string(),
        remaining: z
          .number()
          .nullable()
          .openapi({ description: "Still needed (or available), as its instance last said." }),
        pledged: z.number().nullable(),
      })
      .nullable(),
    location: z
      .object({
        name: z.string(),
        latitude: z.number().nullable(),
        longitude: z.number().nullable(),
      })
      .nullable(),
    urgency: Urgency.nullable(),
    status: Status,
    expiresAt: z.string().nullable(),
    url: z.string().nullable(),
    publishedAt: z.string(),
    updatedAt: z.string(),
    sharedBy: z.array(z.string()).openapi({
      description: "Followed groups that re-shared (Announced) it",
    }),
    confirmedAt: z.string().openapi({
      description:
        "When its origin last answered for this copy (by a delivery, or by reconciliation, " +
        "which asks again after 6 hours)",
    }),
    stale: z.boolean().openapi({
      description:
        "Its origin has not answered for days: the copy may no longer be true (FEDERATION.md, " +
        "Reconciliation)",
    }),
    distanceKm: DistanceKmField,
  })
  .openapi("NetworkItem");

function networkItemView(item: StoredRemoteProposal) {
  return {
    objectId: item.objectId,
    group: item.originActorId,
    kind: item.kind,
    purpose: item.purpose,
    title: item.title,
    summary: item.summaryText,
    category: item.category,
    categoryUri: item.categoryUri,
    quantity:
      item.quantity === null
        ? null
        : {
            amount: Number(item.quantity.amount),
            unit: item.quantity.unit,
            remaining: item.remainingAmount === null ? null : Number(item.remainingAmount),
            pledged: pledgedOf(item.quantity.amount, item.remainingAmount),
          },
    location: item.location,
    urgency: item.urgency,
    status: item.status,
    expiresAt: item.expiresAt?.toString() ?? null,
    url: item.url,
    publishedAt: item.publishedAt.toString(),
    updatedAt: item.updatedAt.toString(),
    sharedBy: [...item.sharedBy],
    confirmedAt: item.confirmedAt.toString(),
    stale: item.stale,
  };
}

const publishedAfter = ({ at, id }: { at: Temporal.Instant; id: string }) => ({
  publishedAt: at,
  id,
});

export function registerNetworkRoutes(app: OpenAPIHono, deps: ApiDeps): void {
  app.openapi(
    createRoute({
      method: "get",
      path: "/api/v1/groups/{handle}/network",
      summary:
        "Needs and offers from the groups this group follows, and those they re-shared " +
        "(newest first, or nearest first with near; keyset-paginated)",
      request: { params: HandleParam, query: NetworkQuery },
      responses: {
        200: {
          description: "One page",
          content: {
            "application/json": {
              schema: z.object({
                items: z.array(NetworkItemSchema),
                nextCursor: z.string().nullable(),
              }),
            },
          },
        },
        400: {
          description: "Invalid input",
          content: { "application/json": { schema: ErrorSchema } },
        },
        404: { description: "Not found", content: { "application/json": { schema: ErrorSchema } } },
      },
    }),
    async (c) => {
      const group = await findGroupByHandle(deps.db, c.req.valid("param").handle);
      if (group === null) throw notFound("group");
      const query = c.req.valid("query");
      const near = nearFromQuery(query);
      const limit = query.limit ?? 20;
      const filtersProposals =
        query.purpose !== undefined ||
        query.status !== undefined ||
        query.category !== undefined ||
        query.urgency !== undefined;
      if (filtersProposals && query.kind === "post") {
        throw ApiError.said(400, "invalid_request", (t) => t.apiErrors.postFilters);
      }
      const filter = {
        groupId: group.id,
        kind: filtersProposals ? "proposal" : query.kind,
        purpose: query.purpose,
        status: query.status,
        category: query.category,
        urgency: query.urgency,
      } as const;
      if (near !== null) {
        const nearby = await listNearbyNetwork(deps.db, {
          ...filter,
          near,
          limit,
          after: query.cursor === undefined ? undefined : decodeDistanceCursor(query.cursor),
        });
        return c.json(
          nearbyPage(
            nearby,
            limit,
            (row) => networkItemView(row.item),
            (row) => row.item.id,
          ),
          200,
        );
      }
      const page = await listNetwork(deps.db, {
        ...filter,
        limit,
        after: query.cursor === undefined ? undefined : publishedAfter(decodeCursor(query.cursor)),
      });
      const last = page.at(-1);
      return c.json(
        {
          items: page.map(networkItemView),
          nextCursor:
            page.length === limit && last !== undefined
              ? encodeCursor(last.publishedAt, last.id)
              : null,
        },
        200,
      );
    },
  );
}

/** What is covered, as total minus what its instance says is still needed. */
function pledgedOf(total: string, remaining: string | null): number | null {
  if (remaining === null) return null;
  const t = parseDecimal(total);
  const r = parseDecimal(remaining);
  return t === null || r === null ? null : Number(formatDecimal(max(subtract(t, r), ZERO)));
}
