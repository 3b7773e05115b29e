import { z } from "@hono/zod-openapi";
import { CATEGORY_SLUGS } from "../../domain/categories.ts";
import { HANDLE_PATTERN } from "../../domain/handle.ts";
import { cleanName } from "../../domain/names.ts";
import { canonicalTimeZone } from "../../domain/time-zone.ts";
import { UNITS } from "../../domain/units.ts";
import { DistanceKmField, NearQueryParams } from "./near.ts";

export const ErrorSchema = z
  .object({
    error: z.string().openapi({ example: "invalid_request" }),
    message: z.string(),
    details: z.unknown().optional(),
  })
  .openapi("Error");

/** The error answers every route can give, for the OpenAPI document. */
export const errorResponses = {
  400: { description: "Invalid input", content: { "application/json": { schema: ErrorSchema } } },
  401: {
    description: "No or invalid token",
    content: { "application/json": { schema: ErrorSchema } },
  },
  403: { description: "Not allowed", content: { "application/json": { schema: ErrorSchema } } },
  404: { description: "Not found", content: { "application/json": { schema: ErrorSchema } } },
} as const;

export const HandleParam = z.object({
  handle: z
    .string()
    .regex(HANDLE_PATTERN)
    .openapi({ param: { name: "handle", in: "path" }, example: "food" }),
});

export const IdParam = z.object({
  id: z.uuid().openapi({ param: { name: "id", in: "path" } }),
});

/** An IANA zone name, read into its canonical spelling; anything else is a 400 naming the field. */
export const TimeZoneField = z
  .string()
  .max(64)
  .refine((name) => canonicalTimeZone(name) !== null, {
    message: "must be an IANA time zone such as Asia/Manila or UTC",
  })
  .transform((name) => canonicalTimeZone(name) as string)
  .openapi({ type: "string", example: "Asia/Manila" });

export const GroupInputSchema = z
  .strictObject({
    handle: z
      .string()
      .regex(HANDLE_PATTERN, "handle must match [a-z0-9_]{1,30}")
      .openapi({ example: "food" }),
    // Cleaned as every name is (domain/names.ts), then measured.
    name: z
      .string()
      .overwrite(cleanName)
      .min(1)
      .max(100)
      .openapi({ example: "City A Food Collective" }),
    summary: z.string().max(2000).optional(),
    followPolicy: z.enum(["open", "approval"]).optional(),
    /** Absent: the instance's TIME_ZONE. */
    timeZone: TimeZoneField.optional(),
  })
  .openapi("GroupInput");

export const GroupUpdateSchema = z
  .strictObject({
    name: z.string().overwrite(cleanName).min(1).max(100).optional(),
    summary: z.string().max(2000).optional(),
    followPolicy: z.enum(["open", "approval"]).optional(),
    /** null: follow the instance's TIME_ZONE again. */
    timeZone: TimeZoneField.nullable().optional(),
  })
  .openapi("GroupUpdate");

export const GroupSchema = z
  .object({
    handle: z.string(),
    name: z.string(),
    summary: z.string(),
    followPolicy: z.enum(["open", "approval"]),
    actorId: z.url(),
    url: z.url(),
    account: z.string().openapi({ example: "food@aid.example" }),
    timeZone: z.string().openapi({
      description:
        "The IANA zone the collective's pages show times in (its own, else the instance's TIME_ZONE)",
      example: "Asia/Manila",
    }),
    createdAt: z.string(),
  })
  .openapi("Group");

/** Amounts are decimals with at most 6 fractional digits, as FEP-0837 carries them as strings. */
const Amount = z
  .number()
  .positive()
  .max(1_000_000_000)
  .refine((n) => Math.abs(n * 1e6 - Math.round(n * 1e6)) < 1e-6, "at most 6 decimal places");

export const QuantitySchema = z
  .strictObject({ amount: Amount, unit: z.enum(UNITS) })
  .openapi("Quantity");

const LocationSchema = z
  .strictObject({
    name: z.string().trim().min(1).max(200),
    latitude: z.number().min(-90).max(90).optional(),
    longitude: z.number().min(-180).max(180).optional(),
    exact: z.boolean().optional().openapi({
      description:
        "Share the exact point (a public drop-off site). Otherwise coordinates leave the instance rounded to about 1 km.",
    }),
  })
  .refine((l) => (l.latitude === undefined) === (l.longitude === undefined), {
    message: "latitude and longitude go together",
  })
  .openapi("Location");

export const Instant = z.iso
  .datetime({ offset: true })
  .openapi({ example: "2026-12-04T18:00:00Z" });
/**
 * A deadline as a calendar date (`2026-12-09`): it runs out at the end of
 * that day in the collective's zone. Instead of `expiresAt`, not with it.
 */
const PickedDate = z.iso.date().openapi({ example: "2026-12-09" });
const Urgency = z.enum(["low", "normal", "high", "critical"]);
const Audience = z.enum(["public", "followers"]);
const Status = z.enum(["open", "pledged", "fulfilled", "closed", "expired"]);

/** An incident's ActivityPub object id, as needs and offers are tagged with it. */
const IncidentRef = z
  .url({ protocol: /^https?$/ })
  .max(2048)
  .openapi({
    description:
      "The object id of an open incident the group owns or has an accepted participation in",
    example: "https://aid.example/incidents/0193…",
  });

export const ProposalInputSchema = z
  .strictObject({
    title: z.string().trim().min(1).max(200).openapi({ example: "20 insulin coolers" }),
    description: z.string().max(5000).optional(),
    category: z.enum(CATEGORY_SLUGS),
    quantity: QuantitySchema.optional(),
    location: LocationSchema.optional(),
    urgency: Urgency.optional(),
    expiresAt: Instant.optional(),
    expiresOn: PickedDate.optional(),
    audience: Audience.optional(),
    contact: z.string().trim().max(500).optional().openapi({
      description: "Private: shown to the group's coordinators only, never federated.",
    }),
    incident: IncidentRef.optional(),
  })
  .openapi("ProposalInput");

export const ProposalPatchSchema = z
  .strictObject({
    title: z.string().trim().min(1).max(200).optional(),
    description: z.string().max(5000).optional(),
    category: z.enum(CATEGORY_SLUGS).optional(),
    quantity: QuantitySchema.nullable().optional(),
    location: LocationSchema.nullable().optional(),
    urgency: Urgency.optional(),
    expiresAt: Instant.nullable().optional(),
    expiresOn: PickedDate.optional(),
    audience: Audience.optional(),
    contact: z.string().trim().max(500).nullable().optional(),
    status: Status.exclude(["expired"]).optional(),
    incident: IncidentRef.nullable().optional(),
  })
  .openapi("ProposalPatch");

export const ProposalSchema = z
  .object({
    id: z.string(),
    objectId: z.url(),
    url: z.url(),
    group: z.string(),
    purpose: z.enum(["request", "offer"]),
    title: z.string(),
    description: z.string(),
    category: z.enum(CATEGORY_SLUGS),
    quantity: z
      .object({
        amount: z.number(),
        unit: z.string(),
        pledged: z.number().openapi({ description: "What accepted responses add up to." }),
        remaining: z.number().openapi({ description: "Still needed (or still available)." }),
      })
      .nullable(),
    location: z
      .object({
        name: z.string(),
        latitude: z.number().nullable(),
        longitude: z.number().nullable(),
        exact: z.boolean().optional(),
      })
      .nullable(),
    urgency: Urgency,
    expiresAt: z.string().nullable(),
    expiresOn: z.string().nullable().openapi({
      description:
        "The date the deadline was picked as (YYYY-MM-DD), the same in every zone; expiresAt is the end of that day in the collective's zone. null: set as an instant.",
    }),
    audience: Audience,
    status: Status,
    previousId: z
      .string()
      .nullable()
      .openapi({ description: "The need or offer this one continues (reopened)." }),
    incident: z
      .string()
      .nullable()
      .openapi({ description: "The object id of the incident it is tagged with." }),
    createdAt: z.string(),
    updatedAt: z.string(),
    contact: z
      .string()
      .nullable()
      .optional()
      .openapi({ description: "Only for the group's coordinators." }),
  })
  .openapi("Proposal");

export const ProposalListQuery = z.object({
  status: Status.optional(),
  ...NearQueryParams,
  limit: z.coerce.number().int().min(1).max(100).optional(),
  cursor: z.string().max(100).optional(),
});

/** A list's item: the proposal, and its distance when the list was asked `near`. */
export const ListedProposalSchema = ProposalSchema.extend({
  distanceKm: DistanceKmField,
}).openapi("ListedProposal");

/** The 200 answer of a keyset-paginated list: `{items, nextCursor}`. */
export function pageOf<T extends z.ZodType>(item: T, description = "One page") {
  return {
    description,
    content: {
      "application/json": {
        schema: z.object({ items: z.array(item), nextCursor: z.string().nullable() }),
      },
    },
  };
}
