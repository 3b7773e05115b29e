import type { OpenAPIHono as Hono } from "@hono/zod-openapi";
import type { Context } from "hono";
import { findResponse, listResponses } from "../../db/responses.repo.ts";
import type { Group } from "../../domain/group.ts";
import { isId } from "../../domain/ids.ts";
import { DEFAULT_MAX_KM } from "../../domain/matching.ts";
import type { Proposal } from "../../domain/proposal.ts";
import { RESPONSE_LIMITS, type Response } from "../../domain/response.ts";
import { matchProposal } from "../../services/matching.ts";
import { reopenProposal } from "../../services/proposals.ts";
import {
  acceptResponseAsCoordinator,
  rejectResponseAsCoordinator,
} from "../../services/responses.ts";
import { pageContext } from "../context.ts";
import type { WebDeps } from "../deps.ts";
import { type AcceptProblem, ResponsesPage } from "../pages/responses.ts";
import {
  doneNotice,
  formField,
  formGuards,
  groupCoordinators,
  liveProposalOf,
  notFoundPage,
  workspaceHtml,
} from "./shared.ts";

/** Enough to act on; the API pages through more. */
const MATCHES_SHOWN = 10;

/** The answers to a group's needs and offers: reading, accepting, declining; reopening. */
export function registerResponsePages(app: Hono, deps: WebDeps): void {
  const { db, urls } = deps;
  const guards = formGuards(urls);
  const coordinators = groupCoordinators(deps);
  const pageOf = (group: Group, proposal: Proposal) =>
    `/workspace/groups/${group.handle}/posts/${proposal.id}/responses`;

  /** The route's group and its live need or offer `id`. */
  const coordinatedProposal = async (c: Context, id: string) => {
    const group = c.get("group");
    const proposal = await liveProposalOf(db, group, id);
    return proposal === null ? null : { group, proposal };
  };

  /** An answer to one of the route group's needs or offers. */
  const coordinatedResponse = async (c: Context) => {
    const id = c.req.param("rid") ?? "";
    const response = isId(id) ? await findResponse(db, id) : null;
    if (response === null) return null;
    const found = await coordinatedProposal(c, response.proposalId);
    return found === null ? null : { ...found, response };
  };

  const render = async (
    c: Context,
    group: Group,
    proposal: Proposal,
    extra: { notice?: string; acceptProblem?: AcceptProblem },
    status: 200 | 409 | 422 = 200,
  ) => {
    const [responses, matches] = await Promise.all([
      listResponses(db, proposal.id, 100),
      matchProposal(deps, {
        subject: proposal,
        maxKm: DEFAULT_MAX_KM,
        limit: MATCHES_SHOWN,
        includeOwnFollowersOnly: true,
        ownOrigin: urls.origin.href,
      }),
    ]);
    return workspaceHtml(
      c,
      urls,
      ResponsesPage,
      {
        group,
        proposal,
        responses,
        matches,
        reopenAction: `/workspace/groups/${group.handle}/posts/${proposal.id}/reopen`,
        ...extra,
      },
      status,
    );
  };

  app.get("/workspace/groups/:handle/posts/:id/responses", ...coordinators, async (c) => {
    const found = await coordinatedProposal(c, c.req.param("id"));
    if (found === null) return notFoundPage(c, urls);
    const { t } = pageContext(c, urls);
    const notice = doneNotice(c, {
      accepted: t.answerAccepted,
      rejected: t.answerRejected,
      reopened: t.reopened,
    });
    return render(c, found.group, found.proposal, { notice });
  });

  // A notification names the answer; this finds the page it is on.
  app.get("/workspace/groups/:handle/responses/:rid", ...coordinators, async (c) => {
    const found = await coordinatedResponse(c);
    if (found === null) return notFoundPage(c, urls);
    return c.redirect(`${pageOf(found.group, found.proposal)}#r-${found.response.id}`, 303);
  });

  app.post(
    "/workspace/groups/:handle/responses/:rid/accept",
    ...guards,
    ...coordinators,
    async (c) => {
      const found = await coordinatedResponse(c);
      if (found === null) return notFoundPage(c, urls);
      const { group, proposal, response } = found;
      const { t } = pageContext(c, urls);
      const form = await c.req.parseBody();
      const typed = formField(form, "quantity").trim();
      const allowExcess = formField(form, "allowExcess") === "1";
      const result = await acceptResponseAsCoordinator(deps, proposal, response, {
        quantity: quantityOf(typed, proposal, response),
        allowExcess,
      });
      if (result.ok) return c.redirect(`${pageOf(group, proposal)}?done=accepted`, 303);
      const { error } = result;
      if (error.type === "quantity") {
        return render(
          c,
          group,
          proposal,
          {
            acceptProblem: {
              responseId: response.id,
              problem: error.problem,
              quantity: typed,
              allowExcess,
            },
          },
          422,
        );
      }
      // Someone else answered or changed it meanwhile: the page as it is now.
      const fresh = await coordinatedProposal(c, proposal.id);
      const notice = error.type === "proposal-ended" ? t.answerEnded : t.answerAlready;
      return render(c, group, fresh?.proposal ?? proposal, { notice }, 409);
    },
  );

  app.post(
    "/workspace/groups/:handle/responses/:rid/reject",
    ...guards,
    ...coordinators,
    async (c) => {
      const found = await coordinatedResponse(c);
      if (found === null) return notFoundPage(c, urls);
      const { group, proposal, response } = found;
      const { t } = pageContext(c, urls);
      const reason = formField(await c.req.parseBody(), "reason")
        .trim()
        .slice(0, RESPONSE_LIMITS.reason);
      const result = await rejectResponseAsCoordinator(
        deps,
        proposal,
        response,
        reason === "" ? null : reason,
      );
      if (result.ok) return c.redirect(`${pageOf(group, proposal)}?done=rejected`, 303);
      return render(c, group, proposal, { notice: t.answerAlready }, 409);
    },
  );

  app.post("/workspace/groups/:handle/posts/:id/reopen", ...guards, ...coordinators, async (c) => {
    const found = await coordinatedProposal(c, c.req.param("id"));
    if (found === null) return notFoundPage(c, urls);
    const { group, proposal } = found;
    const { t } = pageContext(c, urls);
    const result = await reopenProposal(deps, group, proposal, null);
    if (!result.ok) return render(c, group, proposal, { notice: t.reopenStillOpen }, 409);
    return c.redirect(`${pageOf(group, result.proposal)}?done=reopened`, 303);
  });
}

/**
 * The quantity a coordinator read in a reply or local answer, in the need's
 * own unit; the domain check says what is wrong with it. Empty is "none".
 */
function quantityOf(typed: string, proposal: Proposal, response: Response) {
  if (typed === "" || response.source === "agreement") return null;
  // People write "2,5" as often as "2.5".
  return { amount: typed.replace(",", "."), unit: proposal.quantity?.unit ?? "one" };
}
