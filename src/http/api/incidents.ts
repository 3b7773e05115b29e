import { createRoute, type OpenAPIHono, z } from "@hono/zod-openapi";
import { BOARD_MAX_ITEMS, type BoardScope } from "../../db/board.repo.ts";
import { findGroupByHandle, findGroupById } from "../../db/groups.repo.ts";
import {
  findIncident,
  type IncidentParticipant,
  listGroupIncidents,
  listParticipants,
  type StoredIncident,
} from "../../db/incidents.repo.ts";
import { CATEGORY_SLUGS, type CategorySlug } from "../../domain/categories.ts";
import type { Group } from "../../domain/group.ts";
import type { IncidentArea } from "../../domain/incident.ts";
import { boardListings } from "../../services/boards.ts";
import { closeOwnIncident, joinIncident, openIncident } from "../../services/incidents.ts";
import { identifyCaller, requireCoordinator } from "../auth.ts";
import { ApiError, changedMeanwhile, notFound } from "../errors.ts";
import { coordinatedGroup } from "./access.ts";
import type { ApiDeps } from "./deps.ts";
import { DistanceKmField, NearQueryParams, nearFromQuery } from "./near.ts";
import { ErrorSchema, errorResponses, HandleParam, IdParam, Instant } from "./schemas.ts";

/**
 * Incidents: opening, listing, joining and closing them, and the boards
 * (FEDERATION.md, "Incidents"; ARCHITECTURE.md, "Incidents").
 */
const errors = errorResponses;
const unprocessable = {
  description: "Not possible for this incident",
  content: { "application/json": { schema: ErrorSchema } },
};

// Numbers only here: ranges are the domain's, which reports every problem at once.
const AreaSchema = z
  .union([
    z.strictObject({
      center: z.strictObject({ latitude: z.number(), longitude: z.number() }),
      radiusKm: z.number(),
    }),
    z.strictObject({
      bbox: z.strictObject({
        south: z.number(),
        west: z.number(),
        north: z.number(),
        east: z.number(),
      }),
    }),
  ])
  .openapi("IncidentArea", {
    description:
      "A circle (centre and radius in km, at most 20,000) or a box in degrees; west > east crosses the antimeridian",
  });

const IncidentInputSchema = z
  .strictObject({
    name: z.string().max(1000).openapi({ example: "Hurricane Lena — November 2026" }),
    description: z.string().max(20_000).optional(),
    area: AreaSchema,
    startsAt: Instant,
    endsAt: Instant.optional(),
  })
  .openapi("IncidentInput");

const IncidentSchema = z
  .object({
    id: z.string(),
    objectId: z.url(),
    owner: z.url().openapi({ description: "The group actor that opened it" }),
    group: z
      .string()
      .nullable()
      .openapi({ description: "Our group's handle when this instance owns it" }),
    name: z.string(),
    description: z.string(),
    area: AreaSchema,
    startsAt: z.string(),
    endsAt: z.string().nullable(),
    status: z.enum(["open", "closed"]),
    participants: z.array(z.object({ actorId: z.url(), state: z.enum(["pending", "accepted"]) })),
    createdAt: z.string(),
    updatedAt: z.string(),
  })
  .openapi("Incident");

const GroupIncidentSchema = IncidentSchema.extend({
  role: z.enum(["owner", "participant"]),
  participation: z
    .enum(["pending", "accepted"])
    .nullable()
    .openapi({ description: "This group's participation (null for the owner)" }),
}).openapi("GroupIncident");

const BoardQuery = z.object({
  purpose: z.enum(["request", "offer"]).optional(),
  category: z.enum(CATEGORY_SLUGS).optional(),
  status: z.enum(["open", "pledged", "fulfilled", "closed", "expired"]).optional().openapi({
    description: "Omitted: open and pledged",
  }),
  limit: z.coerce.number().int().min(1).max(BOARD_MAX_ITEMS).optional(),
  ...NearQueryParams,
});

const BoardItemSchema = z
  .object({
    source: z.enum(["local", "remote"]),
    objectId: z.url(),
    group: z.url().openapi({ description: "The origin group's actor id" }),
    groupHandle: z.string().nullable().openapi({ description: "For this instance's groups" }),
    purpose: z.enum(["request", "offer"]).nullable(),
    title: z.string(),
    summary: z.string(),
    category: z.enum(CATEGORY_SLUGS).nullable(),
    quantity: z
      .object({ amount: z.number(), unit: z.string(), remaining: z.number().nullable() })
      .nullable(),
    location: z
      .object({
        name: z.string(),
        latitude: z.number().nullable(),
        longitude: z.number().nullable(),
      })
      .nullable(),
    urgency: z.enum(["low", "normal", "high", "critical"]).nullable(),
    status: z.enum(["open", "pledged", "fulfilled", "closed", "expired"]),
    expiresAt: z.string().nullable(),
    url: z.string().nullable(),
    incident: z.string().nullable(),
    publishedAt: z.string(),
    updatedAt: z.string(),
    stale: z.boolean().openapi({
      description:
        "A received copy whose origin has not confirmed it for days (unreachable): it may " +
        "no longer be true. Always false for this instance's own items.",
    }),
    notConfirmedSince: z
      .string()
      .nullable()
      .openapi({ description: "When a stale copy's origin last confirmed it; null otherwise" }),
    distanceKm: DistanceKmField.openapi({
      description:
        "With near only: km to the place as shown publicly, to 0.1 km. The board keeps its " +
        "order (most urgent first); near only narrows it to what lies within km.",
    }),
  })
  .openapi("BoardItem");

const boardResponse = {
  description: `Most urgent first, then needed-by soonest (none last); at most ${BOARD_MAX_ITEMS}`,
  content: { "application/json": { schema: z.object({ items: z.array(BoardItemSchema) }) } },
};

function areaView(area: IncidentArea) {
  return area.kind === "circle"
    ? { center: { ...area.center }, radiusKm: area.radiusKm }
    : { bbox: { south: area.south, west: area.west, north: area.north, east: area.east } };
}

function incidentView(
  incident: StoredIncident,
  participants: readonly IncidentParticipant[],
  group: Group | null,
) {
  return {
    id: incident.id,
    objectId: incident.objectId,
    owner: incident.ownerActorId,
    group: group?.handle ?? null,
    name: incident.name,
    description: incident.description,
    area: areaView(incident.area),
    startsAt: incident.startsAt.toString(),
    endsAt: incident.endsAt?.toString() ?? null,
    status: incident.status,
    participants: participants.map((p) => ({ actorId: p.actorId, state: p.state })),
    createdAt: incident.createdAt.toString(),
    updatedAt: incident.updatedAt.toString(),
  };
}

async function fullView(deps: ApiDeps, incident: StoredIncident) {
  const group = incident.groupId === null ? null : await findGroupById(deps.db, incident.groupId);
  // Pending joins of remote groups are nobody else's business; our own
  // groups' pending participations are shown (they are ours to wait on).
  const participants = (await listParticipants(deps.db, incident.id)).filter(
    (p) => p.state === "accepted" || p.groupId !== null,
  );
  return incidentView(incident, participants, group);
}

function areaFromInput(area: z.infer<typeof AreaSchema>): IncidentArea {
  return "center" in area
    ? { kind: "circle", center: area.center, radiusKm: area.radiusKm }
    : { kind: "bbox", ...area.bbox };
}

type BoardFilters = z.infer<typeof BoardQuery>;

/**
 * A board as the API shows it: the same items, in the same order, as the
 * board pages and exports (services/boards.ts), in the API's JSON shape.
 */
async function board(deps: ApiDeps, scope: BoardScope, filters: BoardFilters) {
  const near = nearFromQuery(filters);
  const { items } = await boardListings(
    deps.db,
    deps.urls,
    scope,
    {
      purpose: filters.purpose,
      category: filters.category as CategorySlug | undefined,
      statuses: filters.status === undefined ? undefined : [filters.status],
      near: near ?? undefined,
    },
    filters.limit ?? 100,
  );
  return items.map(({ listing, source, distanceKm, incident }) => ({
    source,
    objectId: listing.objectId,
    group: listing.origin.actorId,
    groupHandle: listing.origin.handle,
    purpose: listing.purpose,
    title: listing.title,
    summary: listing.summary,
    category: listing.category?.slug ?? null,
    quantity:
      listing.quantity === null
        ? null
        : {
            amount: Number(listing.quantity.amount),
            unit: listing.quantity.unit,
            remaining:
              listing.quantity.remaining === null ? null : Number(listing.quantity.remaining),
          },
    location: listing.location,
    urgency: listing.urgency,
    status: listing.status,
    expiresAt: listing.expiresAt?.toString() ?? null,
    url: listing.url,
    incident,
    publishedAt: listing.publishedAt.toString(),
    updatedAt: listing.updatedAt.toString(),
    stale: listing.notConfirmedSince !== null,
    notConfirmedSince: listing.notConfirmedSince?.toString() ?? null,
    ...(distanceKm === undefined ? {} : { distanceKm }),
  }));
}

export function registerIncidentRoutes(app: OpenAPIHono, deps: ApiDeps): void {
  const serviceDeps = {
    ...deps,
    incidentObjectIdOf: (id: string) => deps.urls.incidentObject(id).href,
    localIncidentIdOf: (objectId: URL) => deps.urls.incidentIdOf(objectId),
  };

  app.openapi(
    createRoute({
      method: "post",
      path: "/api/v1/groups/{handle}/incidents",
      summary: "Open an incident: an area and a time window (coordinator)",
      security: [{ bearer: [] }],
      request: {
        params: HandleParam,
        body: { required: true, content: { "application/json": { schema: IncidentInputSchema } } },
      },
      responses: {
        201: { description: "Opened", content: { "application/json": { schema: IncidentSchema } } },
        ...errors,
      },
    }),
    async (c) => {
      const group = await coordinatedGroup(c, deps, c.req.valid("param").handle);
      const input = c.req.valid("json");
      const result = await openIncident(serviceDeps, group, {
        name: input.name,
        description: input.description ?? "",
        area: areaFromInput(input.area),
        startsAt: Temporal.Instant.from(input.startsAt),
        endsAt: input.endsAt === undefined ? null : Temporal.Instant.from(input.endsAt),
      });
      if (!result.ok) {
        throw new ApiError(
          400,
          "invalid_request",
          result.problems.map((p) => `${p.field}: ${p.message}`).join("; "),
          { problems: result.problems },
        );
      }
      return c.json(incidentView(result.incident, [], group), 201);
    },
  );

  app.openapi(
    createRoute({
      method: "get",
      path: "/api/v1/groups/{handle}/incidents",
      summary: "Incidents the group opened or joined, newest first (at most 100)",
      request: { params: HandleParam },
      responses: {
        200: {
          description: "Incidents",
          content: {
            "application/json": { schema: z.object({ items: z.array(GroupIncidentSchema) }) },
          },
        },
        ...errors,
      },
    }),
    async (c) => {
      const group = await findGroupByHandle(deps.db, c.req.valid("param").handle);
      if (group === null) throw notFound("group");
      const items = [];
      for (const incident of await listGroupIncidents(deps.db, group.id, 100)) {
        const view = await fullView(deps, incident);
        const own = (await listParticipants(deps.db, incident.id)).find(
          (p) => p.groupId === group.id,
        );
        items.push({
          ...view,
          role: incident.groupId === group.id ? ("owner" as const) : ("participant" as const),
          participation: own?.state ?? null,
        });
      }
      return c.json({ items }, 200);
    },
  );

  app.openapi(
    createRoute({
      method: "get",
      path: "/api/v1/incidents/{id}",
      summary: "An incident (ours or a copy), with its participants",
      request: { params: IdParam },
      responses: {
        200: {
          description: "Incident",
          content: { "application/json": { schema: IncidentSchema } },
        },
        ...errors,
      },
    }),
    async (c) => {
      const incident = await findIncident(deps.db, c.req.valid("param").id);
      if (incident === null) throw notFound("incident");
      return c.json(await fullView(deps, incident), 200);
    },
  );

  app.openapi(
    createRoute({
      method: "post",
      path: "/api/v1/incidents/{id}/close",
      summary:
        "Close an incident; participants and followers receive an Update (owner's coordinator)",
      security: [{ bearer: [] }],
      request: { params: IdParam },
      responses: {
        200: { description: "Closed", content: { "application/json": { schema: IncidentSchema } } },
        409: {
          description: "Already closed",
          content: { "application/json": { schema: ErrorSchema } },
        },
        ...errors,
      },
    }),
    async (c) => {
      const caller = await identifyCaller(c, deps);
      const incident = await findIncident(deps.db, c.req.valid("param").id);
      if (incident === null) throw notFound("incident");
      const group =
        incident.groupId === null ? null : await findGroupById(deps.db, incident.groupId);
      if (group === null) {
        throw ApiError.said(403, "forbidden", (t) => t.apiErrors.incidentNotOwnInstance);
      }
      requireCoordinator(caller, group);
      const result = await closeOwnIncident(serviceDeps, incident);
      if (!result.ok) {
        throw result.error === "already-closed"
          ? ApiError.said(409, "conflict", (t) => t.apiErrors.incidentAlreadyClosed)
          : result.error === "conflict"
            ? changedMeanwhile()
            : ApiError.said(403, "forbidden", (t) => t.apiErrors.incidentNotOwner);
      }
      return c.json(await fullView(deps, result.incident), 200);
    },
  );

  app.openapi(
    createRoute({
      method: "post",
      path: "/api/v1/groups/{handle}/incident-joins",
      summary:
        "Join another group's incident by its ActivityPub id; sends Join, accepted by the owner (coordinator)",
      security: [{ bearer: [] }],
      request: {
        params: HandleParam,
        body: {
          required: true,
          content: {
            "application/json": {
              schema: z.strictObject({
                incidentId: z.url({ protocol: /^https?$/ }).max(2048),
              }),
            },
          },
        },
      },
      responses: {
        202: {
          description: "Join sent (pending), or accepted at once for an incident on this instance",
          content: { "application/json": { schema: GroupIncidentSchema } },
        },
        409: { description: "Closed", content: { "application/json": { schema: ErrorSchema } } },
        422: unprocessable,
        ...errors,
      },
    }),
    async (c) => {
      const group = await coordinatedGroup(c, deps, c.req.valid("param").handle);
      const { incidentId } = c.req.valid("json");
      const result = await joinIncident(serviceDeps, group, new URL(incidentId));
      if (!result.ok) {
        switch (result.error) {
          case "refused":
            throw ApiError.said(403, "forbidden", (t) => t.apiErrors.incidentDomainRefused);
          case "not-found":
            throw ApiError.said(404, "not_found", (t) => t.apiErrors.incidentNotFetched);
          case "not-incident":
            throw ApiError.said(422, "unprocessable", (t) => t.apiErrors.notAnIncident);
          case "closed":
            throw ApiError.said(409, "conflict", (t) => t.apiErrors.incidentClosed);
          case "own":
            throw ApiError.said(422, "unprocessable", (t) => t.apiErrors.incidentOwn);
          case "conflict":
            throw ApiError.said(409, "conflict", (t) => t.apiErrors.incidentIdTaken);
        }
      }
      const view = await fullView(deps, result.incident);
      return c.json({ ...view, role: "participant" as const, participation: result.state }, 202);
    },
  );

  app.openapi(
    createRoute({
      method: "get",
      path: "/api/v1/incidents/{id}/board",
      summary:
        "The incident's cross-city board: tagged needs and offers from every participant, most urgent first",
      request: { params: IdParam, query: BoardQuery },
      responses: { 200: boardResponse, ...errors },
    }),
    async (c) => {
      const incident = await findIncident(deps.db, c.req.valid("param").id);
      if (incident === null) throw notFound("incident");
      const items = await board(
        deps,
        { kind: "incident", incidentObjectId: incident.objectId },
        c.req.valid("query"),
      );
      return c.json({ items }, 200);
    },
  );

  app.openapi(
    createRoute({
      method: "get",
      path: "/api/v1/groups/{handle}/board",
      summary:
        "My allies: this instance's groups' needs and offers and the group's network feed, most urgent first",
      request: { params: HandleParam, query: BoardQuery },
      responses: { 200: boardResponse, ...errors },
    }),
    async (c) => {
      const group = await findGroupByHandle(deps.db, c.req.valid("param").handle);
      if (group === null) throw notFound("group");
      const items = await board(deps, { kind: "allies", groupId: group.id }, c.req.valid("query"));
      return c.json({ items }, 200);
    },
  );
}
