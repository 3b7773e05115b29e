import { createRoute, type OpenAPIHono } from "@hono/zod-openapi";
import { findGroupByHandle } from "../../db/groups.repo.ts";
import { listNearbyProposals, listProposals } from "../../db/proposals.repo.ts";
import type { CategorySlug } from "../../domain/categories.ts";
import type { Group } from "../../domain/group.ts";
import type {
  ChangeError,
  ProposalChanges,
  ProposalDraft,
  Purpose,
} from "../../domain/proposal.ts";
import { collectiveZone, endOfDay, todayIn } from "../../domain/time-zone.ts";
import { describeQuantity, type Unit } from "../../domain/units.ts";
import {
  createProposal,
  deleteProposal,
  editProposal,
  type IncidentRefusal,
} from "../../services/proposals.ts";
import { identifyCaller, isCoordinatorOf, requireCoordinator } from "../auth.ts";
import { ApiError, changedMeanwhile, notFound, proposalThing } from "../errors.ts";
import { quantityFromInput, visibleProposal } from "./access.ts";
import type { ApiDeps } from "./deps.ts";
import { nearbyPage, nearFromQuery } from "./near.ts";
import { decodeCursor, decodeDistanceCursor, encodeCursor } from "./pagination.ts";
import {
  ErrorSchema,
  errorResponses,
  HandleParam,
  IdParam,
  ListedProposalSchema,
  ProposalInputSchema,
  ProposalListQuery,
  ProposalPatchSchema,
  ProposalSchema,
  pageOf,
} from "./schemas.ts";
import { proposalView } from "./views.ts";

const errors = errorResponses;

const KINDS: readonly { path: "needs" | "offers"; purpose: Purpose; noun: string }[] = [
  { path: "needs", purpose: "request", noun: "Need" },
  { path: "offers", purpose: "offer", noun: "Offer" },
];

type QuantityInput = { amount: number; unit: Unit };
type LocationInput = {
  name: string;
  latitude?: number | undefined;
  longitude?: number | undefined;
  exact?: boolean | undefined;
};

function toQuantity(q: QuantityInput) {
  return quantityFromInput(q);
}

function toLocation(l: LocationInput) {
  return {
    name: l.name,
    latitude: l.latitude ?? null,
    longitude: l.longitude ?? null,
    ...(l.exact === true ? { exact: true } : {}),
  };
}

function toInstant(value: string): Temporal.Instant {
  return Temporal.Instant.from(value);
}

const INCIDENT_REFUSALS: Record<IncidentRefusal, string> = {
  "incident-not-allowed":
    "incident must be the object id of an incident this group opened or has joined (accepted)",
  "incident-closed": "The incident is closed: nothing new can be tagged with it",
  "incident-ended": "The incident's time window has ended: nothing new can be tagged with it",
};

/** 422, the reason in `details.problem` (as the other 422s of the API say theirs). */
const incidentRefused = (problem: IncidentRefusal) =>
  new ApiError(
    422,
    "unprocessable",
    INCIDENT_REFUSALS[problem],
    { problem },
    (t) => t.incidentRefusals[problem],
  );

function changeErrorToApi(
  error: ChangeError | { type: "conflict" } | { type: IncidentRefusal },
): ApiError {
  switch (error.type) {
    case "incident-not-allowed":
    case "incident-closed":
    case "incident-ended":
      return incidentRefused(error.type);
    case "status-not-allowed":
      return ApiError.said(409, "conflict", (t) =>
        t.apiErrors.statusForwardOnly(
          t.statuses[error.from].toLowerCase(),
          t.statuses[error.to].toLowerCase(),
        ),
      );
    case "terminal":
      return ApiError.said(409, "conflict", (t) =>
        t.apiErrors.terminalEdit(t.statuses[error.status].toLowerCase()),
      );
    case "expiry-in-past":
      return ApiError.said(400, "invalid_request", (t) => t.apiErrors.expiresInPast);
    case "unit-locked":
    case "below-pledged":
      return new ApiError(409, "conflict", quantityLockedMessage(error), {
        problem: error.type,
        pledged: { amount: Number(error.pledged), unit: error.unit },
      });
    case "conflict":
      return changedMeanwhile();
  }
}

/** Why the quantity may not change so, with what is pledged: the web form says the same. */
function quantityLockedMessage(error: {
  type: "unit-locked" | "below-pledged";
  unit: Unit;
  pledged: string;
}): string {
  const pledged = describeQuantity(error.pledged, error.unit);
  return error.type === "unit-locked"
    ? `Accepted pledges cover ${pledged} in this unit (${error.unit}); it cannot change`
    : `Accepted pledges cover ${pledged}; the quantity cannot go below that`;
}

const createdAfter = ({ at, id }: { at: Temporal.Instant; id: string }) => ({ createdAt: at, id });

export function registerProposalRoutes(app: OpenAPIHono, deps: ApiDeps): void {
  for (const kind of KINDS) {
    app.openapi(
      createRoute({
        method: "post",
        path: `/api/v1/groups/{handle}/${kind.path}`,
        summary: `Publish a ${kind.noun.toLowerCase()} (coordinator of the group, or admin)`,
        security: [{ bearer: [] }],
        request: {
          params: HandleParam,
          body: {
            required: true,
            content: { "application/json": { schema: ProposalInputSchema } },
          },
        },
        responses: {
          201: {
            description: "Published",
            content: { "application/json": { schema: ProposalSchema } },
          },
          422: {
            description:
              "The incident is not one the group opened or joined, or it is closed or past its end (`details.problem`)",
            content: { "application/json": { schema: ErrorSchema } },
          },
          ...errors,
        },
      }),
      async (c) => {
        const caller = await identifyCaller(c, deps);
        const group = await findGroupByHandle(deps.db, c.req.valid("param").handle);
        if (group === null) throw notFound("group");
        requireCoordinator(caller, group);
        const input = c.req.valid("json");
        const deadline = readDeadline(input, group, deps);
        const draft: ProposalDraft = {
          title: input.title,
          description: input.description ?? "",
          category: input.category as CategorySlug,
          quantity: input.quantity === undefined ? null : toQuantity(input.quantity),
          location: input.location === undefined ? null : toLocation(input.location),
          urgency: input.urgency ?? "normal",
          expiresAt: deadline?.expiresAt ?? null,
          expiresOn: deadline?.expiresOn ?? null,
          audience: input.audience ?? "public",
          contact: input.contact === undefined || input.contact === "" ? null : input.contact,
          incident: input.incident ?? null,
        };
        const result = await createProposal(deps, group, kind.purpose, draft);
        if (!result.ok) {
          if (result.error === "expiry-in-past") {
            throw ApiError.said(400, "invalid_request", (t) => t.apiErrors.expiresInPast);
          }
          throw incidentRefused(result.error);
        }
        return c.json(
          proposalView(result.proposal, group, deps.urls, { includePrivate: true }),
          201,
        );
      },
    );

    app.openapi(
      createRoute({
        method: "get",
        path: `/api/v1/groups/{handle}/${kind.path}`,
        summary: `List a collective's ${kind.path}, newest first, or nearest first with near (keyset-paginated)`,
        request: { params: HandleParam, query: ProposalListQuery },
        responses: {
          200: pageOf(ListedProposalSchema),
          ...errors,
        },
      }),
      async (c) => {
        const caller = await identifyCaller(c, deps);
        const group = await findGroupByHandle(deps.db, c.req.valid("param").handle);
        if (group === null) throw notFound("group");
        const query = c.req.valid("query");
        const near = nearFromQuery(query);
        const limit = query.limit ?? 20;
        const coordinator = isCoordinatorOf(caller, group);
        const filter = {
          groupId: group.id,
          purpose: kind.purpose,
          status: query.status,
          includeFollowersOnly: coordinator,
        };
        if (near !== null) {
          const nearby = await listNearbyProposals(deps.db, {
            ...filter,
            near,
            limit,
            after: query.cursor === undefined ? undefined : decodeDistanceCursor(query.cursor),
          });
          return c.json(
            nearbyPage(
              nearby,
              limit,
              (row) =>
                proposalView(row.proposal, group, deps.urls, { includePrivate: coordinator }),
              (row) => row.proposal.id,
            ),
            200,
          );
        }
        const page = await listProposals(deps.db, {
          ...filter,
          limit,
          after: query.cursor === undefined ? undefined : createdAfter(decodeCursor(query.cursor)),
        });
        const last = page.at(-1);
        return c.json(
          {
            items: page.map((p) =>
              proposalView(p, group, deps.urls, { includePrivate: coordinator }),
            ),
            nextCursor:
              page.length === limit && last !== undefined
                ? encodeCursor(last.createdAt, last.id)
                : null,
          },
          200,
        );
      },
    );

    app.openapi(
      createRoute({
        method: "get",
        path: `/api/v1/${kind.path}/{id}`,
        summary: `Get a ${kind.noun.toLowerCase()}`,
        request: { params: IdParam },
        responses: {
          200: {
            description: kind.noun,
            content: { "application/json": { schema: ProposalSchema } },
          },
          ...errors,
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
        return c.json(
          proposalView(proposal, group, deps.urls, {
            includePrivate: isCoordinatorOf(caller, group),
          }),
          200,
        );
      },
    );

    app.openapi(
      createRoute({
        method: "patch",
        path: `/api/v1/${kind.path}/{id}`,
        summary: `Edit a ${kind.noun.toLowerCase()} or move its status forward (coordinator)`,
        security: [{ bearer: [] }],
        request: {
          params: IdParam,
          body: {
            required: true,
            content: { "application/json": { schema: ProposalPatchSchema } },
          },
        },
        responses: {
          200: {
            description: "Updated",
            content: { "application/json": { schema: ProposalSchema } },
          },
          409: {
            description: "Not allowed now",
            content: { "application/json": { schema: ErrorSchema } },
          },
          422: {
            description:
              "The incident is not one the group opened or joined, or it is closed or past its end (`details.problem`)",
            content: { "application/json": { schema: ErrorSchema } },
          },
          ...errors,
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
        requireCoordinator(caller, group);
        const input = c.req.valid("json");
        const changes: { -readonly [K in keyof ProposalChanges]: ProposalChanges[K] } = {};
        if (input.title !== undefined) changes.title = input.title;
        if (input.description !== undefined) changes.description = input.description;
        if (input.category !== undefined) changes.category = input.category as CategorySlug;
        if (input.quantity !== undefined) {
          changes.quantity = input.quantity === null ? null : toQuantity(input.quantity);
        }
        if (input.location !== undefined) {
          changes.location = input.location === null ? null : toLocation(input.location);
        }
        if (input.urgency !== undefined) changes.urgency = input.urgency;
        const deadline = readDeadline(input, group, deps);
        if (deadline !== undefined) {
          changes.expiresAt = deadline?.expiresAt ?? null;
          changes.expiresOn = deadline?.expiresOn ?? null;
        }
        if (input.audience !== undefined) changes.audience = input.audience;
        if (input.contact !== undefined) {
          changes.contact = input.contact === null || input.contact === "" ? null : input.contact;
        }
        if (input.status !== undefined) changes.status = input.status;
        if (input.incident !== undefined) changes.incident = input.incident;
        const result = await editProposal(deps, proposal, changes);
        if (!result.ok) throw changeErrorToApi(result.error);
        return c.json(
          proposalView(result.proposal, group, deps.urls, { includePrivate: true }),
          200,
        );
      },
    );

    app.openapi(
      createRoute({
        method: "delete",
        path: `/api/v1/${kind.path}/{id}`,
        summary: `Delete a ${kind.noun.toLowerCase()} (coordinator); followers receive a Delete`,
        security: [{ bearer: [] }],
        request: { params: IdParam },
        responses: { 204: { description: "Deleted" }, ...errors },
      }),
      async (c) => {
        const caller = await identifyCaller(c, deps);
        const { group, proposal } = await visibleProposal(
          deps,
          caller,
          c.req.valid("param").id,
          kind.purpose,
        );
        requireCoordinator(caller, group);
        if (!(await deleteProposal(deps, proposal))) throw notFound(proposalThing(kind.purpose));
        return c.body(null, 204);
      },
    );
  }
}

/**
 * The deadline a request sets: `expiresAt` as an instant, or `expiresOn` as a
 * date that runs out at the end of that day in the collective's zone.
 * undefined: neither given; null: cleared.
 */
function readDeadline(
  input: { expiresAt?: string | null | undefined; expiresOn?: string | undefined },
  group: Group,
  deps: { clock: () => Temporal.Instant; timeZone: string },
): { expiresAt: Temporal.Instant; expiresOn: Temporal.PlainDate | null } | null | undefined {
  if (input.expiresOn !== undefined) {
    if (input.expiresAt !== undefined) {
      throw ApiError.said(400, "invalid_request", (t) => t.apiErrors.expiresBoth);
    }
    const zone = collectiveZone(group, deps.timeZone);
    const date = Temporal.PlainDate.from(input.expiresOn);
    if (Temporal.PlainDate.compare(date, todayIn(deps.clock(), zone)) < 0) {
      throw ApiError.said(400, "invalid_request", (t) => t.apiErrors.expiresOnPast(zone));
    }
    return { expiresAt: endOfDay(date, zone), expiresOn: date };
  }
  if (input.expiresAt === undefined) return undefined;
  return input.expiresAt === null
    ? null
    : { expiresAt: toInstant(input.expiresAt), expiresOn: null };
}
