import { createRoute, type OpenAPIHono, z } from "@hono/zod-openapi";
import { listFollowers } from "../../db/followers.repo.ts";
import { listFollowing } from "../../db/following.repo.ts";
import type { Follower, Following } from "../../domain/group.ts";
import {
  answerFollowRequest,
  followRemoteGroup,
  shareRemoteObject,
  unfollowRemoteGroup,
} from "../../services/follows.ts";
import { ApiError, notFound } from "../errors.ts";
import { coordinatedGroup } from "./access.ts";
import type { ApiDeps } from "./deps.ts";
import { ErrorSchema, errorResponses, HandleParam } from "./schemas.ts";

const errors = errorResponses;

const FollowingSchema = z
  .object({
    id: z.string(),
    actorId: z.url(),
    state: z.enum(["pending", "accepted", "rejected"]),
    createdAt: z.string(),
    updatedAt: z.string(),
  })
  .openapi("Following");

const FollowerSchema = z
  .object({
    id: z.string(),
    actorId: z.url(),
    state: z.enum(["pending", "accepted"]),
    createdAt: z.string(),
  })
  .openapi("Follower");

const IdInGroup = HandleParam.extend({
  id: z.uuid().openapi({ param: { name: "id", in: "path" } }),
});

function followingView(f: Following) {
  return {
    id: f.id,
    actorId: f.actorId,
    state: f.state,
    createdAt: f.createdAt.toString(),
    updatedAt: f.updatedAt.toString(),
  };
}

function followerView(f: Follower) {
  return { id: f.id, actorId: f.actorId, state: f.state, createdAt: f.createdAt.toString() };
}

export function registerFollowRoutes(app: OpenAPIHono, deps: ApiDeps): void {
  // Every route here is a coordinator's: who follows whom is not public.
  app.openapi(
    createRoute({
      method: "post",
      path: "/api/v1/groups/{handle}/following",
      summary: "Follow another group, by user@host handle or actor URL (coordinator)",
      security: [{ bearer: [] }],
      request: {
        params: HandleParam,
        body: {
          required: true,
          content: {
            "application/json": {
              schema: z.strictObject({
                account: z
                  .string()
                  .trim()
                  .min(3)
                  .max(500)
                  .openapi({ example: "food@aid.other.example" }),
              }),
            },
          },
        },
      },
      responses: {
        202: {
          description: "Follow sent; the state follows the remote answer",
          content: { "application/json": { schema: FollowingSchema } },
        },
        ...errors,
      },
    }),
    async (c) => {
      const group = await coordinatedGroup(c, deps, c.req.valid("param").handle);
      const { account } = c.req.valid("json");
      const result = await followRemoteGroup(deps, group, account);
      if (!result.ok) {
        switch (result.error) {
          case "not-found":
            throw ApiError.said(404, "not_found", (t) => t.apiErrors.noActor(account));
          case "self":
            throw ApiError.said(400, "invalid_request", (t) => t.apiErrors.followSelf);
          case "refused":
            throw ApiError.said(403, "forbidden", (t) => t.apiErrors.domainRefused);
        }
      }
      return c.json(followingView(result.following), 202);
    },
  );

  app.openapi(
    createRoute({
      method: "get",
      path: "/api/v1/groups/{handle}/following",
      summary: "Groups this group follows, with the state of each follow (coordinator)",
      security: [{ bearer: [] }],
      request: { params: HandleParam },
      responses: {
        200: {
          description: "Follows",
          content: {
            "application/json": { schema: z.object({ items: z.array(FollowingSchema) }) },
          },
        },
        ...errors,
      },
    }),
    async (c) => {
      const group = await coordinatedGroup(c, deps, c.req.valid("param").handle);
      return c.json({ items: (await listFollowing(deps.db, group.id)).map(followingView) }, 200);
    },
  );

  app.openapi(
    createRoute({
      method: "delete",
      path: "/api/v1/groups/{handle}/following/{id}",
      summary: "Stop following a group; sends Undo(Follow) (coordinator)",
      security: [{ bearer: [] }],
      request: { params: IdInGroup },
      responses: { 204: { description: "Unfollowed" }, ...errors },
    }),
    async (c) => {
      const { handle, id } = c.req.valid("param");
      const group = await coordinatedGroup(c, deps, handle);
      if (!(await unfollowRemoteGroup(deps, group, id))) throw notFound("follow");
      return c.body(null, 204);
    },
  );

  app.openapi(
    createRoute({
      method: "get",
      path: "/api/v1/groups/{handle}/followers",
      summary: "Accepted followers of a group (coordinator)",
      security: [{ bearer: [] }],
      request: { params: HandleParam },
      responses: {
        200: {
          description: "Followers",
          content: { "application/json": { schema: z.object({ items: z.array(FollowerSchema) }) } },
        },
        ...errors,
      },
    }),
    async (c) => {
      const group = await coordinatedGroup(c, deps, c.req.valid("param").handle);
      return c.json(
        { items: (await listFollowers(deps.db, group.id, "accepted")).map(followerView) },
        200,
      );
    },
  );

  app.openapi(
    createRoute({
      method: "get",
      path: "/api/v1/groups/{handle}/follow-requests",
      summary: "Follow requests waiting for approval (coordinator)",
      security: [{ bearer: [] }],
      request: { params: HandleParam },
      responses: {
        200: {
          description: "Pending requests",
          content: { "application/json": { schema: z.object({ items: z.array(FollowerSchema) }) } },
        },
        ...errors,
      },
    }),
    async (c) => {
      const group = await coordinatedGroup(c, deps, c.req.valid("param").handle);
      return c.json(
        { items: (await listFollowers(deps.db, group.id, "pending")).map(followerView) },
        200,
      );
    },
  );

  for (const action of ["accept", "reject"] as const) {
    app.openapi(
      createRoute({
        method: "post",
        path: `/api/v1/groups/{handle}/follow-requests/{id}/${action}`,
        summary: `${action === "accept" ? "Accept" : "Reject"} a follow request; the requester is told (coordinator)`,
        security: [{ bearer: [] }],
        request: { params: IdInGroup },
        responses: {
          200: {
            description: "Answered",
            content: {
              "application/json": {
                schema: z.object({ id: z.string(), state: z.enum(["accepted", "rejected"]) }),
              },
            },
          },
          ...errors,
        },
      }),
      async (c) => {
        const { handle, id } = c.req.valid("param");
        const group = await coordinatedGroup(c, deps, handle);
        const answer = await answerFollowRequest(deps, group, id, action === "accept");
        if (answer === "not-found") throw notFound("followRequest");
        return c.json({ id, state: answer }, 200);
      },
    );
  }

  app.openapi(
    createRoute({
      method: "post",
      path: "/api/v1/groups/{handle}/shares",
      summary:
        "Re-share (Announce) an allied group's need or offer to this group's followers (coordinator)",
      security: [{ bearer: [] }],
      request: {
        params: HandleParam,
        body: {
          required: true,
          content: {
            "application/json": { schema: z.strictObject({ objectId: z.url().max(2000) }) },
          },
        },
      },
      responses: {
        202: {
          description: "Announce queued",
          content: {
            "application/json": { schema: z.object({ id: z.string(), objectId: z.string() }) },
          },
        },
        409: {
          description: "Already shared",
          content: { "application/json": { schema: ErrorSchema } },
        },
        ...errors,
      },
    }),
    async (c) => {
      const group = await coordinatedGroup(c, deps, c.req.valid("param").handle);
      const { objectId } = c.req.valid("json");
      const result = await shareRemoteObject(deps, group, objectId);
      if (!result.ok) {
        switch (result.error) {
          case "unknown-object":
            throw ApiError.said(404, "not_found", (t) => t.apiErrors.notReachedHere);
          case "already-shared":
            throw ApiError.said(409, "conflict", (t) => t.apiErrors.alreadyShared);
          case "refused":
            throw ApiError.said(403, "forbidden", (t) => t.apiErrors.domainRefused);
        }
      }
      return c.json({ id: result.id, objectId }, 202);
    },
  );
}
