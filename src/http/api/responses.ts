import { getConnInfo } from "@hono/node-server/conninfo";
import { createRoute, type OpenAPIHono, z } from "@hono/zod-openapi";
import { findResponse, listResponses } from "../../db/responses.repo.ts";
import type { Purpose } from "../../domain/proposal.ts";
import { addressBucket, pickClientAddress } from "../../domain/rate-limit.ts";
import { type AnswerError, RESPONSE_LIMITS, type Response } from "../../domain/response.ts";
import { reopenProposal } from "../../services/proposals.ts";
import {
  acceptResponseAsCoordinator,
  createLocalResponse,
  rejectResponseAsCoordinator,
} from "../../services/responses.ts";
import { quantityRefusalText } from "../../web/i18n/problem-text.ts";
import { type Caller, identifyCaller, requireCoordinator } from "../auth.ts";
import { ApiError, changedMeanwhile, notFound } from "../errors.ts";
import { quantityFromInput, quantityJson, visibleProposal } from "./access.ts";
import type { ApiDeps } from "./deps.ts";
import {
  ErrorSchema,
  errorResponses,
  IdParam,
  Instant,
  ProposalSchema,
  pageOf,
  QuantitySchema,
} from "./schemas.ts";
import { proposalView } from "./views.ts";

const errors = errorResponses;
const conflict = {
  409: {
    description: "Not possible now",
    content: { "application/json": { schema: ErrorSchema } },
  },
} as const;

const KINDS: readonly { path: "needs" | "offers"; purpose: Purpose; noun: string }[] = [
  { path: "needs", purpose: "request", noun: "Need" },
  { path: "offers", purpose: "offer", noun: "Offer" },
];

export const ResponseSchema = z
  .object({
    id: z.string(),
    proposalId: z.string(),
    source: z.enum(["local", "reply", "agreement"]),
    actor: z
      .string()
      .nullable()
      .openapi({ description: "The responder's actor id; null when local." }),
    actorName: z.string().nullable(),
    content: z.string().openapi({ description: "Plain text." }),
    quantity: z.object({ amount: z.number(), unit: z.string() }).nullable(),
    state: z.enum(["proposed", "accepted", "rejected", "withdrawn"]),
    reason: z.string().nullable(),
    contact: z.string().nullable().openapi({ description: "How to reach a local responder." }),
    createdAt: z.string(),
    updatedAt: z.string(),
  })
  .openapi("Response");

function responseView(r: Response) {
  return {
    id: r.id,
    proposalId: r.proposalId,
    source: r.source,
    actor: r.actorId,
    actorName: r.actorName,
    content: r.content,
    quantity: quantityJson(r.quantity),
    state: r.state,
    reason: r.reason,
    contact: r.contact,
    createdAt: r.createdAt.toString(),
    updatedAt: r.updatedAt.toString(),
  };
}

function answerErrorToApi(error: AnswerError | { type: "conflict" }): ApiError {
  switch (error.type) {
    case "already-answered":
      return ApiError.said(409, "conflict", (t) =>
        t.apiErrors.responseAlready(t.responseStates[error.state].toLowerCase()),
      );
    case "proposal-ended":
      return ApiError.said(409, "conflict", (t) =>
        t.apiErrors.takesNoAnswers(t.statuses[error.status].toLowerCase()),
      );
    case "quantity":
      return ApiError.said(422, "unprocessable", (t) => quantityRefusalText(t, error), {
        problem: error.problem,
      });
    case "conflict":
      return changedMeanwhile();
  }
}

const LocalResponseInput = z
  .strictObject({
    content: z.string().trim().min(1).max(RESPONSE_LIMITS.content),
    contact: z.string().trim().max(RESPONSE_LIMITS.contact).optional().openapi({
      description: "How the coordinators can reach you; only they see it.",
    }),
  })
  .openapi("LocalResponseInput");

const AcceptInput = z
  .strictObject({
    quantity: QuantitySchema.optional().openapi({
      description:
        'For a reply or local answer: what it covers ("I have 5"). An agreement counts with the quantity it committed.',
    }),
    allowExcess: z.boolean().optional().openapi({
      description: "Accept even beyond what is still needed.",
    }),
  })
  .openapi("AcceptResponse");

const RejectInput = z
  .strictObject({ reason: z.string().trim().max(RESPONSE_LIMITS.reason).optional() })
  .openapi("RejectResponse");

const ReopenInput = z.strictObject({ expiresAt: Instant.optional() }).openapi("Reopen");

export function registerResponseRoutes(app: OpenAPIHono, deps: ApiDeps): void {
  async function loadResponse(caller: Caller, id: string) {
    const response = await findResponse(deps.db, id);
    if (response === null) throw notFound("response");
    const { group, proposal } = await visibleProposal(deps, caller, response.proposalId, null);
    requireCoordinator(caller, group);
    return { group, proposal, response };
  }

  for (const kind of KINDS) {
    app.openapi(
      createRoute({
        method: "get",
        path: `/api/v1/${kind.path}/{id}/responses`,
        summary: `Answers to a ${kind.noun.toLowerCase()}, oldest first (coordinator)`,
        security: [{ bearer: [] }],
        request: {
          params: IdParam,
          query: z.object({
            limit: z.coerce.number().int().min(1).max(100).optional(),
            after: z
              .uuid()
              .optional()
              .openapi({ description: "The last id of the previous page." }),
          }),
        },
        responses: {
          200: pageOf(ResponseSchema),
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
        const query = c.req.valid("query");
        const limit = query.limit ?? 50;
        const items = await listResponses(deps.db, proposal.id, limit, query.after);
        return c.json(
          {
            items: items.map(responseView),
            nextCursor: items.length === limit ? (items.at(-1)?.id ?? null) : null,
          },
          200,
        );
      },
    );

    app.openapi(
      createRoute({
        method: "post",
        path: `/api/v1/${kind.path}/{id}/responses`,
        summary: `Answer a ${kind.noun.toLowerCase()} from this instance ("I can help"); no token needed`,
        request: {
          params: IdParam,
          body: { required: true, content: { "application/json": { schema: LocalResponseInput } } },
        },
        responses: {
          201: {
            description: "Recorded for the coordinators",
            content: {
              "application/json": {
                schema: z.object({ id: z.string(), state: z.literal("proposed") }),
              },
            },
          },
          ...conflict,
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
        const input = c.req.valid("json");
        let connection: string | undefined;
        try {
          connection = getConnInfo(c).remote.address;
        } catch {
          // An in-process request: one shared bucket.
        }
        const result = await createLocalResponse(deps, group, proposal, {
          content: input.content,
          contact: input.contact === undefined || input.contact === "" ? null : input.contact,
          clientKey: addressBucket(
            pickClientAddress(connection, c.req.header("x-forwarded-for"), deps.trustProxy),
          ),
        });
        if (!result.ok && result.error === "rate-limited") {
          c.header("Retry-After", String(result.retryAfterSeconds));
          throw ApiError.said(429, "too_many_requests", (t) => t.apiErrors.tooManyAnswers);
        }
        if (!result.ok) {
          throw ApiError.said(409, "conflict", (t) =>
            t.apiErrors.notOpen[kind.purpose](t.statuses[proposal.status].toLowerCase()),
          );
        }
        return c.json({ id: result.response.id, state: "proposed" as const }, 201);
      },
    );

    app.openapi(
      createRoute({
        method: "post",
        path: `/api/v1/${kind.path}/{id}/reopen`,
        summary: `Post an ended ${kind.noun.toLowerCase()} again under a new id, linked to this one (coordinator)`,
        security: [{ bearer: [] }],
        request: {
          params: IdParam,
          body: { required: false, content: { "application/json": { schema: ReopenInput } } },
        },
        responses: {
          201: {
            description: "The new one",
            content: { "application/json": { schema: ProposalSchema } },
          },
          ...conflict,
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
        const input = c.req.valid("json") ?? {};
        const expiresAt =
          input.expiresAt === undefined ? null : Temporal.Instant.from(input.expiresAt);
        const result = await reopenProposal(deps, group, proposal, expiresAt);
        if (!result.ok) {
          throw result.error === "still-open"
            ? ApiError.said(409, "conflict", (t) =>
                t.apiErrors.stillOpen(t.statuses[proposal.status].toLowerCase()),
              )
            : ApiError.said(400, "invalid_request", (t) => t.apiErrors.expiresInPast);
        }
        return c.json(
          proposalView(result.proposal, group, deps.urls, { includePrivate: true }),
          201,
        );
      },
    );
  }

  app.openapi(
    createRoute({
      method: "post",
      path: "/api/v1/responses/{id}/accept",
      summary: "Accept a response (coordinator): it counts toward the pledged quantity",
      security: [{ bearer: [] }],
      request: {
        params: IdParam,
        body: { required: false, content: { "application/json": { schema: AcceptInput } } },
      },
      responses: {
        200: {
          description: "Accepted",
          content: {
            "application/json": {
              schema: z.object({ response: ResponseSchema, proposal: ProposalSchema }),
            },
          },
        },
        ...conflict,
        422: {
          description: "Quantity refused",
          content: { "application/json": { schema: ErrorSchema } },
        },
        ...errors,
      },
    }),
    async (c) => {
      const caller = await identifyCaller(c, deps);
      const { group, proposal, response } = await loadResponse(caller, c.req.valid("param").id);
      const input = c.req.valid("json") ?? {};
      const result = await acceptResponseAsCoordinator(deps, proposal, response, {
        quantity: input.quantity === undefined ? null : quantityFromInput(input.quantity),
        allowExcess: input.allowExcess ?? false,
      });
      if (!result.ok) throw answerErrorToApi(result.error);
      return c.json(
        {
          response: responseView(result.response),
          proposal: proposalView(result.proposal, group, deps.urls, { includePrivate: true }),
        },
        200,
      );
    },
  );

  app.openapi(
    createRoute({
      method: "post",
      path: "/api/v1/responses/{id}/reject",
      summary:
        "Decline a response (coordinator); an agreement's sender gets Reject with the reason",
      security: [{ bearer: [] }],
      request: {
        params: IdParam,
        body: { required: false, content: { "application/json": { schema: RejectInput } } },
      },
      responses: {
        200: {
          description: "Declined",
          content: { "application/json": { schema: ResponseSchema } },
        },
        ...conflict,
        ...errors,
      },
    }),
    async (c) => {
      const caller = await identifyCaller(c, deps);
      const { proposal, response } = await loadResponse(caller, c.req.valid("param").id);
      const input = c.req.valid("json") ?? {};
      const reason = input.reason === undefined || input.reason === "" ? null : input.reason;
      const result = await rejectResponseAsCoordinator(deps, proposal, response, reason);
      if (!result.ok) throw answerErrorToApi(result.error);
      return c.json(responseView(result.response), 200);
    },
  );
}
