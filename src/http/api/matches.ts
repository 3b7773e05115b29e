import { createRoute, type OpenAPIHono, z } from "@hono/zod-openapi";
import { CATEGORY_SLUGS } from "../../domain/categories.ts";
import { DEFAULT_MAX_KM, type Match } from "../../domain/matching.ts";
import type { Location, Purpose, Quantity } from "../../domain/proposal.ts";
import { UNITS } from "../../domain/units.ts";
import { type CandidateParty, matchProposal, roundedPlace } from "../../services/matching.ts";
import type { InstanceUrls } from "../../urls.ts";
import { messagesFor } from "../../web/i18n/locale.ts";
import { matchExplanation } from "../../web/i18n/match-text.ts";
import { identifyCaller, isCoordinatorOf } from "../auth.ts";
import { apiLocale } from "../language.ts";
import { visibleProposal } from "./access.ts";
import type { ApiDeps } from "./deps.ts";
import { errorResponses, IdParam } from "./schemas.ts";

/** About half the Earth's circumference: 20,000 km means anywhere. */
const MAX_KM_PARAMETER = 20_000;
const DEFAULT_LIMIT = 20;

export const MatchesQuery = z.object({
  km: z.coerce
    .number()
    .gt(0)
    .max(MAX_KM_PARAMETER)
    .optional()
    .openapi({
      description: `Largest distance in km to candidates with coordinates, when the need or offer has them too (default ${DEFAULT_MAX_KM})`,
      example: 25,
    }),
  limit: z.coerce.number().int().min(1).max(100).optional().openapi({ example: DEFAULT_LIMIT }),
});

const Unit = z.enum(UNITS);
const Side = z.enum(["subject", "candidate", "both"]).openapi({
  description: "subject: the need or offer asked about; candidate: the suggested one",
});
const Amount = z.string().openapi({ description: "Exact decimal", example: "20" });

export const MatchReasonSchema = z
  .discriminatedUnion("type", [
    z.object({ type: z.literal("same-category"), category: z.enum(CATEGORY_SLUGS) }),
    z.object({ type: z.literal("distance"), km: z.number(), maxKm: z.number() }),
    z.object({ type: z.literal("distance-unknown"), missing: Side }),
    z.object({
      type: z.literal("quantity-covers"),
      unit: Unit,
      needed: Amount,
      available: Amount,
    }),
    z.object({
      type: z.literal("quantity-partial"),
      unit: Unit,
      needed: Amount,
      available: Amount,
      shortfall: Amount,
    }),
    z.object({
      type: z.literal("units-differ"),
      needed: Amount,
      neededUnit: Unit,
      available: Amount,
      availableUnit: Unit,
    }),
    z.object({ type: z.literal("quantity-unspecified"), missing: Side }),
    z.object({ type: z.literal("urgency"), urgency: z.enum(["high", "critical"]) }),
    z.object({
      type: z.literal("expires-soon"),
      expiresAt: z.string(),
      hours: z.number().int(),
    }),
  ])
  .openapi("MatchReason");

export const MatchSchema = z
  .object({
    kind: z.enum(["local", "remote"]),
    id: z.string().optional().openapi({ description: "Local needs and offers only" }),
    objectId: z.url(),
    url: z.url(),
    group: z.url().openapi({ description: "The actor id of the group that published it" }),
    purpose: z.enum(["request", "offer"]),
    title: z.string(),
    category: z.enum(CATEGORY_SLUGS),
    quantity: z.object({ amount: z.number(), unit: z.string() }).nullable(),
    location: z
      .object({
        name: z.string(),
        latitude: z.number().nullable(),
        longitude: z.number().nullable(),
      })
      .nullable()
      .openapi({ description: "Coordinates rounded to two decimals (about 1 km)" }),
    urgency: z.enum(["low", "normal", "high", "critical"]),
    status: z.enum(["open", "pledged"]),
    expiresAt: z.string().nullable(),
    distanceKm: z.number().nullable().openapi({
      description: "Great-circle km between the rounded places; null when either has none",
    }),
    score: z.number().openapi({ description: "0–1, higher is better" }),
    reasons: z.array(MatchReasonSchema),
    explanation: z
      .string()
      .openapi({ description: "The reasons as one sentence, in the language of Accept-Language" }),
  })
  .openapi("Match");

const KINDS: readonly { path: "needs" | "offers"; purpose: Purpose; noun: string }[] = [
  { path: "needs", purpose: "request", noun: "Need" },
  { path: "offers", purpose: "offer", noun: "Offer" },
];

export function registerMatchRoutes(app: OpenAPIHono, deps: ApiDeps): void {
  for (const kind of KINDS) {
    const other = kind.path === "needs" ? "offers" : "needs";
    app.openapi(
      createRoute({
        method: "get",
        path: `/api/v1/${kind.path}/{id}/matches`,
        summary:
          `Suggested ${other} for a ${kind.noun.toLowerCase()}, best first: same category, ` +
          "near enough, compatible quantities, local and from the group's network",
        request: { params: IdParam, query: MatchesQuery },
        responses: {
          200: {
            description: `Ranked ${other} with their reasons (none for a finished ${kind.noun.toLowerCase()})`,
            content: {
              "application/json": { schema: z.object({ items: z.array(MatchSchema) }) },
            },
          },
          ...errorResponses,
        },
      }),
      async (c) => {
        const caller = await identifyCaller(c, deps);
        const { group, proposal } = await visibleProposal(
          deps,
          caller,
          c.req.valid("param").id,
          kind.purpose,
        );
        const query = c.req.valid("query");
        const matches = await matchProposal(deps, {
          subject: proposal,
          maxKm: query.km ?? DEFAULT_MAX_KM,
          limit: query.limit ?? DEFAULT_LIMIT,
          includeOwnFollowersOnly: isCoordinatorOf(caller, group),
          ownOrigin: deps.urls.origin.href,
        });
        const locale = apiLocale(c);
        c.header("Content-Language", locale);
        const say = (m: Match<CandidateParty>) =>
          matchExplanation(messagesFor(locale), locale, m.reasons, kind.purpose);
        return c.json({ items: matches.map((m) => matchView(m, say(m), deps.urls)) }, 200);
      },
    );
  }
}

function matchView(match: Match<CandidateParty>, explanation: string, urls: InstanceUrls) {
  const { source } = match.candidate;
  const common = {
    purpose: match.candidate.purpose,
    category: match.candidate.category,
    // Only live candidates are matched.
    status: match.candidate.status as "open" | "pledged",
    urgency: match.candidate.urgency,
    expiresAt: match.candidate.expiresAt?.toString() ?? null,
    distanceKm: match.distanceKm,
    score: match.score,
    reasons: [...match.reasons],
    explanation,
  };
  if (source.kind === "local") {
    const { proposal } = source;
    return {
      kind: "local" as const,
      id: proposal.id,
      objectId: urls.proposalObject(proposal.id).href,
      url: urls.proposalPage(proposal.purpose, proposal.id).href,
      group: urls.group(source.groupHandle).href,
      title: proposal.title,
      quantity: quantityView(proposal.quantity),
      location: locationView(proposal.location),
      ...common,
    };
  }
  const { remote } = source;
  return {
    kind: "remote" as const,
    objectId: remote.objectId,
    // The object id answers browsers too when the sender gave no page.
    url: remote.url ?? remote.objectId,
    group: remote.originActorId,
    title: remote.title,
    quantity: quantityView(remote.quantity),
    location: locationView(remote.location),
    ...common,
  };
}

function quantityView(quantity: Quantity | null) {
  return quantity === null ? null : { amount: Number(quantity.amount), unit: quantity.unit };
}

/** The place's name and rounded coordinates: never the exact point (nor the private contact). */
function locationView(location: Location | null) {
  if (location === null) return null;
  const rounded = roundedPlace(location);
  return {
    name: location.name,
    latitude: rounded?.latitude ?? null,
    longitude: rounded?.longitude ?? null,
  };
}
