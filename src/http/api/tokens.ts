import { createRoute, type OpenAPIHono, z } from "@hono/zod-openapi";
import { findGroupByHandle } from "../../db/groups.repo.ts";
import type { Group } from "../../domain/group.ts";
import { TOKEN_LABEL_MAX, type TokenLabelProblem } from "../../domain/token-label.ts";
import {
  issueCoordinatorToken,
  listCoordinatorTokens,
  revokeCoordinatorToken,
  type TokenRecord,
} from "../../services/tokens.ts";
import { type Caller, identifyCaller, requireAdmin } from "../auth.ts";
import { ApiError, notFound } from "../errors.ts";
import type { ApiDeps } from "./deps.ts";
import { errorResponses, HandleParam } from "./schemas.ts";

const TokenInputSchema = z
  .strictObject({
    label: z
      .string()
      .max(TOKEN_LABEL_MAX * 4)
      .nullable()
      .optional()
      .openapi({
        description: `Whose the token is or what uses it; at most ${TOKEN_LABEL_MAX} characters.`,
      }),
  })
  .openapi("TokenInput");

const TokenSchema = z
  .object({
    id: z.string(),
    label: z.string().optional(),
    createdAt: z.string(),
    lastUsedAt: z.string().nullable().openapi({ description: "To the minute; null: never used." }),
  })
  .openapi("Token");

const TokenParams = HandleParam.extend({
  id: z.uuid().openapi({ param: { name: "id", in: "path" } }),
});

function tokenView(token: TokenRecord) {
  return {
    id: token.id,
    ...(token.label === null ? {} : { label: token.label }),
    createdAt: token.createdAt.toString(),
    lastUsedAt: token.lastUsedAt?.toString() ?? null,
  };
}

const LABEL_PROBLEMS: Record<TokenLabelProblem, string> = {
  "too-long": `label: at most ${TOKEN_LABEL_MAX} characters`,
  "control-characters": "label: no line breaks or other control characters",
};

/** Coordinator tokens of a collective: issuing, listing and revoking them (instance admin). */
export function registerTokenRoutes(app: OpenAPIHono, deps: ApiDeps): void {
  /** Only the instance admin manages tokens; then the group must exist. */
  const adminsGroup = async (caller: Promise<Caller>, handle: string): Promise<Group> => {
    requireAdmin(await caller);
    const group = await findGroupByHandle(deps.db, handle);
    if (group === null) throw notFound("group");
    return group;
  };

  app.openapi(
    createRoute({
      method: "post",
      path: "/api/v1/groups/{handle}/tokens",
      summary: "Issue a coordinator token for a collective (instance admin)",
      security: [{ bearer: [] }],
      request: {
        params: HandleParam,
        body: { required: false, content: { "application/json": { schema: TokenInputSchema } } },
      },
      responses: {
        201: {
          description: "The token; it is shown once and stored only as a digest",
          content: {
            "application/json": { schema: TokenSchema.extend({ token: z.string() }) },
          },
        },
        ...errorResponses,
      },
    }),
    async (c) => {
      const group = await adminsGroup(identifyCaller(c, deps), c.req.valid("param").handle);
      const issued = await issueCoordinatorToken(deps, group, c.req.valid("json").label);
      if (!issued.ok) {
        const problem = issued.problem;
        throw new ApiError(
          400,
          "invalid_request",
          LABEL_PROBLEMS[problem],
          { issues: [{ path: "label", message: LABEL_PROBLEMS[problem] }] },
          (t) => t.tokenLabelProblems[problem],
        );
      }
      return c.json({ token: issued.token, ...tokenView(issued.record) }, 201);
    },
  );

  app.openapi(
    createRoute({
      method: "get",
      path: "/api/v1/groups/{handle}/tokens",
      summary:
        "List a collective's coordinator tokens, never the tokens themselves (instance admin)",
      security: [{ bearer: [] }],
      request: { params: HandleParam },
      responses: {
        200: {
          description: "The tokens, oldest first",
          content: { "application/json": { schema: z.object({ items: z.array(TokenSchema) }) } },
        },
        ...errorResponses,
      },
    }),
    async (c) => {
      const group = await adminsGroup(identifyCaller(c, deps), c.req.valid("param").handle);
      const tokens = await listCoordinatorTokens(deps, group);
      return c.json({ items: tokens.map(tokenView) }, 200);
    },
  );

  app.openapi(
    createRoute({
      method: "delete",
      path: "/api/v1/groups/{handle}/tokens/{id}",
      summary: "Revoke a coordinator token: refused from the next request on (instance admin)",
      security: [{ bearer: [] }],
      request: { params: TokenParams },
      responses: { 204: { description: "Revoked" }, ...errorResponses },
    }),
    async (c) => {
      const { handle, id } = c.req.valid("param");
      const group = await adminsGroup(identifyCaller(c, deps), handle);
      if (!(await revokeCoordinatorToken(deps, group, id))) throw notFound("token");
      return c.body(null, 204);
    },
  );
}
