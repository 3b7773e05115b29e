import type { Group } from "./group.ts";
import type { Proposal } from "./proposal.ts";

/**
 * Who is looking at a need or offer. The first three mirror the API's
 * callers (the public pages always look as `anonymous`); `server` is another
 * instance fetching the object, whose signer is resolved only when the answer
 * depends on it (resolving it may fetch the signer's key).
 */
export type ProposalViewer =
  | { readonly kind: "anonymous" }
  | { readonly kind: "admin" }
  | { readonly kind: "coordinator"; readonly groupId: string }
  | { readonly kind: "server"; readonly signerOrigin: () => Promise<string | null> };

/**
 * What a viewer may know of a proposal id. A post they may not see is
 * `missing`, exactly like one that never existed; a deleted one is `deleted`
 * whatever its audience was (its page says it was removed).
 */
export type ProposalSight =
  | { readonly state: "visible"; readonly group: Group; readonly proposal: Proposal }
  | { readonly state: "deleted" }
  | { readonly state: "missing" };

/**
 * The one rule of who sees a live need or offer: a public one is for
 * everyone; a followers-only one exists only for the group's coordinators (or
 * the admin) and for a server where the group has an accepted follower, which
 * only the database can tell (`if-server-follows`).
 */
export function proposalVisibility(
  proposal: Pick<Proposal, "audience" | "groupId">,
  viewer: ProposalViewer,
): "visible" | "hidden" | "if-server-follows" {
  if (proposal.audience === "public") return "visible";
  switch (viewer.kind) {
    case "admin":
      return "visible";
    case "coordinator":
      return viewer.groupId === proposal.groupId ? "visible" : "hidden";
    case "server":
      return "if-server-follows";
    case "anonymous":
      return "hidden";
  }
}

/** A query that applies the rule above (services/proposal-reads.ts). */
export type FindVisibleProposal = (viewer: ProposalViewer, id: string) => Promise<ProposalSight>;
