import { createRoute, type OpenAPIHono, z } from "@hono/zod-openapi";
import type { Context } from "hono";
import {
  createGroupPlace,
  deleteGroupPlace,
  GROUP_PLACE_NAME_MAX,
  listGroupPlaces,
  MAX_GROUP_PLACES,
} from "../../db/group-places.repo.ts";
import { findGroupByHandle } from "../../db/groups.repo.ts";
import { MAX_PLACE_QUERY } from "../../domain/gazetteer.ts";
import { searchPlaces } from "../../services/places.ts";
import { identifyCaller, requireCoordinator } from "../auth.ts";
import { ApiError, notFound } from "../errors.ts";
import type { ApiDeps } from "./deps.ts";
import { ErrorSchema, errorResponses, HandleParam } from "./schemas.ts";

const DEFAULT_LIMIT = 10;

export const PlacesQuery = z.object({
  // A bound on the text, checked before any search: a 10,000-character q is a 400, not a scan.
  q: z
    .string()
    .trim()
    .min(1)
    .max(MAX_PLACE_QUERY)
    .openapi({
      description:
        "The start of a place's name, accents and case ignored; after a comma, a region or " +
        'country narrows it ("San Jose, PH", "Malolos, Bulacan")',
      example: "Quezon City",
    }),
  limit: z.coerce.number().int().min(1).max(50).optional().openapi({ example: DEFAULT_LIMIT }),
});

export const PlaceSchema = z
  .object({
    name: z.string(),
    latitude: z.number(),
    longitude: z.number(),
    country: z.string().openapi({ description: "ISO 3166-1 alpha-2", example: "PH" }),
    region: z
      .string()
      .nullable()
      .openapi({ description: "First-level administrative division", example: "Central Luzon" }),
    population: z.number().int(),
  })
  .openapi("Place");

/**
 * Place names to points with no internet access: the instance's own
 * gazetteer (GeoNames, see README), the name `near=` also takes.
 */
export function registerPlaceRoutes(app: OpenAPIHono, _deps: ApiDeps): void {
  app.openapi(
    createRoute({
      method: "get",
      path: "/api/v1/places",
      summary:
        "Places whose name starts with q, best first (the exact name, then the most populous): " +
        "answered from the instance's own gazetteer, no internet needed",
      request: { query: PlacesQuery },
      responses: {
        200: {
          description: "Matching places",
          content: { "application/json": { schema: z.object({ items: z.array(PlaceSchema) }) } },
        },
        ...errorResponses,
      },
    }),
    (c) => {
      const { q, limit } = c.req.valid("query");
      const items = searchPlaces(q, limit ?? DEFAULT_LIMIT).map((p) => ({
        name: p.name,
        latitude: p.latitude,
        longitude: p.longitude,
        country: p.country,
        region: p.region,
        population: p.population,
      }));
      return c.json({ items }, 200);
    },
  );
}

const GroupPlaceSchema = z
  .object({
    id: z.string(),
    name: z.string(),
    latitude: z.number(),
    longitude: z.number(),
  })
  .openapi("GroupPlace");

const GroupPlaceInput = z
  .strictObject({
    name: z.string().trim().min(1).max(GROUP_PLACE_NAME_MAX),
    latitude: z.number().min(-90).max(90),
    longitude: z.number().min(-180).max(180),
  })
  .openapi("GroupPlaceInput");

const GroupPlaceParams = HandleParam.extend({
  id: z.uuid().openapi({ param: { name: "id", in: "path" } }),
});

/**
 * A collective's own named places ("Rizal Street clinic"), which its forms
 * offer before the gazetteer's towns: coordinators of the group (or admin)
 * only, as they may be addresses.
 */
export function registerGroupPlaceRoutes(app: OpenAPIHono, deps: ApiDeps): void {
  const coordinatedGroup = async (c: Context, handle: string) => {
    const caller = await identifyCaller(c, deps);
    const group = await findGroupByHandle(deps.db, handle);
    if (group === null) throw notFound("group");
    requireCoordinator(caller, group);
    return group;
  };

  app.openapi(
    createRoute({
      method: "get",
      path: "/api/v1/groups/{handle}/places",
      summary: "The collective's own named places (coordinator of the group, or admin)",
      security: [{ bearer: [] }],
      request: { params: HandleParam },
      responses: {
        200: {
          description: "Its places, by name",
          content: {
            "application/json": { schema: z.object({ items: z.array(GroupPlaceSchema) }) },
          },
        },
        ...errorResponses,
      },
    }),
    async (c) => {
      const group = await coordinatedGroup(c, c.req.valid("param").handle);
      return c.json({ items: await listGroupPlaces(deps.db, group.id) }, 200);
    },
  );

  app.openapi(
    createRoute({
      method: "post",
      path: "/api/v1/groups/{handle}/places",
      summary: "Save a named place of the collective (coordinator of the group, or admin)",
      security: [{ bearer: [] }],
      request: {
        params: HandleParam,
        body: { required: true, content: { "application/json": { schema: GroupPlaceInput } } },
      },
      responses: {
        201: {
          description: "Saved",
          content: { "application/json": { schema: GroupPlaceSchema } },
        },
        409: {
          description: `The collective has a place of that name already (case ignored), or ${MAX_GROUP_PLACES} places`,
          content: { "application/json": { schema: ErrorSchema } },
        },
        ...errorResponses,
      },
    }),
    async (c) => {
      const group = await coordinatedGroup(c, c.req.valid("param").handle);
      const input = c.req.valid("json");
      const result = await createGroupPlace(deps.db, group.id, input);
      if (!result.ok) {
        const { reason } = result;
        throw ApiError.said(409, "conflict", (t) =>
          reason === "taken"
            ? t.apiErrors.placeNameTaken(input.name)
            : t.apiErrors.tooManyPlaces(MAX_GROUP_PLACES),
        );
      }
      return c.json(result.place, 201);
    },
  );

  app.openapi(
    createRoute({
      method: "delete",
      path: "/api/v1/groups/{handle}/places/{id}",
      summary: "Delete a named place of the collective (needs placed there keep their point)",
      security: [{ bearer: [] }],
      request: { params: GroupPlaceParams },
      responses: { 204: { description: "Deleted" }, ...errorResponses },
    }),
    async (c) => {
      const { handle, id } = c.req.valid("param");
      const group = await coordinatedGroup(c, handle);
      if (!(await deleteGroupPlace(deps.db, group.id, id))) throw notFound("place");
      return c.body(null, 204);
    },
  );
}
