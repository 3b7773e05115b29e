import { createRoute, type OpenAPIHono, z } from "@hono/zod-openapi";
import { MAX_PLACE_QUERY } from "../../domain/gazetteer.ts";
import { searchPlaces } from "../../services/places.ts";
import type { ApiDeps } from "./deps.ts";
import { errorResponses } from "./schemas.ts";

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
