import { createRoute, type OpenAPIHono, z } from "@hono/zod-openapi";
import { findAccountForLogin } from "../../db/accounts.repo.ts";
import { findGroupByHandle } from "../../db/groups.repo.ts";
import { HANDLE_PATTERN } from "../../domain/handle.ts";
import { createInvitation, issuePasswordReset } from "../../services/accounts.ts";
import { identifyCaller, requireAdmin } from "../auth.ts";
import { ApiError } from "../errors.ts";
import type { ApiDeps } from "./deps.ts";
import { errorResponses } from "./schemas.ts";

const InvitationInputSchema = z
  .strictObject({
    group: z.string().regex(HANDLE_PATTERN).optional().openapi({ example: "food" }),
    admin: z
      .literal(true)
      .optional()
      .openapi({ description: "An account for another instance admin" }),
  })
  .refine((input) => (input.group === undefined) !== (input.admin === undefined), {
    message: "give either group (a coordinator of that group) or admin: true",
  })
  .openapi("InvitationInput");

const InvitationSchema = z
  .object({
    id: z.string(),
    group: z.string().nullable(),
    admin: z.boolean(),
    url: z
      .url()
      .openapi({ description: "Give this link to the new coordinator; it is shown once." }),
    expiresAt: z.string(),
  })
  .openapi("Invitation");

const PasswordResetInputSchema = z
  .strictObject({ username: z.string().min(1).max(100).openapi({ example: "maria" }) })
  .openapi("PasswordResetInput");

const PasswordResetSchema = z
  .object({
    username: z.string(),
    url: z.url().openapi({
      description: "Give this link to the account's owner; it is shown once and works once.",
    }),
    expiresAt: z.string(),
  })
  .openapi("PasswordReset");

export function registerInvitationRoutes(app: OpenAPIHono, deps: ApiDeps): void {
  app.openapi(
    createRoute({
      method: "post",
      path: "/api/v1/admin/password-resets",
      summary:
        "Make a one-time link with which an account's owner sets a new password (instance admin)",
      security: [{ bearer: [] }],
      request: {
        body: {
          required: true,
          content: { "application/json": { schema: PasswordResetInputSchema } },
        },
      },
      responses: {
        201: {
          description: "The reset link (valid 24 hours, used once)",
          content: { "application/json": { schema: PasswordResetSchema } },
        },
        ...errorResponses,
      },
    }),
    async (c) => {
      requireAdmin(await identifyCaller(c, deps));
      const username = c.req.valid("json").username.trim().toLowerCase();
      const found = await findAccountForLogin(deps.db, username);
      const issued = found === null ? null : await issuePasswordReset(deps, found.account.id);
      if (issued === null)
        throw ApiError.said(404, "not_found", (t) => t.apiErrors.noAccount(username));
      return c.json(
        {
          username,
          url: deps.urls.passwordResetPage(issued.token).href,
          expiresAt: issued.expiresAt.toString(),
        },
        201,
      );
    },
  );

  app.openapi(
    createRoute({
      method: "post",
      path: "/api/v1/admin/invitations",
      summary:
        "Invite a coordinator of a collective, or another admin, to the web workspace (instance admin)",
      security: [{ bearer: [] }],
      request: {
        body: {
          required: true,
          content: { "application/json": { schema: InvitationInputSchema } },
        },
      },
      responses: {
        201: {
          description: "The invitation link (valid 72 hours, for one account)",
          content: { "application/json": { schema: InvitationSchema } },
        },
        ...errorResponses,
      },
    }),
    async (c) => {
      requireAdmin(await identifyCaller(c, deps));
      const { group: handle } = c.req.valid("json");
      const group = handle === undefined ? null : await findGroupByHandle(deps.db, handle);
      if (handle !== undefined && group === null) {
        throw ApiError.said(404, "not_found", (t) => t.apiErrors.noGroup(handle));
      }
      const invitation = await createInvitation(deps, group);
      return c.json(
        {
          id: invitation.id,
          group: group?.handle ?? null,
          admin: group === null,
          url: deps.urls.invitationPage(invitation.token).href,
          expiresAt: invitation.expiresAt.toString(),
        },
        201,
      );
    },
  );
}
